/**
 * `kv-check-log`, as `redis-check-aof`: reads a kv-server log as a stream and reports whether it
 * is valid, and if not where the first bad record is and what is wrong with it. With `--fix` it
 * cuts a torn tail (an incomplete last record, as a crash during an append leaves it: never
 * acknowledged), after asking; damage before the end is never cut here, since the records after
 * it were acknowledged (kv-server's `--repair-log` keeps them). A transaction (EXEC's records,
 * logged as one unit) cut short is cut whole, as redis-check-aof cuts a MULTI with no EXEC.
 *
 * Everything runs in fibers on eio-ts's file API (`Eio.Path`, `Eio.File`, and `Eio.BufRead` on
 * `env.stdin` for the answer), each file closed by the switch it was opened in.
 * @module
 */
import * as Eio from "eio-ts";
import * as Log from "./log.js";

/**
 * What {@link check} found.
 *
 * @example
 * ```ts
 * const report: CheckLog.Report = yield* CheckLog.check(Eio.Path.join(env.fs, "data/kv.log"));
 * if (report.damage !== null) console.log(report.damage.offset);
 * ```
 */
export interface Report extends Log.ReplayResult {
  /** The file, as the system names it. */
  file: string;
}

/**
 * Reads the log at `file` through and reports it; throws if it is not a kv-server log.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * (yield* CheckLog.check(Eio.Path.join(env.fs, "data/kv.log"))).records; // valid records before any damage
 * ```
 */
export function check(file: Eio.Path.Path): Eio.Operation<Report> {
  return Eio.Path.withOpenIn(file, function* (log): Eio.Operation<Report> {
    return { file: Eio.Path.native(file), ...(yield* Log.replayFile(log, () => {})) };
  });
}

/**
 * The report in words, as the tool prints it.
 *
 * @example
 * ```ts
 * console.log(CheckLog.describe(yield* CheckLog.check(Eio.Path.join(env.fs, "data/kv.log"))));
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

/** The pid of the live process that holds the data directory's lock, or null. */
function* inUse(file: Eio.Path.Path): Eio.Operation<number | null> {
  const [dir] = Eio.Path.split(file) ?? [file];
  let holder: string;
  try {
    holder = yield* Eio.Path.load(Eio.Path.join(dir, "kv.lock"));
  } catch (error) {
    if (error instanceof Eio.Io) return null;
    throw error;
  }
  const pid = Number(holder.trim().split(" ")[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

const USAGE = "usage: kv-check-log [--fix] [--yes] FILE\n  --fix  cut a torn tail (asks first)\n  --yes  do not ask";

/**
 * The tool: checks `argv`'s file (a path under `fs`, env.fs), prints the report, and with
 * `--fix` cuts a torn tail once `ask` (or `--yes`) agrees. Returns the exit status: 0 valid or
 * fixed, 1 damaged, 2 bad usage.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * process.exitCode = yield* CheckLog.run(env.fs, ["--fix", "data/kv.log"], console.log, function* () { return true; });
 * ```
 */
export function* run(
  fs: Eio.Path.Path, argv: readonly string[], print: (line: string) => void, ask: (question: string) => Eio.Operation<boolean>,
): Eio.Operation<number> {
  const flags = argv.filter((arg) => arg.startsWith("-"));
  const files = argv.filter((arg) => !arg.startsWith("-"));
  const unknown = flags.find((flag) => !["--fix", "--yes", "-y"].includes(flag));
  if (unknown !== undefined || files.length !== 1) {
    print(unknown !== undefined ? `kv-check-log: unknown option ${unknown}\n${USAGE}` : USAGE);
    return 2;
  }
  const file = files[0]!;
  const at = Eio.Path.join(fs, file);
  let report: Report;
  try {
    report = yield* check(at);
  } catch (error) {
    if (error instanceof Eio.Cancel.Cancelled) throw error;
    print(`kv-check-log: cannot check ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  print(describe(report));
  const damage = report.damage;
  if (damage === null) return 0;
  if (!flags.includes("--fix") || !damage.torn) return 1;
  const holder = yield* inUse(at);
  if (holder !== null) {
    print(`kv-check-log: ${file} is in use by kv-server process ${holder}; stop it first (it cuts a torn tail itself at start).`);
    return 1;
  }
  const yes = flags.includes("--yes") || flags.includes("-y");
  if (!yes && !(yield* ask(`This will cut ${file} at byte ${damage.offset}, dropping ${report.fileBytes - damage.offset} bytes. Continue? [y/N]: `))) {
    print("kv-check-log: nothing was changed.");
    return 1;
  }
  yield* Eio.Path.withOpenOut(at, { create: "never" }, function* (log): Eio.Operation<void> {
    yield* Eio.File.truncate(log, damage.offset);
    yield* Eio.File.sync(log);
  });
  print(`Successfully truncated ${file} to ${damage.offset} bytes.`);
  return 0;
}

/**
 * Asks on standard output and reads the answer from `stdin` (env.stdin): true for "y" or
 * "yes", false for anything else or no answer.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * if (yield* CheckLog.askOn(env.stdin, "Continue? [y/N]: ")) yield* fix();
 * ```
 */
export function* askOn(stdin: Eio.Flow.Source, question: string): Eio.Operation<boolean> {
  process.stdout.write(question);
  try {
    return /^y(es)?$/i.test((yield* Eio.BufRead.line(Eio.BufRead.of(stdin, { maxSize: 4096 }))).trim());
  } catch (error) {
    if (error instanceof Eio.Flow.EndOfFile) return false;
    throw error;
  }
}
