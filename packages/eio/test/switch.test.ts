// Ported from Eio's tests/switch.md: switches wait for their fibers, fail as a unit, and refuse
// to be used once finished.
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";
import type { Switch } from "../src/core/switch.js";

const { Fiber, Switch: Sw, Promise: P, Cancel, traceln } = Eio;

function run(fn: (sw: Switch) => unknown) {
  return traced(() => Sw.run(fn));
}

/** Eio's `fork_sub`: a child switch in its own fiber, whose errors go to `onError`. */
function forkSub(sw: Switch, onError: (e: unknown) => void, fn: (sw: Switch) => unknown): void {
  Fiber.fork(sw, function* () {
    try {
      yield* Sw.run(fn);
    } catch (e) {
      if (e instanceof Cancel.Cancelled) return;
      onError(e);
    }
  });
}

describe("Switch.run", () => {
  it("runs its body", async () => {
    expect(await run(() => traceln("Running"))).toEqual(["Running"]);
  });

  it("lets the body carry on after Switch.fail until it blocks, then throws the failure", async () => {
    expect(
      await run((sw) => {
        traceln("Running");
        Sw.fail(sw, failure("Cancel"));
        traceln("Clean up");
      }),
    ).toEqual(["Running", "Clean up", "!! Cancel"]);
  });

  it("does not start a fiber forked into a cancelled switch", async () => {
    expect(
      await run((sw) => {
        Sw.fail(sw, failure("Cancel"));
        Fiber.fork(sw, () => traceln("Not reached"));
        traceln("Main continues");
      }),
    ).toEqual(["Main continues", "!! Cancel"]);
  });

  it("cannot be used after it has finished", async () => {
    expect(
      await traced(function* () {
        const sw = yield* Sw.run<Switch>((sw) => sw);
        Sw.check(sw);
      }),
    ).toEqual(["!! SwitchFinished: Cannot check the switch: the switch has finished. Use a switch that is still running."]);
  });

  it("refuses forks into a finished switch", async () => {
    expect(
      await traced(function* () {
        const sw = yield* Sw.run<Switch>((sw) => sw);
        Fiber.fork(sw, () => traceln("Not reached"));
      }),
    ).toEqual(["!! SwitchFinished: Cannot fork a fiber: the switch has finished. Use a switch that is still running."]);
  });

  it("waits for all its fibers before returning", async () => {
    expect(
      await traced(function* () {
        yield* Sw.run((sw) => {
          Fiber.fork(sw, function* () {
            yield* Fiber.yield();
            yield* Fiber.yield();
            traceln("child done");
          });
          traceln("body done");
        });
        traceln("switch done");
      }),
    ).toEqual(["body done", "child done", "switch done"]);
  });

  it("rethrows the original error, not Cancelled, and runs the other fibers' finally blocks", async () => {
    expect(
      await run((sw) => {
        Fiber.fork(sw, function* () {
          try {
            yield* Fiber.awaitCancel();
          } catch (e) {
            traceln("child got %s", show(e));
            throw e;
          } finally {
            traceln("child finally");
          }
        });
        Fiber.fork(sw, () => {
          throw failure("boom");
        });
      }),
    ).toEqual(["child got Cancelled(boom)", "child finally", "!! boom"]);
  });
});

describe("waiting for a promise or a cancellation", () => {
  it("cancellation first: the waiter never resumes", async () => {
    expect(
      await run(function* (sw) {
        const [p, r] = P.create<void>();
        Fiber.fork(sw, () =>
          Fiber.both(
            function* () {
              traceln("Waiting");
              yield* P.await(p);
              traceln("Resolved");
            },
            () => {
              throw failure("Cancelled");
            },
          ),
        );
        yield* Fiber.yield();
        P.resolve(r, undefined);
        traceln("Main thread done");
      }),
    ).toEqual(["Waiting", "Main thread done", "!! Cancelled"]);
  });

  it("promise first: the waiter resumes before the switch is failed", async () => {
    expect(
      await run(function* (sw) {
        const [p, r] = P.create<void>();
        Fiber.fork(sw, function* () {
          traceln("Waiting");
          yield* P.await(p);
          traceln("Resolved");
        });
        P.resolve(r, undefined);
        yield* Fiber.yield();
        traceln("Now cancelling...");
        Sw.fail(sw, failure("Cancelled"));
      }),
    ).toEqual(["Waiting", "Resolved", "Now cancelling...", "!! Cancelled"]);
  });

  it("switch failed first: resolving afterwards does not resume the waiter", async () => {
    expect(
      await run((sw) => {
        const [p, r] = P.create<void>();
        Fiber.fork(sw, function* () {
          traceln("Waiting");
          yield* P.await(p);
          traceln("Resolved");
        });
        Sw.fail(sw, failure("Cancelled"));
        P.resolve(r, undefined);
      }),
    ).toEqual(["Waiting", "!! Cancelled"]);
  });

  it("an operation that completed while its fiber was queued returns its value despite a later cancel", async () => {
    expect(
      await run((sw) => {
        const [p, r] = P.create<void>();
        Fiber.fork(sw, function* () {
          traceln("Waiting");
          yield* P.await(p);
          traceln("Resolved");
        });
        P.resolve(r, undefined);
        traceln("Now cancelling...");
        Sw.fail(sw, failure("Cancelled"));
      }),
    ).toEqual(["Waiting", "Now cancelling...", "Resolved", "!! Cancelled"]);
  });
});

describe("child switches", () => {
  const onError = (e: unknown) => traceln("child: %s", show(e));

  it("are cancelled with their parent, without calling onError", async () => {
    expect(
      await run((sw) => {
        const [p] = P.create<void>();
        forkSub(sw, onError, function* () {
          traceln("Child 1");
          yield* P.await(p);
        });
        forkSub(sw, onError, function* () {
          traceln("Child 2");
          yield* P.await(p);
        });
        Sw.fail(sw, failure("Cancel parent"));
      }),
    ).toEqual(["Child 1", "Child 2", "!! Cancel parent"]);
  });

  it("can fail without failing the parent", async () => {
    expect(
      await run(function* (sw) {
        const [p1, r1] = P.create<Eio.Result<void>>();
        const [p2, r2] = P.create<Eio.Result<void>>();
        forkSub(sw, onError, function* () {
          traceln("Child 1");
          yield* P.awaitExn(p1);
        });
        forkSub(sw, onError, function* () {
          traceln("Child 2");
          yield* P.awaitExn(p2);
        });
        P.resolveError(r1, failure("Child error"));
        P.resolveOk(r2, undefined);
        yield* Fiber.yield();
        traceln("Parent fiber is still running");
      }),
    ).toEqual(["Child 1", "Child 2", "child: Child error", "Parent fiber is still running"]);
  });

  it("can be cancelled without cancelling the parent", async () => {
    expect(
      await run(function* (sw) {
        const [p] = P.create<void>();
        let child: Switch | null = null;
        forkSub(sw, onError, function* (sw) {
          traceln("Child 1");
          child = sw;
          yield* P.await(p);
        });
        Sw.fail(child!, failure("Cancel child"));
        yield* Fiber.yield();
        traceln("Parent fiber is still running");
      }),
    ).toEqual(["Child 1", "child: Cancel child", "Parent fiber is still running"]);
  });

  it("fails the parent when the child's error handler throws", async () => {
    expect(
      await run(function* (sw) {
        const [p, r] = P.create<Eio.Result<void>>();
        forkSub(
          sw,
          (e) => {
            throw e;
          },
          function* () {
            traceln("Child");
            yield* P.awaitExn(p);
          },
        );
        P.resolveError(r, failure("Child error escapes"));
        yield* Fiber.yield();
        traceln("Not reached");
      }),
    ).toEqual(["Child", "!! Child error escapes"]);
  });

  it("keeps the parent running when the handler deals with the error", async () => {
    expect(
      await run(function* (sw) {
        const [p, r] = P.create<Eio.Result<void>>();
        forkSub(sw, (e) => traceln("caught: %s", show(e)), function* () {
          traceln("Child");
          yield* P.awaitExn(p);
        });
        P.resolveError(r, failure("Child error is caught"));
        yield* Fiber.yield();
        traceln("Still running");
      }),
    ).toEqual(["Child", "caught: Child error is caught", "Still running"]);
  });
});

describe("Switch.runProtected", () => {
  it("is not cancelled when the caller's context is", async () => {
    expect(
      await run((sw) => {
        Fiber.fork(sw, () =>
          Sw.runProtected(function* () {
            yield* Fiber.yield();
            traceln("protected switch still running, cancelled = %s", Fiber.isCancelled());
          }),
        );
        Sw.fail(sw, failure("outer"));
      }),
    ).toEqual(["protected switch still running, cancelled = false", "!! outer"]);
  });

  it("still runs when the caller is already cancelled", async () => {
    expect(
      await run(function* (sw) {
        Sw.fail(sw, failure("outer"));
        const v = yield* Sw.runProtected(() => 7);
        traceln("got %d", v);
      }),
    ).toEqual(["got 7", "!! outer"]);
  });

  it("reports its own failures", async () => {
    expect(
      await traced(() =>
        Sw.runProtected((sw) => {
          Sw.fail(sw, failure("inner"));
        }),
      ),
    ).toEqual(["!! inner"]);
  });
});

describe("Switch.run when the caller is cancelled", () => {
  it("throws Cancelled at once without running the body", async () => {
    expect(
      await run(function* (sw) {
        Sw.fail(sw, failure("outer"));
        try {
          yield* Sw.run(() => traceln("Not reached"));
        } catch (e) {
          traceln("caught %s", show(e));
        }
      }),
    ).toEqual(["caught Cancelled(outer)", "!! outer"]);
  });
});

describe("Switch.getError and Switch.check", () => {
  it("report the cancellation state", async () => {
    expect(
      await run((sw) => {
        traceln("before: %s", Sw.getError(sw));
        Sw.fail(sw, failure("stop"));
        traceln("after: %s", show(Sw.getError(sw)));
        try {
          Sw.check(sw);
        } catch (e) {
          traceln("check: %s", show(e));
        }
      }),
    ).toEqual(["before: null", "after: Cancelled(stop)", "check: Cancelled(stop)", "!! stop"]);
  });
});
