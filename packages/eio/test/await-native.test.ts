// Fiber.awaitNative: waiting on native JS promises without blocking other fibers.
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";

const { Fiber, Switch: Sw, traceln } = Eio;

describe("Fiber.awaitNative", () => {
  it("returns the promise's value", async () => {
    expect(await traced(() => Fiber.awaitNative(Promise.resolve(5)))).toEqual(["-> 5"]);
  });

  it("throws the promise's rejection", async () => {
    expect(await traced(() => Fiber.awaitNative(Promise.reject(failure("native failed"))))).toEqual(["!! native failed"]);
  });

  it("lets other fibers run while it waits", async () => {
    expect(
      await traced(() =>
        Fiber.both(
          function* () {
            traceln("waiting for a timer");
            yield* Fiber.awaitNative(new Promise((resolve) => setTimeout(resolve, 5)));
            traceln("timer fired");
          },
          function* () {
            for (let i = 1; i <= 3; i++) {
              traceln("other fiber step %d", i);
              yield* Fiber.yield();
            }
          },
        ),
      ),
    ).toEqual(["waiting for a timer", "other fiber step 1", "other fiber step 2", "other fiber step 3", "timer fired"]);
  });

  it("passes an AbortSignal to a function and returns its result", async () => {
    expect(
      await traced(() => Fiber.awaitNative((signal) => Promise.resolve(`aborted: ${signal.aborted}`))),
    ).toEqual(["-> aborted: false"]);
  });

  it("turns a function that throws into a failure at the wait", async () => {
    expect(
      await traced(() =>
        Fiber.awaitNative(() => {
          throw failure("threw synchronously");
        }),
      ),
    ).toEqual(["!! threw synchronously"]);
  });

  it("on cancellation throws Cancelled at once, aborts the signal, and drops the late result", async () => {
    let resolveLate: (v: string) => void = () => {};
    let seenSignal: AbortSignal | null = null;
    const lines = await traced(function* () {
      const winner = yield* Fiber.first(
        function* () {
          try {
            return yield* Fiber.awaitNative((signal) => {
              seenSignal = signal;
              return new Promise<string>((resolve) => {
                resolveLate = resolve;
              });
            });
          } catch (e) {
            traceln("native waiter: %s", show(e));
            throw e;
          }
        },
        function* () {
          yield* Fiber.yield();
          return "other";
        },
      );
      traceln("signal aborted: %s", seenSignal!.aborted);
      resolveLate("late");
      yield* Fiber.awaitNative(new Promise((r) => setTimeout(r, 1)));
      return winner;
    });
    expect(lines).toEqual(["native waiter: Cancelled(NotFirst: Another fiber finished first)", "signal aborted: true", "-> other"]);
  });

  it("in an already-cancelled context throws Cancelled without calling the function", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          Sw.fail(sw, failure("off"));
          try {
            yield* Fiber.awaitNative(() => {
              traceln("not called");
              return Promise.resolve(1);
            });
          } catch (e) {
            traceln("%s", show(e));
          }
        }),
      ),
    ).toEqual(["Cancelled(off)", "!! off"]);
  });

  it("accepts thenables", async () => {
    const thenable = { then: (ok: (v: number) => void) => ok(9) } as PromiseLike<number>;
    expect(await traced(() => Fiber.awaitNative(thenable))).toEqual(["-> 9"]);
  });

  it("rejects a value that is neither a promise nor a function", async () => {
    expect(await traced(() => Fiber.awaitNative(42 as never))).toEqual([
      "!! TypeError: Fiber.awaitNative: expected a promise or a function (signal) => promise, got 42",
    ]);
  });
});
