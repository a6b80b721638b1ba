// CPU time per request of one kv-server under one redis-benchmark load, the measure for A/B
// comparisons on a shared machine (less noisy than requests per second): starts DIST/main.js
// (a built examples/kv-server/dist, or a copy of an older build), warms it up, then reads the
// process's and each thread's utime+stime from /proc around `redis-benchmark -c 50`. Prints one
// JSON line: req/s, CPU us per request (the process), and each busy thread's share (the main
// thread first, then V8's and libuv's helpers, the storage domain last). Alternate A and B runs.
// Usage: nice -n -39 node bench/kv-cpu.mjs DIST always|everysec PIPELINE set|get REQUESTS [server flags...]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const [dist, policy, pipeline, test, requestsText, ...extra] = process.argv.slice(2);
const requests = Number(requestsText);
if (dist === undefined || !["always", "everysec", "no"].includes(policy) || !/^\d+$/.test(pipeline ?? "") || !/^[a-z_]+$/.test(test ?? "") || !Number.isSafeInteger(requests) || requests < 1) {
  console.error("usage: node bench/kv-cpu.mjs DIST always|everysec|no PIPELINE TEST REQUESTS [server flags...]");
  process.exit(2);
}
const dir = mkdtempSync(path.join(os.tmpdir(), "kv-cpu-"));
const child = spawn(process.execPath, [path.join(dist, "main.js"), "--port", "0", "--appendfsync", policy, "--dir", dir, ...extra], { stdio: ["ignore", "pipe", "inherit"] });
try {
  const port = await new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`kv-server exited (${code}) before it was ready`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
  });
  /** utime+stime in clock ticks of each thread of the server. */
  const threads = () => Object.fromEntries(readdirSync(`/proc/${child.pid}/task`).map((tid) => {
    const fields = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
    return [tid, Number(fields[11]) + Number(fields[12])];
  }));
  const load = (n) => execFileSync("redis-benchmark", ["-p", String(port), "-c", "50", "-n", String(n), "-P", pipeline, "-t", test, "--csv"], { encoding: "utf8" });
  load(Math.min(20_000, requests));
  const before = threads();
  const csv = load(requests);
  const after = threads();
  const usPerTick = 1e6 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
  const perRequest = (ticks) => (ticks * usPerTick) / requests;
  let total = 0;
  const busy = [];
  for (const [tid, ticks] of Object.entries(after)) {
    const used = ticks - (before[tid] ?? 0);
    total += used;
    if (perRequest(used) > 0.3) busy.push(`${tid}:${perRequest(used).toFixed(1)}`);
  }
  const rps = Number(csv.trim().split("\n").pop().split(",")[1].replace(/"/g, ""));
  console.log(JSON.stringify({ dist: path.basename(dist), policy, pipeline: Number(pipeline), test, rps, cpuUsPerReq: Number(perRequest(total).toFixed(2)), threads: busy.join(" ") }));
} finally {
  child.kill("SIGTERM");
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  rmSync(dir, { recursive: true, force: true });
}
