// Worker side of the floor ping-pong (lib/floor-promise.mjs): answers each ping with its number,
// until a ping names no next cell.
import { workerData } from "node:worker_threads";
import { floorRuntime, VALUE } from "../lib/floor-promise.mjs";

const words = new Int32Array(workerData.buffer);
const rt = floorRuntime(words, 1);
rt.run(
  (function* answer() {
    let ping = workerData.first;
    for (;;) {
      const cell = yield* rt.await(ping);
      const next = words[cell + VALUE + 2];
      if (next === 0) return;
      rt.resolve(words[cell + VALUE + 1], words[cell + VALUE], 0, 0);
      ping = next;
    }
  })(),
);
