// Worker side of the value floor's ping-pong (lib/floor-value-promise.mjs): reads each message
// and answers its `pong` with its number, until a ping carries no message.
import { workerData } from "node:worker_threads";
import { floorRuntime, VALUE } from "../lib/floor-promise.mjs";
import { floorCodec } from "../lib/floor-value-promise.mjs";

const words = new Int32Array(workerData.buffer);
const rt = floorRuntime(words, 1);
const codec = floorCodec(words);
rt.run(
  (function* answer() {
    let ping = workerData.first;
    for (;;) {
      const cell = yield* rt.await(ping);
      const block = words[cell + VALUE];
      if (block === 0) return;
      const message = codec.decode(block);
      rt.resolve(message.pong.cell, (message.i << 1) | 1, 0, 0);
      ping = message.next.cell;
    }
  })(),
);
