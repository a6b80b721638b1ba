// Worker side of the raw postMessage baselines: echo each ping (round trip), or sum a stream of
// numbers until asked for the total (throughput).
import { parentPort } from "node:worker_threads";

let sum = 0;
parentPort.on("message", (message) => {
  if (typeof message === "number") {
    sum += message;
  } else if (message.ping !== undefined) {
    parentPort.postMessage(message.ping);
  } else if (message.total) {
    parentPort.postMessage(sum);
    sum = 0;
  }
});
