// Eio.Cancel: protect, sub, cancel, and the AbortSignal bridges.
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";

const { Fiber, Switch: Sw, Promise: P, Cancel, traceln } = Eio;

describe("Cancel.protect", () => {
  it("shields its body from the caller's cancellation; the caller sees it at its next blocking point", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          Fiber.fork(sw, function* () {
            yield* Cancel.protect(function* () {
              yield* Fiber.yield();
              traceln("protected body finished, isCancelled = %s", Fiber.isCancelled());
            });
            traceln("after protect, isCancelled = %s", Fiber.isCancelled());
            yield* Fiber.yield();
            traceln("not reached");
          });
          Sw.fail(sw, failure("stop"));
        }),
      ),
    ).toEqual(["protected body finished, isCancelled = false", "after protect, isCancelled = true", "!! stop"]);
  });

  it("is needed to block inside the finally of a cancelled fiber", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          Fiber.fork(sw, function* () {
            try {
              yield* Fiber.awaitCancel();
            } finally {
              try {
                yield* Fiber.yield();
              } catch (e) {
                traceln("unprotected: %s", show(e));
              }
              yield* Cancel.protect(() => Fiber.yield());
              traceln("protected cleanup done");
            }
          });
          Sw.fail(sw, failure("stop"));
        }),
      ),
    ).toEqual(["unprotected: Cancelled(stop)", "protected cleanup done", "!! stop"]);
  });

  it("returns its body's value and throws its body's error", async () => {
    expect(
      await traced(function* () {
        traceln("value %d", yield* Cancel.protect(() => 3));
        yield* Cancel.protect(() => {
          throw failure("inside");
        });
      }),
    ).toEqual(["value 3", "!! inside"]);
  });

  it("a switch inside protect is not cancelled by the outer switch", async () => {
    expect(
      await traced(() =>
        Sw.run((outer) => {
          Fiber.fork(outer, () =>
            Cancel.protect(() =>
              Sw.run((inner) => {
                Fiber.fork(inner, function* () {
                  yield* Fiber.yield();
                  yield* Fiber.yield();
                  traceln("inner fiber finished");
                });
              }),
            ),
          );
          Sw.fail(outer, failure("outer failed"));
        }),
      ),
    ).toEqual(["inner fiber finished", "!! outer failed"]);
  });
});

describe("Cancel.sub and Cancel.cancel", () => {
  it("cancelling a sub-context cancels only its fibers", async () => {
    expect(
      await traced(function* () {
        try {
          yield* Cancel.sub(function* (ctx) {
            Cancel.cancel(ctx, failure("enough"));
            yield* Fiber.yield();
          });
        } catch (e) {
          traceln("sub: %s", show(e));
        }
        traceln("outer still on: %s", !Fiber.isCancelled());
      }),
    ).toEqual(["sub: Cancelled(enough)", "outer still on: true"]);
  });

  it("throws at once if the caller is already cancelled", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          Sw.fail(sw, failure("off"));
          try {
            yield* Cancel.sub(() => traceln("not reached"));
          } catch (e) {
            traceln("sub: %s", show(e));
          }
        }),
      ),
    ).toEqual(["sub: Cancelled(off)", "!! off"]);
  });

  it("cancel wakes the waiting fibers in the order they joined the context", async () => {
    expect(
      await traced(() =>
        Cancel.sub((ctx) =>
          Sw.run((sw) => {
            for (const name of ["a", "b", "c"]) {
              Fiber.fork(sw, function* () {
                try {
                  yield* Fiber.awaitCancel();
                } catch {
                  traceln("%s cancelled", name);
                }
              });
            }
            Cancel.cancel(ctx, failure("go"));
          }),
        ),
      ),
    ).toEqual(["a cancelled", "b cancelled", "c cancelled"]);
  });

  it("getError and check report the context's state; a finished context is an error", async () => {
    expect(
      await traced(function* () {
        const saved = yield* Cancel.sub<Eio.Cancel.Context>((ctx) => {
          traceln("on: %s", Cancel.getError(ctx));
          return ctx;
        });
        traceln("finished: %s", show(Cancel.getError(saved)));
        try {
          Cancel.cancel(saved, failure("late"));
        } catch (e) {
          traceln("cancel: %s", show(e));
        }
      }),
    ).toEqual([
      "on: null",
      "finished: Cannot use the cancellation context: it has finished.",
      "cancel: Cannot cancel the context: it has finished.",
    ]);
  });

  it("Cancelled carries the reason as its cause", async () => {
    const reason = failure("timeout");
    const e = new Cancel.Cancelled(reason);
    expect([e.name, e.cause === reason, e.message, e instanceof Error]).toEqual([
      "Cancelled",
      true,
      "Cancelled: Error: timeout",
      true,
    ]);
  });
});

describe("AbortSignal interop", () => {
  it("Switch.signal aborts with the reason when the switch is cancelled", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          const signal = Sw.signal(sw);
          signal.addEventListener("abort", () => traceln("aborted: %s", show(signal.reason)));
          traceln("aborted before: %s", signal.aborted);
          Sw.fail(sw, failure("stop"));
        }),
      ),
    ).toEqual(["aborted before: false", "aborted: stop", "!! stop"]);
  });

  it("Switch.signal of an already-cancelled switch is already aborted", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          Sw.fail(sw, failure("early"));
          const signal = Sw.signal(sw);
          traceln("%s %s", signal.aborted, show(signal.reason));
        }),
      ),
    ).toEqual(["true early", "!! early"]);
  });

  it("Switch.signal stops a native timer", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          Fiber.fork(sw, function* () {
            try {
              yield* Fiber.awaitNative(
                new Promise<void>((resolve, reject) => {
                  const signal = Sw.signal(sw);
                  const timer = setTimeout(resolve, 60_000);
                  signal.addEventListener("abort", () => {
                    clearTimeout(timer);
                    reject(signal.reason);
                  });
                }),
              );
            } catch (e) {
              traceln("native wait: %s", show(e));
            }
          });
          Sw.fail(sw, failure("shutdown"));
        }),
      ),
    ).toEqual(["native wait: Cancelled(shutdown)", "!! shutdown"]);
  });

  it("a protected child context's signal is not aborted by its parent", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          const signal = yield* Cancel.protect<AbortSignal>(() => Cancel.signal(Cancel.current()));
          Sw.fail(sw, failure("stop"));
          traceln("protected signal aborted: %s, switch signal aborted: %s", signal.aborted, Sw.signal(sw).aborted);
        }),
      ),
    ).toEqual(["protected signal aborted: false, switch signal aborted: true", "!! stop"]);
  });

  it("Cancel.signal aborts when the context is cancelled", async () => {
    expect(
      await traced(() =>
        Cancel.sub((ctx) => {
          const signal = Cancel.signal(ctx);
          Cancel.cancel(ctx, failure("stop"));
          traceln("%s %s", signal.aborted, show(signal.reason));
        }),
      ),
    ).toEqual(["true stop"]);
  });

  it("Cancel.sub with a signal is cancelled when the signal aborts later", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(failure("user pressed stop")), 5);
    expect(
      await traced(function* () {
        try {
          yield* Cancel.sub(() => Fiber.awaitCancel(), { signal: controller.signal });
        } catch (e) {
          traceln("sub: %s", show(e));
        }
        return "done";
      }),
    ).toEqual(["sub: Cancelled(user pressed stop)", "-> done"]);
  });

  it("Cancel.sub with an already-aborted signal starts cancelled", async () => {
    const controller = new AbortController();
    controller.abort(failure("too late"));
    expect(
      await traced(function* () {
        try {
          yield* Cancel.sub(function* () {
            traceln("body runs, cancelled = %s", Fiber.isCancelled());
            yield* Fiber.yield();
          }, { signal: controller.signal });
        } catch (e) {
          traceln("sub: %s", show(e));
        }
      }),
    ).toEqual(["body runs, cancelled = true", "sub: Cancelled(too late)"]);
  });

  it("Cancel.sub stops listening when it returns (a later abort does nothing)", async () => {
    const controller = new AbortController();
    expect(
      await traced(function* () {
        yield* Cancel.sub(() => traceln("quick body"), { signal: controller.signal });
        controller.abort(failure("after"));
        yield* Fiber.yield();
        traceln("still on: %s", !Fiber.isCancelled());
      }),
    ).toEqual(["quick body", "still on: true"]);
  });

  it("Eio.run with a signal cancels the whole program", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(failure("SIGINT")), 5);
    expect(
      await traced(
        () =>
          Sw.run((sw) => {
            Fiber.fork(sw, function* () {
              try {
                yield* Fiber.awaitCancel();
              } finally {
                traceln("worker cleaned up");
              }
            });
            // An outside wake-up source keeps this from being a deadlock until the signal fires.
            return Fiber.awaitNative(new Promise(() => {}));
          }),
        { signal: controller.signal },
      ),
    ).toEqual(["worker cleaned up", "!! Cancelled(SIGINT)"]);
  });

  it("Eio.run with an already-aborted signal runs main cancelled", async () => {
    const controller = new AbortController();
    controller.abort(failure("before start"));
    expect(
      await traced(
        function* () {
          traceln("main starts, cancelled = %s", Fiber.isCancelled());
          yield* Fiber.yield();
        },
        { signal: controller.signal },
      ),
    ).toEqual(["main starts, cancelled = true", "!! Cancelled(before start)"]);
  });

  it("a fiber waiting on a native promise is cancelled from the outside signal", async () => {
    const controller = new AbortController();
    expect(
      await traced(function* () {
        const [p, r] = P.create<string>();
        setTimeout(() => controller.abort(failure("abort")), 5);
        try {
          yield* Cancel.sub(() => Fiber.awaitNative(new Promise(() => {})), { signal: controller.signal });
        } catch (e) {
          traceln("%s", show(e));
        }
        P.resolve(r, "ok");
        return yield* P.await(p);
      }),
    ).toEqual(["Cancelled(abort)", "-> ok"]);
  });
});

describe("cancellation order", () => {
  it("wakes fibers of nested contexts before those of the cancelled context itself (as Eio)", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          Fiber.fork(sw, function* () {
            try {
              yield* Fiber.awaitCancel();
            } catch {
              traceln("outer fiber cancelled");
            }
          });
          Fiber.fork(sw, () =>
            Sw.run(function* () {
              try {
                yield* Fiber.awaitCancel();
              } catch {
                traceln("inner fiber cancelled");
              }
            }),
          );
          Fiber.fork(sw, () => {
            throw failure("stop");
          });
        }),
      ),
    ).toEqual(["inner fiber cancelled", "outer fiber cancelled", "!! stop"]);
  });

  it("aborts signals after every context of the subtree is marked", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) =>
          Cancel.sub((inner) => {
            Sw.signal(sw).addEventListener("abort", () => traceln("inner cancelled when outer signal fires: %s", Cancel.getError(inner) !== null));
            Sw.fail(sw, failure("stop"));
          }),
        ),
      ),
    ).toEqual(["inner cancelled when outer signal fires: true", "!! stop"]);
  });
});

describe("blocking in a cancelled context", () => {
  it("queues the fiber behind the runnable ones before it sees Cancelled (Eio's Suspend.enter)", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          Fiber.fork(sw, () =>
            Cancel.protect(function* () {
              yield* Fiber.yield();
              traceln("queued fiber ran first");
            }),
          );
          Fiber.fork(sw, function* () {
            Sw.fail(sw, failure("stop"));
            const [p] = P.create<void>();
            try {
              yield* P.await(p);
            } catch (e) {
              traceln("then the waiter got %s", show(e));
            }
          });
        }),
      ),
    ).toEqual(["queued fiber ran first", "then the waiter got Cancelled(stop)", "!! stop"]);
  });
});
