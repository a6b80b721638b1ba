// Entry point of `npm run bench:kv` and of the `kv` suite of `npm run bench` (issue 14, Speed):
// kv-server (its default shape with a storage domain, and `--single-domain`) against Debian's
// redis-server, both on `appendfsync always` and on `everysec`, loaded by
// `redis-benchmark -c 50` with its own suite (SET and GET carry issue 14's target; the other
// tests are the data types of issue 15) at `-P 1` and `-P 16`, and the floors: a bare node:net
// server (bench/lib/kv-floor-server.mjs), alone and with a storage thread, under the same SET
// and GET load, what Node itself reaches here in each shape. Usage (after `npm run build`):
//   node bench/kv.mjs [--quick] [--requests N] [--results DIR]
// `--quick` sends 1000 requests per test (a smoke test). Writes DIR/kv.json and DIR/kv.md
// (default bench/results) and prints the Markdown table for examples/kv-server/README.md.
// Exits 1 when a row failed (a server did not start or a load did not finish), not when a
// target is not met.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENTS, SUITE, SUITE_TESTS } from "./lib/kv-load.mjs";
import { runTurns } from "./lib/kv-turns.mjs";
import { compare, consoleTable, markdownReport, markdownTable, suiteTable } from "./lib/kv-report.mjs";
import { FLOORS, POLICIES, SERVERS } from "./lib/kv-servers.mjs";
import { machine, machineLine } from "./lib/report.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const PIPELINES = [1, 16];
const FULL_REQUESTS = 100_000;
const QUICK_REQUESTS = 1000;
/**
 * Requests per test at each depth, and before them an unmeasured pass of the same suite that
 * warms the server up (V8 compiles kv-server's hot paths after the first second or so of load).
 * At -P 16 a test of 100k requests lasts 0.1-0.3 s, shorter than the warm-up itself: measured
 * here (2 cores, redis-benchmark -c 50 -P 16 -n 100000, fresh --single-domain server, three
 * runs in a row) GET went 306k, 476k, 625k req/s and SET 275k, 389k, 337k, then 642k and 420k
 * over 1M requests; redis-server, which has nothing to compile, went 1.06M, 1.41M, 1.45M. So
 * -P 16 runs five times the requests, after a pass of as many as -P 1 runs. Every server gets
 * the same passes, Redis included.
 */
function passes(requests, pipeline) {
  return pipeline === 1 ? { warmup: Math.max(1, Math.round(requests / 5)), measured: requests } : { warmup: requests, measured: requests * 5 };
}
const sharedWith = "the load generator (redis-benchmark, on the same cores) and every other process running here";

function parseArgs(argv) {
  const options = { quick: false, requests: undefined, results: path.join(here, "results") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--results") options.results = path.resolve(argv[++i] ?? "");
    else if (arg === "--requests") {
      const value = argv[++i];
      options.requests = Number(value);
      if (!Number.isSafeInteger(options.requests) || options.requests < 1) usage(`--requests needs a positive integer, got ${JSON.stringify(value)}`);
    } else usage(`unknown argument ${JSON.stringify(arg)}`);
  }
  options.requests ??= options.quick ? QUICK_REQUESTS : FULL_REQUESTS;
  return options;
}

function usage(message) {
  console.error(`bench/kv.mjs: ${message}; usage: node bench/kv.mjs [--quick] [--requests N] [--results DIR]`);
  process.exit(2);
}

function rowOf(policy, server, pipeline, options) {
  return { appendfsync: policy, pipeline, server: server.name, requests: passes(options.requests, pipeline).measured };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const info = machine();
  const line = machineLine(info, os.loadavg().map((x) => Math.round(x * 100) / 100), sharedWith);
  console.log(`== suite kv: ${line}`);
  console.log(`redis-benchmark -c ${CLIENTS} -t ${SUITE.join(",")} at ${PIPELINES.map((p) => `-P ${p} with -n ${passes(options.requests, p).measured} (after ${passes(options.requests, p).warmup} unmeasured)`).join(" and ")}${options.quick ? " (quick)" : ""}`);
  // A load on a server that stopped answering fails its row after this long (about 200 req/s).
  const timeoutMs = Math.max(60_000, options.requests * 5 * 2 * 5);
  const rows = [];
  const total = POLICIES.length * SERVERS.length;
  let step = 0;
  for (const policy of POLICIES) {
    // Every server of this policy is up at once, and they take turns test by test (lib/kv-turns.mjs).
    const up = [];
    try {
      for (const server of SERVERS) {
        const label = `[${++step}/${total}] ${server.name}, appendfsync ${policy}`;
        try {
          const started = await server.start(policy);
          console.log(`${label}: pid ${started.pid} on 127.0.0.1:${started.port}, data in ${started.dir}`);
          up.push({ server, started, label });
        } catch (error) {
          console.log(`${label}: failed to start: ${error.message}`);
          for (const pipeline of PIPELINES) rows.push({ ...rowOf(policy, server, pipeline, options), failed: `did not start: ${error.message}` });
        }
      }
      for (const pipeline of PIPELINES) {
        const turns = await runTurns(up, { pipeline, ...passes(options.requests, pipeline), timeoutMs });
        for (const { server, label, results, failed, seconds } of turns) {
          const row = rowOf(policy, server, pipeline, options);
          if (failed !== null) {
            console.log(`${label}, -P ${pipeline}: failed: ${failed}`);
            rows.push({ ...row, failed });
            continue;
          }
          const rest = SUITE_TESTS.filter((t) => t !== "SET" && t !== "GET" && results[t] !== undefined).map((t) => `${t} ${results[t].rps.toFixed(0)}`).join(", ");
          console.log(`${label}, -P ${pipeline}: SET ${results.SET.rps.toFixed(0)} req/s, GET ${results.GET.rps.toFixed(0)} req/s (${seconds.toFixed(1)} s, after ${passes(options.requests, pipeline).warmup} unmeasured)${rest === "" ? "" : `; ${rest}`}`);
          rows.push({ ...row, results });
        }
      }
    } finally {
      for (const { started, label } of up) {
        await started.stop();
        console.log(`${label}: stopped pid ${started.pid}, removed ${started.dir}`);
      }
    }
  }
  // Rows grouped as they are compared: policy, then depth, Redis first.
  const order = (r) => [POLICIES.indexOf(r.appendfsync), PIPELINES.indexOf(r.pipeline), SERVERS.findIndex((s) => s.name === r.server)];
  rows.sort((a, b) => order(a).reduce((d, x, i) => d || x - order(b)[i], 0));
  compare(rows);

  const report = { date: info.date, machine: info, machineLine: line, quick: options.quick, clients: CLIENTS, requests: options.requests, passes: Object.fromEntries(PIPELINES.map((p) => [p, passes(options.requests, p)])), pipelines: PIPELINES, rows };
  console.log(`\n${consoleTable(rows)}\n`);
  console.log("targets:");
  for (const r of rows.filter((r) => r.target !== undefined && !FLOORS.includes(r.server))) {
    console.log(`  ${r.target.status.padEnd(7)}  appendfsync ${r.appendfsync}, -P ${r.pipeline}, ${r.server}: kv-server at least 0.8x Redis (${r.target.value})`);
  }
  for (const r of rows.filter((r) => r.floorTarget !== undefined)) {
    console.log(`  ${r.floorTarget.status.padEnd(7)}  appendfsync ${r.appendfsync}, -P ${r.pipeline}, ${r.server}: at least 0.8x the floor of its shape (${r.floorTarget.value})`);
  }
  mkdirSync(options.results, { recursive: true });
  const jsonFile = path.join(options.results, "kv.json");
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(options.results, "kv.md"), `${markdownReport(report)}\n`);
  console.log(`\nMarkdown for examples/kv-server/README.md:\n\n${markdownTable(report)}\n\n${suiteTable(report)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), jsonFile)} and kv.md`);
  process.exit(rows.some((r) => r.failed) ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
