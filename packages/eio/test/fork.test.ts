// Forking and the run queue (Eio's tests/fiber.md "Scheduling order", tests/switch.md
// `Fiber.both`, tests/sync.md "Some simple tests of fork").
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";
import type { Switch } from "../src/core/switch.js";

const { Fiber, Switch: Sw, Promise: P, Cancel, traceln } = Eio;

function run(fn: (sw: Switch) => unknown) {
  return traced(() => Sw.run(fn));
}

describe("scheduling order", () => {
  it("fork runs the child first and puts the caller at the head of the run queue", async () => {
    expect(
      await run((sw) => {
        Fiber.fork(sw, function* () {
          traceln("1st child runs");
          yield* Fiber.yield();
          traceln("Queued work");
        });
        Fiber.fork(sw, () => traceln("2nd child runs immediately"));
        traceln("Caller runs before queued work");
        return "ok";
      }),
    ).toEqual(["1st child runs", "2nd child runs immediately", "Caller runs before queued work", "Queued work", "-> ok"]);
  });

  it("both runs its branches before queued work", async () => {
    expect(
      await run(function* (sw) {
        Fiber.fork(sw, function* () {
          traceln("Enqueuing work for later");
          yield* Fiber.yield();
          traceln("Queued work");
        });
        yield* Fiber.both(
          () => traceln("1st branch"),
          () => traceln("2nd branch"),
        );
        return "ok";
      }),
    ).toEqual(["Enqueuing work for later", "1st branch", "2nd branch", "Queued work", "-> ok"]);
  });

  it("first runs its branches before queued work", async () => {
    expect(
      await run(function* (sw) {
        Fiber.fork(sw, function* () {
          traceln("Enqueuing work for later");
          yield* Fiber.yield();
          traceln("Queued work");
        });
        yield* Fiber.first(
          () => traceln("1st branch"),
          () => traceln("2nd branch"),
        );
        return "ok";
      }),
    ).toEqual(["Enqueuing work for later", "1st branch", "2nd branch", "Queued work", "-> ok"]);
  });

  it("a woken fiber goes to the tail of the run queue", async () => {
    expect(
      await run(function* (sw) {
        const [p, r] = P.create<void>();
        Fiber.fork(sw, function* () {
          yield* P.await(p);
          traceln("waiter resumed");
        });
        Fiber.fork(sw, function* () {
          yield* Fiber.yield();
          traceln("yielder resumed");
        });
        P.resolve(r, undefined);
        traceln("resolved (no switch yet)");
        yield* Fiber.yield();
        traceln("main resumed");
      }),
    ).toEqual(["resolved (no switch yet)", "yielder resumed", "waiter resumed", "main resumed"]);
  });

  it("resolving a promise never switches fibers, traceln neither", async () => {
    expect(
      await run(function* (sw) {
        const [p, r] = P.create<number>();
        Fiber.fork(sw, function* () {
          traceln("got %d", yield* P.await(p));
        });
        P.resolve(r, 1);
        traceln("still main");
        traceln("still main");
      }),
    ).toEqual(["still main", "still main", "got 1"]);
  });
});

describe("Fiber.both", () => {
  const loop = (name: string, n: number) =>
    function* () {
      for (let i = 1; i <= n; i++) {
        traceln("%s = %d", name, i);
        yield* Fiber.yield();
      }
    };

  it("interleaves two yielding fibers strictly", async () => {
    expect(await traced(() => Fiber.both(loop("i", 2), loop("j", 2)))).toEqual(["i = 1", "j = 1", "i = 2", "j = 2"]);
  });

  it("fails with the second's error; the first stops at its next yield", async () => {
    expect(
      await traced(() =>
        Fiber.both(loop("i", 5), () => {
          throw failure("Failed");
        }),
      ),
    ).toEqual(["i = 1", "!! Failed"]);
  });

  it("fails with the first's error; the second stops at its next yield", async () => {
    expect(
      await traced(() =>
        Fiber.both(function* () {
          yield* Fiber.yield();
          throw failure("Failed");
        }, loop("i", 5)),
      ),
    ).toEqual(["i = 1", "!! Failed"]);
  });

  it("does not start the second when the first fails at once", async () => {
    expect(
      await traced(function* () {
        yield* Fiber.both(
          () => {
            throw failure("Failed");
          },
          () => traceln("Second OK"),
        );
        traceln("Not reached");
      }),
    ).toEqual(["!! Failed"]);
  });

  it("fails when the second fails after the first finished", async () => {
    expect(
      await traced(function* () {
        yield* Fiber.both(
          () => {},
          () => {
            throw failure("Failed");
          },
        );
        traceln("not reached");
      }),
    ).toEqual(["!! Failed"]);
  });

  it("reports both failures, in order, when both fail", async () => {
    expect(
      await traced(() =>
        Fiber.both(
          function* () {
            yield* Cancel.protect(() => Fiber.yield());
            throw failure("Failed 1");
          },
          function* () {
            yield* Cancel.protect(() => Fiber.yield());
            throw failure("Failed 2");
          },
        ),
      ),
    ).toEqual(["!! MultipleErrors[Failed 1, Failed 2]"]);
  });
});

describe("Fiber.pair and Fiber.all", () => {
  it("pair returns both results", async () => {
    expect(await traced(() => Fiber.pair(() => "a", () => "b"))).toEqual(['-> ["a","b"]']);
  });

  it("all runs every function in order", async () => {
    expect(
      await traced(function* () {
        yield* Fiber.all([]);
        yield* Fiber.all([0, 1, 2].map((x) => () => traceln("fiber %d", x)));
        return "done";
      }),
    ).toEqual(["fiber 0", "fiber 1", "fiber 2", "-> done"]);
  });

  it("all does not start later functions after a failure", async () => {
    expect(
      await traced(() =>
        Fiber.all([
          () => traceln("fiber 0"),
          () => {
            throw failure("fiber 1 failed");
          },
          () => traceln("Not reached"),
        ]),
      ),
    ).toEqual(["fiber 0", "!! fiber 1 failed"]);
  });

  it("does not start branches when already cancelled", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          () => {
            throw failure("Simulated error");
          },
          function* () {
            yield* Fiber.both(
              () => traceln("Not reached"),
              () => traceln("Not reached"),
            );
            throw failure("assert false");
          },
        ),
      ),
    ).toEqual(["!! Simulated error"]);
  });
});

describe("fork (from tests/sync.md)", () => {
  it("a forked fiber runs before the switch returns, and its error escapes the switch", async () => {
    expect(
      await traced(function* () {
        let i = 0;
        yield* Sw.run((sw) => Fiber.fork(sw, () => void i++));
        traceln("Forked code ran; i is now %d", i);
        const [p1, r1] = P.create<void>();
        try {
          yield* Sw.run((sw) => {
            Fiber.fork(sw, function* () {
              yield* P.await(p1);
              i++;
              throw failure("Exit");
            });
            traceln("Forked code waiting; i is still %d", i);
            P.resolve(r1, undefined);
          });
        } catch (e) {
          traceln("Forked code ran; i is now %d (%s)", i, show(e));
        }
      }),
    ).toEqual(["Forked code ran; i is now 1", "Forked code waiting; i is still 1", "Forked code ran; i is now 2 (Exit)"]);
  });
});

describe("Fiber.forkPromise", () => {
  it("puts the fiber's failure in the promise, not the switch", async () => {
    expect(
      await run(function* (sw) {
        const p = Fiber.forkPromise<number>(sw, () => {
          throw failure("in promise");
        });
        try {
          yield* P.awaitExn(p);
        } catch (e) {
          traceln("awaitExn threw %s", show(e));
        }
        traceln("switch error: %s", Sw.getError(sw));
      }),
    ).toEqual(["awaitExn threw in promise", "switch error: null"]);
  });

  it("inherits the cancellation context from the switch, not from the caller", async () => {
    expect(
      await traced(function* () {
        let sw: Switch | null = null;
        yield* Fiber.both(
          () =>
            Sw.run((s) => {
              sw = s;
              return Fiber.awaitCancel();
            }),
          () =>
            Cancel.protect(function* () {
              const child = Fiber.forkPromise(sw!, function* () {
                traceln("Forked child");
                yield* Fiber.awaitCancel();
              });
              Sw.fail(sw!, failure("Exit"));
              yield* P.awaitExn(child);
            }),
        );
        return "not reached";
      }),
    ).toEqual(["Forked child", "!! Exit"]);
  });

  it("gives a failed promise when the switch is already cancelled", async () => {
    expect(
      await run(function* (sw) {
        Sw.fail(sw, failure("off"));
        const p = Fiber.forkPromise(sw, () => traceln("Not reached"));
        traceln("promise: %s", show((P.peek(p) as { error: unknown }).error));
      }),
    ).toEqual(["promise: Cancelled(off)", "!! off"]);
  });
});

describe("Fiber.awaitCancel", () => {
  it("throws Cancelled with the reason when the fiber is cancelled", async () => {
    expect(
      await traced(function* () {
        yield* Fiber.both(
          function* () {
            try {
              yield* Fiber.awaitCancel();
            } catch (e) {
              traceln("Caught: %s", show(e));
              throw e;
            }
          },
          () => {
            throw failure("simulated error");
          },
        );
        return "not reached";
      }),
    ).toEqual(["Caught: Cancelled(simulated error)", "!! simulated error"]);
  });
});

describe("Fiber.yield, check and isCancelled", () => {
  it("yield checks for cancellation after resuming", async () => {
    expect(
      await run(function* (sw) {
        Fiber.fork(sw, function* () {
          traceln("child yields");
          try {
            yield* Fiber.yield();
          } catch (e) {
            traceln("child: %s", show(e));
          }
        });
        Sw.fail(sw, failure("stop"));
      }),
    ).toEqual(["child yields", "child: Cancelled(stop)", "!! stop"]);
  });

  it("check and isCancelled see the current context", async () => {
    expect(
      await run((sw) => {
        traceln("cancelled: %s", Fiber.isCancelled());
        Sw.fail(sw, failure("stop"));
        traceln("cancelled: %s", Fiber.isCancelled());
        try {
          Fiber.check();
        } catch (e) {
          traceln("check: %s", show(e));
        }
      }),
    ).toEqual(["cancelled: false", "cancelled: true", "check: Cancelled(stop)", "!! stop"]);
  });
});
