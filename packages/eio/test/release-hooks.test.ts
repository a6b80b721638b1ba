// Release hooks (Eio's tests/switch.md "Release handlers" and "Error reporting").
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";
import type { Switch } from "../src/core/switch.js";

const { Fiber, Switch: Sw, traceln } = Eio;

function run(fn: (sw: Switch) => unknown) {
  return traced(() => Sw.run(fn));
}

/** Eio's `release label`: yield (hooks may block), then trace. */
function* release(label: string) {
  yield* Fiber.yield();
  traceln("release %s", label);
}

describe("Switch.onRelease", () => {
  it("runs hooks last registered first on success", async () => {
    expect(
      await run((sw) => {
        Sw.onRelease(sw, () => release("1"));
        Sw.onRelease(sw, () => release("2"));
      }),
    ).toEqual(["release 2", "release 1"]);
  });

  it("runs hooks last registered first after a failure", async () => {
    expect(
      await run((sw) => {
        Sw.onRelease(sw, () => release("1"));
        Sw.onRelease(sw, () => release("2"));
        throw failure("Test error");
      }),
    ).toEqual(["release 2", "release 1", "!! Test error"]);
  });

  it("runs every hook when some fail, and reports the failures in order", async () => {
    expect(
      await run((sw) => {
        Sw.onRelease(sw, function* () {
          yield* release("1");
          throw failure("failure 1");
        });
        Sw.onRelease(sw, () => release("2"));
        Sw.onRelease(sw, function* () {
          yield* release("3");
          throw failure("failure 3");
        });
      }),
    ).toEqual(["release 3", "release 2", "release 1", "!! MultipleErrors[failure 3, failure 1]"]);
  });

  it("runs hooks after all fibers have finished, one at a time", async () => {
    expect(
      await run((sw) => {
        Sw.onRelease(sw, function* () {
          traceln("hook A starts");
          yield* Fiber.yield();
          traceln("hook A ends");
        });
        Sw.onRelease(sw, function* () {
          traceln("hook B starts");
          yield* Fiber.yield();
          traceln("hook B ends");
        });
        Fiber.fork(sw, function* () {
          yield* Fiber.yield();
          traceln("fiber ends");
        });
      }),
    ).toEqual(["fiber ends", "hook B starts", "hook B ends", "hook A starts", "hook A ends"]);
  });

  it("runs hooks protected from the switch's cancellation", async () => {
    expect(
      await run((sw) => {
        Sw.onRelease(sw, function* () {
          yield* Fiber.yield();
          traceln("hook ran to the end, cancelled = %s", Fiber.isCancelled());
        });
        Sw.fail(sw, failure("stop"));
      }),
    ).toEqual(["hook ran to the end, cancelled = false", "!! stop"]);
  });

  it("runs a hook added to a finished switch at once, then throws (from a cancelled context)", async () => {
    expect(
      await run(function* (sw) {
        const sub = yield* Sw.run<Switch>((s) => s);
        Sw.fail(sw, failure("Parent cancelled too!"));
        Sw.onRelease(sub, () => traceln("release 1"));
      }),
    ).toEqual([
      "release 1",
      "!! MultipleErrors[Parent cancelled too!, SwitchFinished: Cannot add a release hook: the switch has finished. Use a switch that is still running.]",
    ]);
  });

  it("runs a blocking hook added to a finished switch as its own protected fiber", async () => {
    expect(
      await traced(function* () {
        const sub = yield* Sw.run<Switch>((s) => s);
        try {
          Sw.onRelease(sub, () => release("late"));
        } catch (e) {
          traceln("refused: %s", (e as Error).name);
        }
        yield* Fiber.yield();
        traceln("main done");
      }),
    ).toEqual(["refused: SwitchFinished", "release late", "main done"]);
  });

  it("reports a late hook's own failure as the cause of SwitchFinished", async () => {
    expect(
      await traced(function* () {
        const sub = yield* Sw.run<Switch>((s) => s);
        try {
          Sw.onRelease(sub, () => {
            throw failure("close failed");
          });
        } catch (e) {
          traceln("%s, cause: %s", (e as Error).name, show((e as Error).cause));
        }
      }),
    ).toEqual(["SwitchFinished, cause: close failed"]);
  });

  it("refuses new hooks while the hooks run; forks from hooks still join the switch", async () => {
    expect(
      await run((sw) => {
        Sw.onRelease(sw, () => {
          Fiber.fork(sw, function* () {
            traceln("Starting release 1");
            yield* Fiber.yield();
            traceln("Finished release 1");
          });
        });
        Sw.onRelease(sw, () => {
          Fiber.fork(sw, function* () {
            traceln("Starting release 2");
            try {
              Sw.onRelease(sw, () => traceln("Immediate release"));
            } catch (e) {
              traceln("on_release refused: %s", (e as Error).name);
            }
            yield* Fiber.yield();
            traceln("Finished release 2");
          });
        });
        traceln("Main fiber done");
      }),
    ).toEqual([
      "Main fiber done",
      "Starting release 2",
      "Immediate release",
      "on_release refused: SwitchFinished",
      "Starting release 1",
      "Finished release 2",
      "Finished release 1",
    ]);
  });
});

describe("Switch.tryRemoveHook", () => {
  it("withdraws a hook so it does not run, once", async () => {
    expect(
      await run((sw) => {
        Sw.onRelease(sw, () => traceln("kept"));
        const hook = Sw.onReleaseCancellable(sw, () => traceln("removed"));
        traceln("first remove: %s", Sw.tryRemoveHook(hook));
        traceln("second remove: %s", Sw.tryRemoveHook(hook));
      }),
    ).toEqual(["first remove: true", "second remove: false", "kept"]);
  });

  it("returns false once the hook has run", async () => {
    expect(
      await traced(function* () {
        let hook: ReturnType<typeof Sw.onReleaseCancellable> | null = null;
        yield* Sw.run((sw) => {
          hook = Sw.onReleaseCancellable(sw, () => traceln("ran"));
        });
        traceln("remove after release: %s", Sw.tryRemoveHook(hook!));
      }),
    ).toEqual(["ran", "remove after release: false"]);
  });

  it("returns false from inside the hook that is running", async () => {
    expect(
      await run((sw) => {
        const hook = Sw.onReleaseCancellable(sw, () => traceln("remove while running: %s", Sw.tryRemoveHook(hook)));
      }),
    ).toEqual(["remove while running: false"]);
  });
});

describe("error reporting", () => {
  it("reports the body's error and every error raised by cancelled fibers, in order", async () => {
    expect(
      await run((sw) => {
        Fiber.fork(sw, function* () {
          try {
            yield* Fiber.awaitCancel();
          } catch {
            throw failure("cancel1 failed");
          }
        });
        Fiber.fork(sw, function* () {
          try {
            yield* Fiber.awaitCancel();
          } catch {
            throw failure("cancel2 failed");
          }
        });
        throw failure("Exit");
      }),
    ).toEqual(["!! MultipleErrors[Exit, cancel1 failed, cancel2 failed]"]);
  });

  it("reports errors raised during cleanup of a nested switch", async () => {
    expect(
      await run((sw) => {
        Fiber.fork(sw, () =>
          Sw.run(function* () {
            try {
              yield* Fiber.awaitCancel();
            } catch {
              throw failure("cleanup failed");
            }
          }),
        );
        Fiber.fork(sw, () => {
          throw failure("simulated error");
        });
      }),
    ).toEqual(["!! MultipleErrors[simulated error, cleanup failed]"]);
  });

  it("keeps the same error once when it is reported twice", async () => {
    const e = failure("same");
    expect(
      await run((sw) => {
        Sw.fail(sw, e);
        Sw.fail(sw, e);
      }),
    ).toEqual(["!! same"]);
  });

  it("drops Cancelled when a real error exists", async () => {
    expect(
      await run((sw) => {
        Sw.fail(sw, new Eio.Cancel.Cancelled(failure("why")));
        Sw.fail(sw, failure("real"));
      }),
    ).toEqual(["!! real"]);
  });

  it("keeps a lone Cancelled as the switch's error", async () => {
    const lines = await run((sw) => {
      Sw.fail(sw, new Eio.Cancel.Cancelled(failure("why")));
    });
    expect(lines).toEqual(["!! Cancelled(why)"]);
  });

  it("shows the combined errors in the message", async () => {
    let message = "";
    await Eio.run(function* () {
      try {
        yield* Sw.run((sw) => {
          Sw.fail(sw, failure("a"));
          Sw.fail(sw, failure("b"));
        });
      } catch (e) {
        message = (e as Error).message;
        traceln(show(e));
      }
    }, { traceln: () => {} });
    expect(message).toBe("Multiple errors: Error: a; Error: b");
  });
});
