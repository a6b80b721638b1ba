// A thread that takes slots with the cells primitive (tsx loads the source), as a server domain
// does: once all `threads` are ready, it takes `rounds` slots below `max`, holds each for a
// moment, gives it back, and records the most it ever saw taken.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";
register();
const { run } = await import("../../src/run.ts");
const { add, awaitChange, incrementBelow, read } = await import("../../src/shared/cells.ts");
const { cells, max, rounds, threads } = workerData;
const SLOTS = 0;
const MOST = 1;
const READY = 2;
// Start together, so that the threads contend for the slots from the first round.
Atomics.add(cells, READY, 1);
Atomics.notify(cells, READY);
for (let ready = Atomics.load(cells, READY); ready < threads; ready = Atomics.load(cells, READY)) Atomics.wait(cells, READY, ready);
await run(function* () {
  for (let i = 0; i < rounds; i++) {
    for (;;) {
      const seen = incrementBelow(cells, SLOTS, max);
      if (seen < max) break;
      yield* awaitChange(cells, SLOTS, seen);
    }
    const now = read(cells, SLOTS);
    for (let most = Atomics.load(cells, MOST); now > most; ) {
      const actual = Atomics.compareExchange(cells, MOST, most, now);
      if (actual === most) break;
      most = actual;
    }
    for (let spin = 0; spin < 200; spin++) Atomics.load(cells, SLOTS);
    add(cells, SLOTS, -1);
  }
});
