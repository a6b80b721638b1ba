// How fast each CPU of this machine runs the same single-threaded loop right now. On the VMs
// these benchmarks run on, one vCPU was measured at times 1.45-1.8x slower than the other
// (pinned with taskset, the same CPU-bound loop), which weighs on every result that uses two
// threads: a speedup over one thread, a ping-pong between threads. So each suite says it.
import { execFileSync } from "node:child_process";
import os from "node:os";

/** The loop each CPU runs (fib(25) ten times, after three to compile it); prints its ms. */
const PROBE = `
const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2));
for (let i = 0; i < 3; i++) fib(25);
const t = performance.now();
let s = 0;
for (let i = 0; i < 10; i++) s += fib(25);
if (s !== 10 * 75025) throw new Error("fib");
console.log(performance.now() - t);
`;

/**
 * Milliseconds the probe took on each CPU (index = CPU number), or null when this machine
 * cannot pin a process to a CPU (no `taskset`, not Linux).
 */
export function cpuSpeeds() {
  if (os.platform() !== "linux") return null;
  const times = [];
  for (let cpu = 0; cpu < os.cpus().length; cpu++) {
    try {
      const out = execFileSync("taskset", ["-c", String(cpu), process.execPath, "-e", PROBE], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      times.push(Math.round(Number(out.trim()) * 10) / 10);
    } catch {
      return null;
    }
  }
  return times;
}

/** "the same loop pinned to each CPU: cpu0 12.1 ms, cpu1 6.8 ms (the slowest 1.78x the fastest)", for the reports. */
export function describeCpuSpeeds(times) {
  if (times === null || times === undefined) return "per-CPU speed not measured (no taskset)";
  const fastest = Math.min(...times);
  const slowest = Math.max(...times);
  const list = times.map((ms, cpu) => `cpu${cpu} ${ms.toFixed(1)} ms`).join(", ");
  const ratio = slowest / fastest;
  return `the same loop pinned to each CPU: ${list}${ratio >= 1.1 ? ` (the slowest ${ratio.toFixed(2)}x the fastest)` : " (even)"}`;
}
