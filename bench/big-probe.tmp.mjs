import * as Eio from "eio-ts";
import { bigBuffer } from "./workers/eio-domain-tasks.mjs";
const domainTasks = new URL("./workers/eio-domain-tasks.mjs", import.meta.url);
const BIG = 200_000_000;
const N = Number(process.argv[2] ?? 5);
const takeLengths = Eio.task(domainTasks, "takeLengths");
Eio.run(function* (env) {
  yield* Eio.Switch.run(function* (sw) {
    const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
    for (let round = 0; round < 4; round++) {
      const stream = Eio.Stream.create(1, { shared: true });
      const t0 = performance.now();
      const total = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, takeLengths, stream, N);
      const marks = [];
      for (let i = 0; i < N; i++) {
        const a = performance.now();
        const b = bigBuffer(BIG);
        const m = performance.now();
        yield* Eio.Stream.add(stream, b);
        marks.push(`${(m - a).toFixed(0)}+${(performance.now() - m).toFixed(0)}`);
      }
      const w = performance.now();
      yield* Eio.Promise.await(total);
      const e = performance.now();
      console.log(`round ${round}: ${((e - t0) / N).toFixed(1)} ms/item; make+add ${marks.join(" ")}; wait ${(e - w).toFixed(0)}`);
    }
    // floor
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) { const m = bigBuffer(BIG); new Uint8Array(m.buffer, m.byteOffset, m.length).slice(); }
      console.log(`floor ${((performance.now() - t0) / N).toFixed(1)} ms/item`);
    }
  });
});
