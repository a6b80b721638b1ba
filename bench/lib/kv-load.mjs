// The load of `bench/kv.mjs`: one `redis-benchmark -c 50` run of redis-benchmark's own suite
// (Debian's redis-tools, a C client, so the load costs the 2 cores no JavaScript), read from its
// `--csv` output. SET and GET carry issue 14's target; the rest of the suite is issue 15's.
import { spawn } from "node:child_process";

export const CLIENTS = 50;
export const TESTS = ["SET", "GET"];
/** redis-benchmark's suite as `-t` names them (issue 15): the data types' commands too. */
export const SUITE = ["set", "get", "incr", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop", "zadd", "zpopmin", "lrange_100", "mset"];
/** The suite's tests as the results name them (the first word of redis-benchmark's label). */
export const SUITE_TESTS = SUITE.map((test) => test.toUpperCase());

/**
 * Parses redis-benchmark's `--csv` output: a header line, then one line per test, such as
 * `"SET","3039.51","228.613","77.312","200.831",...`. Returns `{ SET: { rps, p50Ms }, GET: ... }`
 * (a test labelled `"LRANGE_100 (first 100 elements)"` under its first word; the LPUSH run that
 * only fills the list for LRANGE is left out) and throws, quoting the output, when a test of
 * `required` (SET and GET unless given) is missing or has no positive rate.
 */
export function parseCsv(out, required = TESTS) {
  const lines = out.split(/\r?\n/).filter((line) => line.startsWith('"'));
  const header = lines.length > 0 ? JSON.parse(`[${lines[0]}]`) : [];
  const column = (name) => header.indexOf(name);
  if (column("rps") < 0) throw new Error(`redis-benchmark --csv: no header with "rps" in ${JSON.stringify(out.slice(0, 200))}`);
  const results = {};
  for (const line of lines.slice(1)) {
    const cells = JSON.parse(`[${line}]`);
    if (cells[0].includes("needed to benchmark")) continue;
    results[cells[0].split(" ")[0]] = { rps: cells[column("rps")] === "inf" ? Infinity : Number(cells[column("rps")]), p50Ms: Number(cells[column("p50_latency_ms")]) };
  }
  for (const test of required) {
    // "inf": the run ended within redis-benchmark's clock tick (a quick run, pipelined).
    if (results[test]?.rps === Infinity) throw new TooFast();
    if (!(results[test]?.rps > 0)) throw new Error(`redis-benchmark --csv: no requests/s for ${test} in ${JSON.stringify(out.slice(0, 300))}`);
  }
  return results;
}

/** Thrown by {@link parseCsv} when a run was too short for redis-benchmark to time it. */
export class TooFast extends Error {
  constructor() {
    super("redis-benchmark: the run ended before its clock ticked (requests/s \"inf\")");
  }
}

/**
 * Runs `redis-benchmark -h 127.0.0.1 -p port -c 50 -t <tests> -n requests -P pipeline --csv`
 * (`tests`: the whole {@link SUITE} unless given)
 * and resolves its parsed rows (again with ten times the requests if a run was too short to
 * time); each test asked for must have a rate. A server that stops answering must fail its row,
 * not hang the run: past `timeoutMs` the generator is killed and the promise rejects.
 */
export function runLoad({ port, requests, pipeline, timeoutMs, tests = SUITE }) {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-c", String(CLIENTS), "-t", tests.join(","), "-n", String(requests), "-P", String(pipeline), "--csv"];
  return new Promise((resolve, reject) => {
    const child = spawn("redis-benchmark", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.once("error", (error) => (clearTimeout(timer), reject(error)));
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new Error(`redis-benchmark ${args.join(" ")} did not finish within ${timeoutMs / 1000} s`));
      if (code !== 0) return reject(new Error(`redis-benchmark exited with ${signal ?? code}: ${(err || out).trim().split("\n").pop()}`));
      try {
        resolve(parseCsv(out, tests.map((test) => test.toUpperCase())));
      } catch (error) {
        // Too short to be timed: run again with ten times the requests.
        if (error instanceof TooFast && requests < 10_000_000) resolve(runLoad({ port, requests: requests * 10, pipeline, timeoutMs, tests }));
        else reject(error);
      }
    });
  });
}
