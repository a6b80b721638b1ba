/** Ports of Eio's tests/condition.md (on the mock backend, as there). */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced, Named } from "./support/run-traced.js";

const C = Eio.Condition;
const traceln = Eio.traceln;

const simulated = (): never => {
  throw new Named("Simulated error");
};

describe("Condition (Eio's tests/condition.md)", () => {
  it("Condition.broadcast wakes a waiter", async () => {
    const { lines } = await mockTraced(function* () {
      const condition = C.create();
      yield* Eio.Fiber.both(
        function* () {
          traceln("1: wait for condition");
          yield* C.awaitNoMutex(condition);
          traceln("1: finished");
        },
        () => {
          traceln("2: broadcast condition");
          C.broadcast(condition);
          traceln("2: finished");
        },
      );
    });
    expect(lines).toEqual(["1: wait for condition", "2: broadcast condition", "2: finished", "1: finished"]);
  });

  it("Condition.broadcast with nobody waiting does nothing", async () => {
    const { lines } = await mockTraced(function* () {
      const condition = C.create();
      traceln("broadcast condition");
      C.broadcast(condition);
      traceln("finished");
    });
    expect(lines).toEqual(["broadcast condition", "finished"]);
  });

  it("Condition.broadcast wakes every waiter, in order", async () => {
    const { lines } = await mockTraced(function* () {
      const condition = C.create();
      yield* Eio.Fiber.all([
        function* () {
          traceln("1: wait for condition");
          yield* C.awaitNoMutex(condition);
          traceln("1: finished");
        },
        function* () {
          traceln("2: wait for condition");
          yield* C.awaitNoMutex(condition);
          traceln("2: finished");
        },
        () => {
          traceln("3: broadcast condition");
          C.broadcast(condition);
          traceln("3: finished");
        },
      ]);
    });
    expect(lines).toEqual(["1: wait for condition", "2: wait for condition", "3: broadcast condition", "3: finished", "1: finished", "2: finished"]);
  });

  describe("single-domain use without a mutex", () => {
    let x = 0;
    const cond = C.create();
    const set = (value: number): void => {
      x = value;
      C.broadcast(cond);
    };
    function* awaitP(p: (x: number) => boolean): Eio.Operation<void> {
      while (!p(x)) yield* C.awaitNoMutex(cond);
    }

    it("waits until the condition holds", async () => {
      const { lines } = await mockTraced(function* () {
        yield* Eio.Fiber.both(
          function* () {
            traceln("x = %d", x);
            yield* awaitP((v) => v === 42);
            traceln("x = %d", x);
          },
          function* () {
            set(5);
            yield* Eio.Fiber.yield();
            set(7);
            set(42);
          },
        );
      });
      expect(lines).toEqual(["x = 0", "x = 42"]);
    });

    it("a cancelled waiter leaves no trace", async () => {
      const { lines } = await mockTraced(function* () {
        yield* Eio.Fiber.first(
          function* () {
            yield* awaitP((v) => v === 0);
            throw new Error("not reached");
          },
          () => undefined,
        );
        yield* Eio.Fiber.both(
          function* () {
            traceln("x = %d", x);
            yield* awaitP((v) => v === 0);
            traceln("x = %d", x);
          },
          function* () {
            set(5);
            yield* Eio.Fiber.yield();
            set(0);
          },
        );
      });
      expect(lines).toEqual(["x = 42", "x = 0"]);
      expect(cond.requests.size).toBe(0);
    });
  });

  describe("use with a mutex", () => {
    let x = 0;
    const cond = C.create();
    const mutex = Eio.Mutex.create();
    function* set(value: number): Eio.Operation<void> {
      yield* Eio.Mutex.useRw(mutex, { protect: false }, () => {
        x = value;
      });
      C.broadcast(cond);
    }
    function awaitP(p: (x: number) => boolean): Eio.Operation<void> {
      return Eio.Mutex.useRo(mutex, function* () {
        while (!p(x)) yield* C.await(cond, mutex);
      });
    }

    it("Condition.await unlocks while waiting", async () => {
      const { lines } = await mockTraced(function* () {
        yield* Eio.Fiber.both(
          function* () {
            traceln("x = %d", x);
            yield* awaitP((v) => v === 42);
            traceln("x = %d", x);
          },
          function* () {
            yield* set(5);
            yield* Eio.Fiber.yield();
            yield* set(7);
            yield* set(42);
          },
        );
      });
      expect(lines).toEqual(["x = 0", "x = 42"]);
    });

    it("cancellation while waiting relocks the mutex", async () => {
      const { lines } = await mockTraced(function* () {
        yield* Eio.Fiber.first(
          function* () {
            yield* awaitP((v) => v === 0);
            throw new Error("not reached");
          },
          () => undefined,
        );
        yield* Eio.Fiber.both(
          function* () {
            traceln("x = %d", x);
            yield* awaitP((v) => v === 0);
            traceln("x = %d", x);
          },
          function* () {
            yield* set(5);
            yield* Eio.Fiber.yield();
            yield* set(0);
          },
        );
      });
      expect(lines).toEqual(["x = 42", "x = 0"]);
    });

    it("the re-lock after cancellation cannot be cancelled", async () => {
      const { lines, error } = await mockTraced(function* () {
        yield* Eio.Switch.run(function* (sw) {
          Eio.Fiber.fork(sw, function* () {
            traceln("Forked fiber locking");
            yield* Eio.Mutex.lock(mutex);
            try {
              yield* C.await(cond, mutex);
              throw new Error("not reached");
            } catch (e) {
              if (!(e instanceof Eio.Cancel.Cancelled)) throw e;
              traceln("Forked fiber unlocking");
              Eio.Mutex.unlock(mutex);
              throw e;
            }
          });
          yield* Eio.Cancel.protect(function* () {
            traceln("Main fiber locking");
            yield* Eio.Mutex.lock(mutex);
            Eio.Switch.fail(sw, new Named("Simulated error"));
            yield* Eio.Fiber.yield();
            traceln("Main fiber unlocking");
            Eio.Mutex.unlock(mutex);
          });
        });
      });
      expect(lines).toEqual(["Forked fiber locking", "Main fiber locking", "Main fiber unlocking", "Forked fiber unlocking"]);
      expect((error as Error).message).toBe("Simulated error");
    });
  });

  describe("Condition.loopNoMutex", () => {
    it("re-runs the update after each broadcast until it returns a value", async () => {
      const { lines } = await mockTraced(function* () {
        const cond = C.create();
        let x = 0;
        const set = (v: number): void => {
          traceln("setting x=%d", v);
          x = v;
          C.broadcast(cond);
        };
        yield* Eio.Fiber.both(
          () =>
            C.loopNoMutex(cond, function* () {
              traceln("Checking x...");
              yield* Eio.Fiber.yield();
              const seen = x;
              traceln("Saw x = %d", seen);
              if (seen === 3) {
                traceln("Finished");
                return true;
              }
              return undefined;
            }),
          function* () {
            for (const v of [1, 2, 3, 4]) {
              set(v);
              yield* Eio.Fiber.yield();
            }
          },
        );
      });
      expect(lines).toEqual([
        "Checking x...", "setting x=1", "Saw x = 1", "setting x=2", "Checking x...",
        "setting x=3", "Saw x = 3", "Finished", "setting x=4",
      ]);
    });

    it("is cancellable while waiting", async () => {
      const { lines, error } = await mockTraced(function* () {
        const cond = C.create();
        yield* Eio.Fiber.both(
          () => C.loopNoMutex(cond, () => void traceln("Checking")),
          simulated,
        );
      });
      expect(lines).toEqual(["Checking"]);
      expect((error as Error).message).toBe("Simulated error");
    });

    it("runs the update again after a broadcast, then sees the cancellation", async () => {
      const { lines, error } = await mockTraced(function* () {
        const cond = C.create();
        yield* Eio.Fiber.both(
          () => C.loopNoMutex(cond, () => void traceln("Checking")),
          () => {
            traceln("Broadcasting");
            C.broadcast(cond);
            simulated();
          },
        );
      });
      expect(lines).toEqual(["Checking", "Broadcasting", "Checking"]);
      expect((error as Error).message).toBe("Simulated error");
    });

    it("passes on an error from the update", async () => {
      const { error } = await mockTraced(function* () {
        const cond = C.create();
        yield* C.loopNoMutex(cond, function* () {
          yield* Eio.Fiber.yield();
          throw new Named("Simulated failure");
        });
      });
      expect((error as Error).message).toBe("Simulated failure");
    });
  });
});
