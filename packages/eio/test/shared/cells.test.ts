// shared/cells.ts: a bounded counter that threads take and give back, and a wait for a change
// that is never lost, whether the change comes before or after the wait starts.
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { add, awaitChange, createCells, incrementBelow, read, write } from "../../src/shared/cells.js";

function runWorker(workerData: { cells: Int32Array; max: number; rounds: number; threads: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./cells-worker.mjs", import.meta.url), { workerData });
    worker.on("error", reject);
    worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with code ${code}`))));
  });
}

describe("shared cells", () => {
  it("incrementBelow stops at the limit and says what it saw", () => {
    const cells = createCells(1);
    expect([incrementBelow(cells, 0, 2), incrementBelow(cells, 0, 2), incrementBelow(cells, 0, 2)]).toEqual([0, 1, 2]);
    expect(read(cells, 0)).toBe(2);
    expect(add(cells, 0, -1)).toBe(2);
    expect(incrementBelow(cells, 0, 2)).toBe(1);
  });

  it("awaitChange returns at once for a change made before it, and wakes for one made after", async () => {
    const cells = createCells(2);
    const order = await Eio.run<string[]>(function* () {
      const log: string[] = [];
      write(cells, 0, 1);
      yield* awaitChange(cells, 0, 0); // changed already: must not wait (nothing would wake it)
      log.push("saw 1");
      yield* Eio.Fiber.both(
        function* () {
          yield* awaitChange(cells, 1, 0);
          log.push(`woken with ${read(cells, 1)}`);
        },
        function* () {
          log.push("writing");
          // From another thread, as a server domain would: only the notify can wake the waiter.
          yield* Eio.Fiber.awaitNative(new Promise<void>((resolve, reject) => {
            const worker = new Worker("Atomics.store(require('node:worker_threads').workerData, 1, 7); Atomics.notify(require('node:worker_threads').workerData, 1);", { eval: true, workerData: cells });
            worker.on("error", reject);
            worker.on("exit", () => resolve());
          }));
        },
      );
      return log;
    });
    expect(order).toEqual(["saw 1", "writing", "woken with 7"]);
  });

  it("threads taking slots together never hold more than the limit", async () => {
    const cells = createCells(3);
    await Promise.all([1, 2, 3].map(() => runWorker({ cells, max: 2, rounds: 20000, threads: 3 })));
    expect(read(cells, 0)).toBe(0); // every slot given back
    expect(read(cells, 1)).toBeGreaterThanOrEqual(1);
    expect(read(cells, 1)).toBeLessThanOrEqual(2); // the most ever taken at once
  });
});
