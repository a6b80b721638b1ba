/** Ports of Eio's tests/mutex.md. */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { Named, runTraced } from "./support/run-traced.js";

const M = Eio.Mutex;
const traceln = Eio.traceln;

function* lock(t: Eio.Mutex.Mutex): Eio.Operation<void> {
  traceln("Locking");
  yield* M.lock(t);
  traceln("Locked");
}

function unlock(t: Eio.Mutex.Mutex): void {
  traceln("Unlocking");
  M.unlock(t);
  traceln("Unlocked");
}

const simulated = (): never => {
  throw new Named("Simulated error");
};

describe("Mutex (Eio's tests/mutex.md)", () => {
  it("locks and unlocks", async () => {
    const { lines } = await runTraced(function* () {
      const t = M.create();
      yield* lock(t);
      unlock(t);
      yield* lock(t);
      unlock(t);
    });
    expect(lines).toEqual(["Locking", "Locked", "Unlocking", "Unlocked", "Locking", "Locked", "Unlocking", "Unlocked"]);
  });

  it("Mutex.lock waits for the holder and serves waiters in order", async () => {
    const { lines } = await runTraced(function* () {
      const t = M.create();
      function* fn(): Eio.Operation<void> {
        yield* lock(t);
        yield* Eio.Fiber.yield();
        unlock(t);
      }
      yield* Eio.Fiber.all([fn, fn, fn, fn]);
    });
    expect(lines).toEqual([
      "Locking", "Locked", "Locking", "Locking", "Locking",
      "Unlocking", "Unlocked", "Locked", "Unlocking", "Unlocked",
      "Locked", "Unlocking", "Unlocked", "Locked", "Unlocking", "Unlocked",
    ]);
  });

  it("a double unlock throws and poisons the mutex", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      yield* M.lock(t);
      M.unlock(t);
      try {
        M.unlock(t);
      } catch (e) {
        traceln("Caught: %s", (e as Error).message);
      }
      traceln("Trying to use lock after error...");
      yield* M.lock(t);
    });
    expect(lines).toEqual(["Caught: Eio.Mutex.unlock: already unlocked!", "Trying to use lock after error..."]);
    expect(error).toBeInstanceOf(M.Poisoned);
    expect(((error as Error).cause as Error).message).toBe("Eio.Mutex.unlock: already unlocked!");
  });

  it("Mutex.useRw runs one critical section at a time", async () => {
    const { lines } = await runTraced(function* () {
      const t = M.create();
      function* fn(): Eio.Operation<void> {
        traceln("Entered critical section");
        yield* Eio.Fiber.yield();
        traceln("Leaving critical section");
      }
      yield* Eio.Fiber.both(() => M.useRw(t, { protect: true }, fn), () => M.useRw(t, { protect: true }, fn));
    });
    expect(lines).toEqual(["Entered critical section", "Leaving critical section", "Entered critical section", "Leaving critical section"]);
  });

  it("an error in Mutex.useRw poisons the mutex", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      try {
        yield* M.useRw(t, { protect: true }, simulated);
      } catch {
        traceln("Trying to use the failed lock again fails:");
        yield* M.lock(t);
      }
    });
    expect(lines).toEqual(["Trying to use the failed lock again fails:"]);
    expect(error).toBeInstanceOf(M.Poisoned);
    expect(((error as Error).cause as Error).message).toBe("Simulated error");
  });

  it("useRw with protect: true finishes the critical section despite cancellation", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      yield* Eio.Fiber.both(
        function* () {
          yield* M.useRw(t, { protect: true }, function* () {
            yield* Eio.Fiber.yield();
            traceln("Restored invariant");
          });
          Eio.Fiber.check();
          traceln("Error: not cancelled!");
        },
        () => {
          traceln("Cancelling...");
          simulated();
        },
      );
    });
    expect(lines).toEqual(["Cancelling...", "Restored invariant"]);
    expect((error as Error).message).toBe("Simulated error");
  });

  it("useRw with protect: false is interrupted and poisons the mutex", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      try {
        yield* Eio.Fiber.both(
          () => M.useRw(t, { protect: false }, function* () {
            yield* Eio.Fiber.yield();
            traceln("Restored invariant");
          }),
          () => {
            traceln("Cancelling...");
            simulated();
          },
        );
      } catch {
        traceln("Trying to reuse the failed mutex...");
        yield* M.useRo(t, () => {
          throw new Error("not reached");
        });
      }
    });
    expect(lines).toEqual(["Cancelling...", "Trying to reuse the failed mutex..."]);
    expect(error).toBeInstanceOf(M.Poisoned);
    expect((error as Error).cause).toBeInstanceOf(Eio.Cancel.Cancelled);
    expect((((error as Error).cause as Error).cause as Error).message).toBe("Simulated error");
  });

  it("protect does not stop cancellation while waiting for the lock", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      yield* M.lock(t);
      try {
        yield* Eio.Fiber.both(
          () => M.useRw(t, { protect: true }, () => {
            throw new Error("not reached");
          }),
          () => {
            traceln("Cancelling...");
            simulated();
          },
        );
      } catch (e) {
        if (!(e instanceof Named)) throw e;
        M.unlock(t);
        yield* M.useRo(t, () => traceln("Can reuse the mutex"));
      }
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["Cancelling...", "Can reuse the mutex"]);
  });

  it("poisoning wakes the waiters with Poisoned", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      yield* Eio.Fiber.both(
        function* () {
          try {
            yield* M.useRw(t, { protect: false }, function* () {
              yield* Eio.Fiber.yield();
              traceln("Poisoning mutex");
              simulated();
            });
          } catch (e) {
            if (!(e instanceof Named)) throw e;
          }
        },
        function* () {
          traceln("Waiting for lock...");
          yield* M.useRo(t, () => {
            throw new Error("not reached");
          });
        },
      );
    });
    expect(lines).toEqual(["Waiting for lock...", "Poisoning mutex"]);
    expect(error).toBeInstanceOf(M.Poisoned);
    expect(((error as Error).cause as Error).message).toBe("Simulated error");
  });

  it("an error in Mutex.useRo unlocks instead of poisoning", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      try {
        yield* M.useRo(t, simulated);
      } catch (e) {
        traceln("Caught: %s", (e as Error).message);
        traceln("Trying to use the lock again is OK:");
        yield* M.lock(t);
      }
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["Caught: Simulated error", "Trying to use the lock again is OK:"]);
  });

  it("Mutex.tryLock fails while another fiber holds the lock", async () => {
    const { lines } = await runTraced(function* () {
      const t = M.create();
      function* fn(): Eio.Operation<void> {
        if (M.tryLock(t)) {
          traceln("Entered critical section");
          yield* Eio.Fiber.yield();
          traceln("Leaving critical section");
          M.unlock(t);
        } else {
          traceln("Failed to get lock");
        }
      }
      yield* Eio.Fiber.both(fn, fn);
      yield* M.useRo(t, () => traceln("Lock still works"));
    });
    expect(lines).toEqual(["Entered critical section", "Failed to get lock", "Leaving critical section", "Lock still works"]);
  });

  it("a cancelled waiter does not get the lock", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = M.create();
      yield* M.lock(t);
      const winner = yield* Eio.Fiber.first(
        function* () {
          yield* M.lock(t);
          return "locked";
        },
        () => "gave up",
      );
      traceln(winner as string);
      M.unlock(t);
      traceln("tryLock after: %s", M.tryLock(t));
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["gave up", "tryLock after: true"]);
  });

  it("Mutex.useRw requires the protect option", async () => {
    const { error } = await runTraced(function* () {
      yield* M.useRw(M.create(), {} as { protect: boolean }, () => 1);
    });
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/protect: true \| false/);
  });
});
