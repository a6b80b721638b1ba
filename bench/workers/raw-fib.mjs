// Worker side of the raw two-worker CPU baseline: computes `count` fibs of `n` in one go and
// answers their sum. One message per worker per sample: no per-task dispatch at all, so this
// is the machine's ceiling for splitting the work over two threads.
import { parentPort } from "node:worker_threads";
import { fib } from "./pool-tasks.mjs";

parentPort.on("message", ({ n, count }) => {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += fib(n);
  parentPort.postMessage(sum);
});
