// The scheduler's fast paths, each next to its slow path: bodies run `nested` on top of the
// fiber's stack (Switch.run), promise waits and stream operations handed out again once
// finished. Every test checks what a program observes (values, errors, order, cleanup), which
// must be the same as with plain `yield*` and fresh operations.
import { describe, expect, it } from "vitest";
import { Eio, failure, traced } from "./helpers.js";
import { HandWrittenOp, nested, type Operation, SUSPEND_STEP, type Suspend } from "../src/core/scheduler.js";

const { Fiber, Switch: Sw, Promise: P, Stream, Cancel, traceln } = Eio;

/** An iterator `yield*` can drive that is neither a generator nor a HandWrittenOp. */
function plainIterator<T>(value: T): Iterator<never, T> & Iterable<never> {
  return {
    next: () => ({ done: true, value }),
    throw: (error: unknown) => {
      throw error;
    },
    [Symbol.iterator]() {
      return this;
    },
  } as Iterator<never, T> & Iterable<never>;
}

describe("nested bodies (the fiber's stack)", () => {
  it("a body that suspends many times returns its value through Switch.run", async () => {
    const lines = await traced(function* () {
      const [p, r] = P.create<number>();
      const total = yield* Sw.run(function* (sw) {
        Fiber.fork(sw, function* () {
          for (let i = 0; i < 3; i++) yield* Fiber.yield();
          P.resolve(r, 40);
        });
        let n = yield* P.await(p);
        for (let i = 0; i < 2; i++) {
          yield* Fiber.yield();
          n++;
        }
        return n;
      });
      traceln(`total ${total}`);
      return total;
    });
    expect(lines).toEqual(["total 42", "-> 42"]);
  });

  it("a body that never suspends, a plain function, a hand-written op and a plain iterator", async () => {
    const lines = await traced(function* () {
      traceln(String(yield* Sw.run(function* () {
        return "generator, no wait";
      })));
      traceln(String(yield* Sw.run(() => "plain function")));
      traceln(String(yield* Sw.run(() => P.await(P.createResolved("hand-written op")))));
      traceln(String(yield* Sw.run(() => plainIterator("plain iterator"))));
      // A hand-written op on top of the stack that waits: the scheduler resumes it directly.
      const [p, r] = P.create<string>();
      traceln(String(yield* Sw.run((sw) => {
        Fiber.fork(sw, function* () {
          yield* Fiber.yield();
          P.resolve(r, "hand-written op, woken");
        });
        return P.await(p);
      })));
    });
    expect(lines).toEqual(["generator, no wait", "plain function", "hand-written op", "plain iterator", "hand-written op, woken"]);
  });

  it("an error thrown after suspending reaches the caller's catch, and cleanup runs in order", async () => {
    const lines = await traced(function* () {
      try {
        yield* Sw.run(function* (sw) {
          Sw.onRelease(sw, () => traceln("release hook"));
          try {
            yield* Fiber.yield();
            throw failure("body failed");
          } finally {
            traceln("body finally");
          }
        });
      } catch (e) {
        traceln(`caught ${(e as Error).message}`);
      }
      // Back in the root context: not cancelled, can still block.
      yield* Fiber.yield();
      traceln("after");
    });
    expect(lines).toEqual(["body finally", "release hook", "caught body failed", "after"]);
  });

  it("nested Switch.run three deep, each level catching and rethrowing", async () => {
    const lines = await traced(function* () {
      function* level(depth: number): Operation<number> {
        return yield* Sw.run(function* () {
          yield* Fiber.yield();
          if (depth === 3) throw failure("deepest");
          try {
            return (yield* level(depth + 1)) + 1;
          } catch (e) {
            traceln(`level ${depth} saw ${(e as Error).message}`);
            if (depth === 1) return -1;
            throw e;
          } finally {
            yield* Fiber.yield();
            traceln(`level ${depth} done`);
          }
        });
      }
      return yield* level(1);
    });
    expect(lines).toEqual(["level 2 saw deepest", "level 2 done", "level 1 saw deepest", "level 1 done", "-> -1"]);
  });

  it("cancelling a fiber while its nested body waits delivers Cancelled into the body", async () => {
    const lines = await traced(function* () {
      yield* Sw.run(function* (sw) {
        Fiber.fork(sw, function* () {
          try {
            yield* Sw.run(function* () {
              try {
                yield* Fiber.awaitCancel();
              } finally {
                traceln("inner body unwinds");
              }
            });
          } catch (e) {
            traceln(`fiber sees ${e instanceof Cancel.Cancelled ? "Cancelled" : String(e)}`);
            throw e;
          }
        });
        yield* Fiber.yield();
        Sw.fail(sw, failure("stop"));
      });
    });
    expect(lines).toEqual(["inner body unwinds", "fiber sees Cancelled", "!! stop"]);
  });

  it("values pass through a user generator and a forwarding hand-written op between caller and body", async () => {
    /** Forwards like `Flow.copy` does: next/throw go to the inner operation unchanged. */
    class Forward<T> extends HandWrittenOp<T> {
      constructor(private readonly inner: Operation<T>) {
        super();
      }
      next(value?: unknown): IteratorResult<Suspend, T> {
        return this.inner.next(value);
      }
      override throw(error: unknown): never {
        return this.inner.throw(error) as never;
      }
    }
    function* helper(): Operation<string> {
      const a = yield* new Forward(Sw.run(function* () {
        yield* Fiber.yield();
        return "through";
      })) as unknown as Operation<string>;
      return `${a} both`;
    }
    expect(await traced(() => helper())).toEqual(["-> through both"]);
  });

  it("nested() returns anything that is not a generator or hand-written op unchanged", () => {
    const it = plainIterator(1) as unknown as Operation<number>;
    expect(nested(it)).toBe(it);
    const op = P.await(P.createResolved(1));
    expect(nested(op)).not.toBe(op);
    expect(op.next().done).toBe(true);
  });
});

describe("Promise.await: the reused operation", () => {
  it("two fibers hand a value back and forth many times (the switch-promise loop)", async () => {
    const lines = await traced(function* () {
      let [ping, pingR] = P.create<number>();
      let [pong, pongR] = P.create<number>();
      const seen: number[] = [];
      yield* Fiber.both(
        function* () {
          for (let i = 0; i < 200; i++) {
            P.resolve(pingR, i);
            seen.push(yield* P.await(pong));
            [pong, pongR] = P.create<number>();
          }
        },
        function* () {
          for (let i = 0; i < 200; i++) {
            const v = yield* P.await(ping);
            [ping, pingR] = P.create<number>();
            P.resolve(pongR, v * 2);
          }
        },
      );
      return seen.every((v, i) => v === i * 2) && seen.length === 200;
    });
    expect(lines).toEqual(["-> true"]);
  });

  it("several waits in flight at once, one cancelled: each gets its own value", async () => {
    const lines = await traced(function* () {
      const cells = [P.create<string>(), P.create<string>(), P.create<string>()];
      yield* Sw.run(function* (sw) {
        cells.forEach(([p], i) =>
          Fiber.fork(sw, function* () {
            try {
              traceln(`${i} got ${yield* P.await(p)}`);
            } catch (e) {
              traceln(`${i} ${e instanceof Cancel.Cancelled ? "cancelled" : String(e)}`);
            }
          }),
        );
        // Fiber 1 waits inside a sub-context that we cancel: its operation finishes by throwing.
        const [p1] = cells[1]!;
        yield* Cancel.sub(function* (ctx) {
          Fiber.fork(sw, function* () {
            traceln(`resolved: ${P.isResolved(p1)}`);
          });
          Cancel.cancel(ctx, failure("sub"));
          try {
            yield* P.await(p1);
          } catch {
            traceln("sub wait cancelled");
          }
        });
        P.resolve(cells[2]![1], "c");
        P.resolve(cells[0]![1], "a");
        yield* Fiber.yield();
        // Already resolved: returns at once, with the value, from a reused operation.
        traceln(`again ${yield* P.await(cells[0]![0])}`);
        P.resolve(cells[1]![1], "b");
      });
    });
    expect(lines).toEqual(["resolved: false", "sub wait cancelled", "2 got c", "0 got a", "again a", "1 got b"]);
  });
});

describe("Stream.add / Stream.take: the reused operations", () => {
  it("three producers and two consumers blocked at once on a small stream lose and duplicate nothing", async () => {
    const lines = await traced(function* () {
      const s = Stream.create<string>(1);
      const got: string[] = [];
      yield* Sw.run(function* (sw) {
        for (const name of ["a", "b", "c"]) {
          Fiber.fork(sw, function* () {
            for (let i = 0; i < 50; i++) yield* Stream.add(s, `${name}${i}`);
          });
        }
        for (let c = 0; c < 2; c++) {
          Fiber.fork(sw, function* () {
            for (let i = 0; i < 75; i++) got.push(yield* Stream.take(s));
          });
        }
      });
      // Two consumers may record in another order than they took: compare as sets.
      const perProducer = ["a", "b", "c"].map((n) =>
        got.filter((x) => x.startsWith(n)).map((x) => Number(x.slice(1))).sort((x, y) => x - y),
      );
      const complete = perProducer.every((xs) => xs.length === 50 && xs.every((x, i) => x === i));
      return `${got.length} ${complete}`;
    });
    expect(lines).toEqual(["-> 150 true"]);
  });

  it("a cancelled blocked add and take leave their operations fit for the next caller", async () => {
    const lines = await traced(function* () {
      const s = Stream.create<number>(0);
      for (const what of ["add", "take"] as const) {
        try {
          yield* Cancel.sub(function* (ctx) {
            yield* Sw.run(function* (sw) {
              Fiber.fork(sw, function* () {
                yield* Fiber.yield();
                Cancel.cancel(ctx, failure(`stop ${what}`));
              });
              if (what === "add") yield* Stream.add(s, 1);
              else yield* Stream.take(s);
            });
          });
        } catch (e) {
          traceln(`${what}: ${e instanceof Cancel.Cancelled ? "cancelled" : String(e)}`);
        }
      }
      yield* Fiber.both(
        function* () {
          for (let i = 0; i < 3; i++) yield* Stream.add(s, i);
        },
        function* () {
          for (let i = 0; i < 3; i++) traceln(`took ${yield* Stream.take(s)}`);
        },
      );
    });
    expect(lines).toEqual(["add: cancelled", "take: cancelled", "took 0", "took 1", "took 2"]);
  });

  it("an operation made but not run yet is not handed out again", async () => {
    const lines = await traced(function* () {
      const s = Stream.create<number>(10);
      // (Not `expect(op)`: it would iterate the operation, running it.)
      const first = Stream.add(s, 1);
      const second = Stream.add(s, 2);
      traceln(`distinct adds: ${first !== second}`);
      yield* second;
      yield* first;
      const t1 = Stream.take(s);
      const t2 = Stream.take(s);
      traceln(`distinct takes: ${t1 !== t2}`);
      const a = yield* t2;
      const b = yield* t1;
      // Finished: the next ones may be the same objects again, and work.
      yield* Stream.add(s, 3);
      traceln(`${a} ${b} ${yield* Stream.take(s)}`);
    });
    expect(lines).toEqual(["distinct adds: true", "distinct takes: true", "2 1 3"]);
  });
});

// The shared step result must never be mutated by anyone (it is frozen).
it("SUSPEND_STEP is frozen", () => {
  expect(Object.isFrozen(SUSPEND_STEP)).toBe(true);
});
