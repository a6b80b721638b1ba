import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { createSharedPromise, getArena, type SharedPromise } from "../../src/shared/index.js";
import { D_INBOX } from "../../src/shared/layout.js";
import { spawn } from "./spawn.js";

/** Word index of a shared promise cell's lock (after the two header words). */
const lockWordOf = (cell: number): number => (cell >> 2) + 2;

/**
 * Holds the lock word `index` for another domain: if this thread is still not done
 * (`flag[0]`) after 10 s, it must be stuck waiting for that lock: the watchdog notes it
 * (`flag[1]`) and lets go, so a failing test fails instead of hanging.
 */
function watchdog(buffer: SharedArrayBuffer, index: number, flag: Int32Array): Worker {
  const code = `
    const { workerData: { buffer, index, flag } } = require("node:worker_threads");
    const i32 = new Int32Array(buffer);
    if (Atomics.wait(flag, 0, 0, 10000) === "timed-out") {
      Atomics.store(flag, 1, 1);
      Atomics.store(i32, index, 0);
      Atomics.notify(i32, index);
    }`;
  return new Worker(code, { eval: true, workerData: { buffer, index, flag } });
}

describe("shared promise cancellation after the cell is freed", () => {
  it("cancelling a waiter whose wake-up is in flight does not touch the (freed) cell", async () => {
    const arena = getArena();
    const i32 = arena.i32;
    const inbox = arena.slot(arena.domainId, D_INBOX);
    const trace: string[] = [];
    await Eio.run(function* () {
      const promise = createSharedPromise<number>();
      const asPromise = promise as unknown as Eio.Promise.Promise<number>;
      let reused: SharedPromise<number> | null = null;
      try {
        yield* Eio.Switch.run(function* (sw) {
          Eio.Fiber.fork(sw, function* () {
            try {
              trace.push(`A got ${yield* Eio.Promise.await(asPromise)}`);
            } catch (error) {
              trace.push(`A: ${(error as Error).message}`);
            }
          });
          // Another domain resolves it: A's waiter is claimed and pushed on this domain's inbox,
          // which is not drained while this fiber keeps the thread busy.
          const done = spawn("resolveWith", promise, 5);
          const deadline = Date.now() + 20_000;
          while (Atomics.load(i32, inbox) === 0 || Atomics.load(i32, promise.offset >> 2) !== 1) {
            if (Date.now() > deadline) throw new Error("the other domain did not resolve the promise");
          }
          // This handle reads the value and lets go of the cell: the last reference, so it is freed...
          expect(Eio.Promise.peek(asPromise)).toBe(5);
          // ...and its block is handed out again at once (this thread's cache is LIFO).
          reused = createSharedPromise<number>();
          expect(reused.offset).toBe(promise.offset);
          // Another domain holds the new cell's lock: a cancel that still believed the freed
          // cell was its own would wait for that lock (and then release it for them).
          const lock = lockWordOf(reused.offset);
          Atomics.store(i32, lock, 1);
          const flag = new Int32Array(new SharedArrayBuffer(8));
          const guard = watchdog(arena.buffer, lock, flag);
          Eio.Switch.fail(sw, new Error("stop"));
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
          trace.push(`new cell's lock ${Atomics.load(flag, 1) === 0 && Atomics.load(i32, lock) === 1 ? "untouched" : "taken"}`);
          Atomics.store(i32, lock, 0);
          yield* Eio.Fiber.awaitNative(guard.terminate());
          yield* Eio.Fiber.awaitNative(done);
        });
      } catch (error) {
        trace.push(`switch: ${(error as Error).message}`);
      }
    });
    // The resolver's claim wins over the cancellation (the wake-up was already on its way).
    expect(trace).toEqual(["new cell's lock untouched", "A got 5", "switch: stop"]);
  }, 60_000);
});
