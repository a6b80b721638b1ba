/**
 * `kv-check-log`, as `redis-check-aof`: reads a kv-server log as a stream and reports whether it
 * is valid, and if not where the first bad record is and what is wrong with it. With `--fix` it
 * cuts a torn tail (an incomplete last record, as a crash during an append leaves it: never
 * acknowledged), after asking; damage before the end is never cut here, since the records after
 * it were acknowledged (kv-server's `--repair-log` keeps them). A transaction (EXEC's records,
 * logged as one unit) cut short is cut whole, as redis-check-aof cuts a MULTI with no EXEC.
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline/promises";
import * as Log from "./log.js";

/**
 * What {@link check} found.
 *
 * @example
 * ```ts
 * const report: CheckLog.Report = CheckLog.check("data/kv.log");
 * if (report.damage !== null) console.log(report.damage.offset);
 * ```
 */
export interface Report extends Log.ReplayResult {
  file: string;
}

/**
 * Reads the log `file` through and reports it; throws if it is not a kv-server log.
 *
 * @example
 * ```ts
 * CheckLog.check("data/kv.log").records; // valid records before any damage
 * ```
 */
export function check(file: string): Report {
  const fd = fs.openSync(file, "r");
  try {
    return { file, ...Log.replayFile(fd, () => {}) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The report in words, as the tool prints it.
 *
 * @example
 * ```ts
 * console.log(CheckLog.describe(CheckLog.check("data/kv.log")));
 * ```
 */
export function describe(report: Report): string {
  const { file, damage } = report;
  const analyzed = `log analyzed: file=${file}, size=${report.fileBytes}, records=${report.records}, ok_up_to=${report.validBytes}, ` +
    `transactions=${report.transactions}`;
  if (damage === null) return `${analyzed}\n${file} is valid`;
  if (damage.torn) {
    const what = damage.transaction ? "an incomplete transaction (MULTI/EXEC), never acknowledged: none of its records is kept" : "an incomplete record, never acknowledged";
    return `${analyzed}\n${file} has a torn tail at byte ${damage.offset} (${damage.reason}): its last ${report.fileBytes - damage.offset} bytes are ` +
      `${what}. Use --fix to cut it.`;
  }
  const after = damage.resumeAt === null ? "no valid record follows, but the record is whole" : `valid records follow from byte ${damage.resumeAt}`;
  return `${analyzed}\n${file} is damaged at byte ${damage.offset} (${damage.reason}); ${after}. --fix does not cut it: that would lose ` +
    "acknowledged writes. Start kv-server with --repair-log skip (keeps every valid record) or --repair-log truncate.";
}

/** True when a live process holds the data directory's lock. */
function inUse(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(path.dirname(file), "kv.lock"), "latin1").trim().split(" ")[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

const USAGE = "usage: kv-check-log [--fix] [--yes] FILE\n  --fix  cut a torn tail (asks first)\n  --yes  do not ask";

/**
 * The tool: checks `argv`'s file, prints the report, and with `--fix` cuts a torn tail once
 * `ask` (or `--yes`) agrees. Returns the exit status: 0 valid or fixed, 1 damaged, 2 bad usage.
 *
 * @example
 * ```ts
 * process.exitCode = await CheckLog.run(["--fix", "data/kv.log"], console.log, (q) => Promise.resolve(true));
 * ```
 */
export async function run(argv: readonly string[], print: (line: string) => void, ask: (question: string) => Promise<boolean>): Promise<number> {
  const flags = argv.filter((arg) => arg.startsWith("-"));
  const files = argv.filter((arg) => !arg.startsWith("-"));
  const unknown = flags.find((flag) => !["--fix", "--yes", "-y"].includes(flag));
  if (unknown !== undefined || files.length !== 1) {
    print(unknown !== undefined ? `kv-check-log: unknown option ${unknown}\n${USAGE}` : USAGE);
    return 2;
  }
  const file = files[0]!;
  let report: Report;
  try {
    report = check(file);
  } catch (error) {
    print(`kv-check-log: cannot check ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  print(describe(report));
  const damage = report.damage;
  if (damage === null) return 0;
  if (!flags.includes("--fix") || !damage.torn) return 1;
  const holder = inUse(file);
  if (holder !== null) {
    print(`kv-check-log: ${file} is in use by kv-server process ${holder}; stop it first (it cuts a torn tail itself at start).`);
    return 1;
  }
  const yes = flags.includes("--yes") || flags.includes("-y");
  if (!yes && !(await ask(`This will cut ${file} at byte ${damage.offset}, dropping ${report.fileBytes - damage.offset} bytes. Continue? [y/N]: `))) {
    print("kv-check-log: nothing was changed.");
    return 1;
  }
  const fd = fs.openSync(file, "r+");
  try {
    fs.ftruncateSync(fd, damage.offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  print(`Successfully truncated ${file} to ${damage.offset} bytes.`);
  return 0;
}

/**
 * Asks on the terminal (or reads the answer from standard input): true for "y" or "yes".
 *
 * @example
 * ```ts
 * if (await CheckLog.askOnStdin("Continue? [y/N]: ")) fix();
 * ```
 */
export async function askOnStdin(question: string): Promise<boolean> {
  const lines = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  try {
    process.stdout.write(question);
    for await (const line of lines) return /^y(es)?$/i.test(line.trim());
    return false;
  } finally {
    lines.close();
  }
}
