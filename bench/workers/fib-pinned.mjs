// The one-thread baseline of the CPU-bound pool scenario, run as its own process so that it can
// be pinned to one CPU (`taskset`): computes `count` fibs of `n` after three to compile the
// code, and prints how many milliseconds they took.
//   node fib-pinned.mjs n count
import { fib } from "./pool-tasks.mjs";

const [n, count] = process.argv.slice(2).map(Number);
for (let i = 0; i < 3; i++) fib(n);
const started = performance.now();
let sum = 0;
for (let i = 0; i < count; i++) sum += fib(n);
const ms = performance.now() - started;
if (sum !== count * fib(n)) throw new Error("fib: wrong sum");
console.log(ms);
