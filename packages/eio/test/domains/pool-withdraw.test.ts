// The pool's job object against a pool that never starts anything, so that withdrawal can be
// checked without worker threads: what a withdrawn job's encoded arguments hold in the shared
// heap must be given back.
import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { Encoder } from "../../src/domains/codec.js";
import { JobMode, type JobPool, JobState, PoolJob } from "../../src/domains/pool-job.js";
import { TaskName } from "../../src/domains/task-name.js";
import { createSharedPromise, getArena } from "../../src/shared/index.js";
import { heldParcelCount } from "../../src/shared/buffers.js";
import { copyPoolState, trimCopyPool } from "../../src/shared/copy-pool.js";

/** A pool whose domains are always full: every job waits. */
class FullPool implements JobPool {
  closed = false;
  readonly waiting: PoolJob[] = [];
  enqueue(job: PoolJob): void {
    job.prepare(new Encoder(), true);
    this.waiting.push(job);
  }
  admit(): void {}
}

const task = new TaskName<unknown[], unknown>("file:///nowhere.mjs", "never");

describe("ExecutorPool job withdrawal", () => {
  it("a job withdrawn before it starts releases the shared objects in its arguments", async () => {
    const promise = createSharedPromise<number>();
    const refcount = (): number => getArena().i32[promise.offset >> 2]!;
    const before = refcount();
    const pool = new FullPool();
    const [outcome, whileWaiting] = await Eio.run<[unknown, number]>(function* () {
      let whileWaiting = 0;
      const outcome = yield* Eio.Fiber.first(
        () => new PoolJob(pool, 0, task, [{ reply: promise }, 7], JobMode.Result, "test") as unknown as Eio.Operation<unknown>,
        function* () {
          yield* Eio.Fiber.yield();
          whileWaiting = refcount();
          return "gave up";
        },
      );
      return [outcome, whileWaiting];
    });
    expect(outcome).toBe("gave up");
    expect(pool.waiting[0]!.state).toBe(JobState.Withdrawn);
    expect(whileWaiting).toBe(before + 1); // the waiting job's payload holds one reference
    expect(refcount()).toBe(before);
  });

  it("a job refused by a stopping pool releases them too, and its submitter gets PoolClosed", async () => {
    const promise = createSharedPromise<number>();
    const refcount = (): number => getArena().i32[promise.offset >> 2]!;
    const before = refcount();
    const pool = new FullPool();
    const error = await Eio.run(function* () {
      return yield* Eio.Fiber.first(
        function* () {
          try {
            yield* new PoolJob(pool, 0, task, [[promise]], JobMode.Value, "test") as unknown as Eio.Operation<unknown>;
          } catch (e) {
            return e;
          }
        },
        function* () {
          yield* Eio.Fiber.yield();
          pool.waiting[0]!.refuse();
          yield* Eio.Fiber.awaitCancel();
        },
      );
    });
    expect(error).toBeInstanceOf(Eio.PoolClosed);
    expect(refcount()).toBe(before);
  });

  it("a job withdrawn before it starts drops the big bytes it carried, copied (a pooled buffer of the main thread) or moved (a parcel it holds)", async () => {
    const before = heldParcelCount();
    const pool = new FullPool();
    const moved = new Uint8Array(1 << 20).fill(3);
    const [outcome, whileWaiting] = await Eio.run<[unknown, [number, { bytes: number; inUse: boolean }[]]]>(function* () {
      let whileWaiting: [number, { bytes: number; inUse: boolean }[]] = [0, []];
      trimCopyPool(Infinity);
      const outcome = yield* Eio.Fiber.first(
        () => new PoolJob(pool, 0, task, [new Uint8Array(3 << 20), Eio.transfer(moved)], JobMode.Result, "test") as unknown as Eio.Operation<unknown>,
        function* () {
          yield* Eio.Fiber.yield();
          whileWaiting = [heldParcelCount(), copyPoolState().map(({ bytes, inUse }) => ({ bytes, inUse }))];
          return "gave up";
        },
      );
      return [outcome, whileWaiting];
    });
    expect(outcome).toBe("gave up");
    expect(pool.waiting[0]!.state).toBe(JobState.Withdrawn);
    expect(whileWaiting).toEqual([before + 1, [{ bytes: 3 << 20, inUse: true }]]);
    expect(moved.length).toBe(0);
    expect(heldParcelCount()).toBe(before);
    expect(copyPoolState()).toEqual([{ bytes: 3 << 20, inUse: false, uses: 1 }]);
  });
});
