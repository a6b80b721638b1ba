// Entry point of `npm run bench` (which builds eio-ts first). Usage:
//   node bench/run.mjs [suite ...] [--quick] [--results DIR] [--only ID,ID]
// Suites: core, stream, domains, net, kv. With no suite named, all run. `--quick` takes two samples
// per implementation (a smoke test, not a measurement). `--only` runs the scenarios of those ids
// alone (for A/B runs of a few rows). Results merge into DIR/latest.json and
// DIR/latest.md (default bench/results), replacing only the suites that ran. The kv suite is
// bench/kv.mjs (`npm run bench:kv`), run last as a child process: it times servers of its own
// with redis-benchmark rather than code in this process, and writes DIR/kv.json and DIR/kv.md.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FULL, QUICK, runScenario } from "./lib/harness.mjs";
import { cpuSpeeds, describeCpuSpeeds } from "./lib/cpu-speeds.mjs";
import { consoleTable, machine, machineLine, markdownReport, targetSummary } from "./lib/report.mjs";

const SUITES = ["core", "stream", "domains", "net"];
const KV = "kv";
const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const options = { suites: [], quick: false, results: path.join(here, "results") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--results") options.results = path.resolve(argv[++i] ?? "");
    else if (arg === "--only") options.only = new Set((argv[++i] ?? "").split(","));
    else if (SUITES.includes(arg) || arg === KV) options.suites.push(arg);
    else {
      console.error(`bench: unknown argument ${JSON.stringify(arg)}; expected one of ${[...SUITES, KV].join(", ")}, --quick, --results DIR, --only ID,ID`);
      process.exit(2);
    }
  }
  if (options.suites.length === 0) options.suites = [...SUITES, KV];
  return options;
}

function readPrevious(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const budget = options.quick ? QUICK : FULL;
  const started = performance.now();
  const info = machine();
  console.log(`eio-ts bench: Node ${info.node}, ${info.cpuModel}, ${info.cores} cores, ${info.date}${options.quick ? " (quick)" : ""}`);
  console.log(`versions: ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(", ")}\n`);

  const suites = {};
  let failed = false;
  const inProcess = options.suites.filter((s) => s !== KV);
  for (const name of inProcess) {
    const suiteStart = performance.now();
    const loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
    const cpuMs = cpuSpeeds();
    const module = await import(`./suites/${name}.mjs`);
    const line = machineLine(info, loadAverage, module.sharedWith);
    console.log(`== suite ${name}: ${line}; ${describeCpuSpeeds(cpuMs)}`);
    const { scenarios, messages = [] } = await module.scenarios({ quick: options.quick });
    for (const message of messages) console.log(`  ${message}`);
    const results = [];
    for (const scenario of scenarios) {
      if (options.only !== undefined && !options.only.has(scenario.id)) continue;
      const result = await runScenario(scenario, budget, (line) => console.log(line));
      results.push(result);
      failed ||= result.rows.some((row) => row.failed);
      console.log(`\n${consoleTable(result)}\n`);
    }
    const seconds = (performance.now() - suiteStart) / 1000;
    console.log(`== suite ${name} done in ${seconds.toFixed(1)} s\n`);
    suites[name] = { name, issue: module.issue, date: new Date().toISOString(), machineLine: line, loadAverage, cpuMs, seconds, quick: options.quick, messages, results };
  }

  if (inProcess.length > 0) writeLatest(options, info, suites, started);
  if (options.suites.includes(KV)) failed = !(await runKv(options)) || failed;
  // Worker pools and sockets are closed by their suites; exit anyway so a stray handle in a peer
  // library cannot keep the run alive.
  process.exit(failed ? 1 : 0);
}

/** Merges this run's suites into latest.json and latest.md and prints their targets. */
function writeLatest(options, info, suites, started) {
  mkdirSync(options.results, { recursive: true });
  const jsonFile = path.join(options.results, "latest.json");
  const previous = readPrevious(jsonFile);
  const report = { machine: info, suites: { ...(previous?.suites ?? {}), ...suites } };
  // Keep the suites in their canonical order whatever order they were run in.
  report.suites = Object.fromEntries(SUITES.filter((s) => report.suites[s]).map((s) => [s, report.suites[s]]));
  console.log("targets:");
  for (const t of targetSummary({ suites })) console.log(`  ${t.status.padEnd(7)}  ${t.suite}/${t.scenario}: ${t.text} (${t.value})`);
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(options.results, "latest.md"), `${markdownReport(report)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), jsonFile)} and latest.md in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Runs bench/kv.mjs with this run's options; true when it exits 0 (no row failed). */
async function runKv(options) {
  const args = [path.join(here, "kv.mjs"), ...(options.quick ? ["--quick"] : []), "--results", options.results];
  const child = spawn(process.execPath, args, { stdio: "inherit" });
  const code = await new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(signal ?? code));
  });
  return code === 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
