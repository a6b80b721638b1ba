// Worker side of the raw SharedArrayBuffer ping-pong: wait for the main thread to bump the ping
// word, copy it into the pong word, wake the main thread. The worker has nothing else to do, so
// after a brief spin it may block in Atomics.wait.
import { workerData } from "node:worker_threads";
import { PING, PONG, STOP, spinUntilChanged } from "./atomics-words.mjs";

const words = new Int32Array(workerData.buffer);
let seen = 0;
for (;;) {
  let value = spinUntilChanged(words, PING, seen, workerData.spin);
  while (value === seen) {
    // Lost wake-ups are impossible: wait() returns at once if the word no longer holds `seen`.
    Atomics.wait(words, PING, seen);
    value = Atomics.load(words, PING);
  }
  if (value === STOP) break;
  seen = value;
  Atomics.store(words, PONG, value);
  Atomics.notify(words, PONG);
}
