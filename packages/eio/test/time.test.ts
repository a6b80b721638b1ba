/** Ports of Eio's tests/time.md: real clocks, timeouts, and mock clocks. */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced, Named, runTraced } from "./support/run-traced.js";

const traceln = Eio.traceln;
const simulated = (message = "Simulated cancel"): never => {
  throw new Named(message);
};
const activeTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("Time on the real clock (Eio's tests/time.md)", () => {
  it("Time.sleep waits at least the given time", async () => {
    const { result } = await runTraced<number>(function* (env) {
      const t0 = Eio.Time.now(env.clock);
      yield* Eio.Time.sleep(env.clock, 0.01);
      return Eio.Time.now(env.clock) - t0;
    });
    expect(result).toBeGreaterThanOrEqual(0.01);
  });

  it("cancelling a sleep stops its timer", async () => {
    const before = activeTimers();
    const { error } = await runTraced(function* (env) {
      yield* Eio.Fiber.both(function* () {
        yield* Eio.Time.sleep(env.clock, 1200);
        throw new Error("not reached");
      }, simulated);
    });
    expect((error as Error).message).toBe("Simulated cancel");
    expect(activeTimers()).toBe(before);
  });

  it("sleeping in a failed switch throws at once", async () => {
    const { error } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        Eio.Switch.fail(sw, new Named("Simulated failure"));
        yield* Eio.Time.sleep(env.clock, 1200);
        throw new Error("not reached");
      });
    });
    expect((error as Error).message).toBe("Simulated failure");
  });

  it("an already-due sleep lets other fibers run first", async () => {
    const { lines } = await runTraced(function* (env) {
      yield* Eio.Fiber.both(
        function* () {
          traceln("First fiber runs");
          yield* Eio.Time.sleep(env.clock, -1);
          traceln("Sleep done");
        },
        () => traceln("Second fiber runs"),
      );
    });
    expect(lines).toEqual(["First fiber runs", "Second fiber runs", "Sleep done"]);
  });

  it("the shorter timer fires first", async () => {
    const { lines, error } = await runTraced(function* (env) {
      yield* Eio.Fiber.both(
        function* () {
          yield* Eio.Time.sleep(env.clock, 1200);
          throw new Error("not reached");
        },
        function* () {
          yield* Eio.Time.sleep(env.monoClock, 0.1);
          traceln("Short timer finished");
          simulated();
        },
      );
    });
    expect(lines).toEqual(["Short timer finished"]);
    expect((error as Error).message).toBe("Simulated cancel");
  });

  it("a fiber looping on Fiber.yield does not starve a real Time.sleep", async () => {
    let spins = 0;
    const { error, result } = await runTraced<string>(function* (env) {
      yield* Eio.Fiber.yield();
      yield* Eio.Time.sleep(env.clock, 0.01);
      return yield* Eio.Fiber.first<string>(
        function* () {
          for (;;) {
            spins++;
            yield* Eio.Fiber.yield();
          }
        },
        function* () {
          yield* Eio.Time.sleep(env.clock, 0.01);
          return "timer fired";
        },
      );
    });
    expect(error).toBeUndefined();
    expect(result).toBe("timer fired");
    expect(spins).toBeGreaterThan(0);
  });

  it("Time.withTimeoutExn throws Timeout and Time.withTimeout returns it", async () => {
    const { result, error } = await runTraced<unknown[]>(function* (env) {
      const r = yield* Eio.Time.withTimeout(env.monoClock, 0.0001, () => Eio.Fiber.awaitCancel());
      const ok = yield* Eio.Time.withTimeout(env.monoClock, 10, () => ({ ok: true, value: 3 }));
      const failed = yield* Eio.Time.withTimeout(env.monoClock, 10, () => ({ ok: false, error: "refused" }));
      let thrown: unknown;
      try {
        yield* Eio.Time.withTimeoutExn(env.monoClock, 0.0001, () => Eio.Fiber.awaitCancel());
      } catch (e) {
        thrown = e;
      }
      return [r, ok, failed, thrown];
    });
    expect(error).toBeUndefined();
    const [r, ok, failed, thrown] = result!;
    expect(r).toEqual({ ok: false, error: expect.any(Eio.Time.Timeout) });
    expect(ok).toEqual({ ok: true, value: 3 });
    expect(failed).toEqual({ ok: false, error: "refused" });
    expect(thrown).toBeInstanceOf(Eio.Time.Timeout);
  });

  it("the time functions check their arguments", async () => {
    const { lines } = await runTraced(function* (env) {
      for (const bad of [() => Eio.Time.sleep(env.clock, Number.NaN), () => Eio.Time.sleep({} as Eio.Time.Clock, 1)]) {
        try {
          yield* bad();
        } catch (e) {
          traceln("%s: %s", (e as Error).name, (e as Error).message);
        }
      }
    });
    expect(lines).toEqual([
      "RangeError: Time.sleep: expected a number of seconds, got NaN",
      "TypeError: Time.sleep: expected a clock (env.clock, env.monoClock or an Eio.Mock.Clock), got [object Object]",
    ]);
  });

  it("env.clock is wall time and env.monoClock is monotonic", async () => {
    const { result } = await runTraced<number[]>((env) => [Eio.Time.now(Eio.Stdenv.clock(env)), Eio.Time.now(Eio.Stdenv.monoClock(env))]);
    expect(Math.abs(result![0]! - Date.now() / 1000)).toBeLessThan(60);
    expect(result![1]!).toBeLessThan(result![0]!);
  });
});

describe("Time on the mock backend", () => {
  it("Time.withTimeout cancels its body and runs its finally", async () => {
    const { lines, result } = await mockTraced<Eio.Result<string, Eio.Time.Timeout>>(function* (env) {
      return yield* Eio.Time.withTimeout<string>(env.clock, 2, function* () {
        try {
          traceln("body starts");
          yield* Eio.Time.sleep(env.clock, 10);
          return { ok: true, value: "finished" };
        } finally {
          traceln("body's finally runs at %d", Eio.Time.now(env.clock));
        }
      });
    });
    expect(lines).toEqual(["body starts", "mock time is now 2", "body's finally runs at 2"]);
    expect(result).toEqual({ ok: false, error: expect.any(Eio.Time.Timeout) });
    expect((result as { error: Error }).error.message).toBe("Timed out after 2 seconds");
  });

  it("Time.withTimeout returns the body's value when it finishes in time", async () => {
    const { lines, result } = await mockTraced(function* (env) {
      return yield* Eio.Time.withTimeout(env.clock, 2, function* () {
        yield* Eio.Time.sleep(env.clock, 1);
        return { ok: true, value: "done" };
      });
    });
    expect(lines).toEqual(["mock time is now 1"]);
    expect(result).toEqual({ ok: true, value: "done" });
  });

  it("sleeping forever is a deadlock, reported with DeadlockError", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      yield* Eio.Time.sleep(env.monoClock, 2);
      traceln("Timeout done");
      try {
        yield* Eio.Time.sleep(env.monoClock, Infinity);
      } finally {
        traceln("unwound");
      }
    });
    expect(lines).toEqual(["mock time is now 2", "Timeout done", "unwound"]);
    expect(error).toBeInstanceOf(Eio.DeadlockError);
  });
});

describe("Mock.Clock (Eio's tests/time.md)", () => {
  function sleeper(mock: Eio.Mock.Clock, label: string, time: number) {
    return function* (): Eio.Operation<void> {
      yield* Eio.Time.sleepUntil(mock, time);
      traceln("%s (%d) woken", label, time);
    };
  }

  it("Mock.Clock.advance moves to the next timer", async () => {
    const { lines, error } = await mockTraced(function* () {
      const mock = Eio.Mock.Clock.make();
      yield* Eio.Fiber.all([
        sleeper(mock, "A", 5), sleeper(mock, "B", 7), sleeper(mock, "C", 2), sleeper(mock, "D", 0), sleeper(mock, "E", 5),
        function* () {
          for (;;) {
            yield* Eio.Fiber.yield();
            Eio.Mock.Clock.advance(mock);
          }
        },
      ]);
    });
    expect(lines).toEqual([
      "D (0) woken", "mock time is now 2", "C (2) woken", "mock time is now 5", "A (5) woken",
      "E (5) woken", "mock time is now 7", "B (7) woken",
    ]);
    expect((error as Error).message).toMatch(/^No further events scheduled on mock clock/);
  });

  it("Mock.Clock.setTime wakes the due sleepers and may go back", async () => {
    const { lines, error } = await mockTraced(function* () {
      const mock = Eio.Mock.Clock.make();
      Eio.Mock.Clock.setTime(mock, 0);
      yield* Eio.Fiber.all([
        sleeper(mock, "A", 5), sleeper(mock, "B", 7), sleeper(mock, "C", 2), sleeper(mock, "D", 0), sleeper(mock, "E", 5),
        function* () {
          for (const t of [5, 1, 10, 12]) {
            yield* Eio.Fiber.yield();
            Eio.Mock.Clock.setTime(mock, t);
          }
        },
      ]);
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "mock time is now 0", "D (0) woken", "mock time is now 5", "C (2) woken", "A (5) woken", "E (5) woken",
      "mock time is now 1", "mock time is now 10", "B (7) woken", "mock time is now 12",
    ]);
  });

  it("a cancelled sleeper leaves the mock clock", async () => {
    const { lines, error } = await mockTraced(function* () {
      const mock = Eio.Mock.Clock.make();
      Eio.Mock.Clock.setTime(mock, 0);
      yield* Eio.Fiber.first(sleeper(mock, "A", 5), () => traceln("Cancel sleeper"));
      Eio.Mock.Clock.advance(mock);
    });
    expect(lines).toEqual(["mock time is now 0", "Cancel sleeper"]);
    expect((error as Error).message).toMatch(/^No further events scheduled on mock clock/);
  });

  it("the backend's clock jumps only when nothing is runnable, and prints fractions like %g", async () => {
    const { lines } = await mockTraced(function* (env) {
      yield* Eio.Fiber.both(
        function* () {
          yield* Eio.Time.sleep(env.clock, 0.25);
          traceln("slept");
        },
        function* () {
          for (let i = 0; i < 3; i++) {
            traceln("busy %d at %d", i, Eio.Time.now(env.clock));
            yield* Eio.Fiber.yield();
          }
        },
      );
    });
    expect(lines).toEqual(["busy 0 at 0", "busy 1 at 0", "busy 2 at 0", "mock time is now 0.25", "slept"]);
  });

  it("the clock waits for outside wake-ups before jumping", async () => {
    const { lines } = await mockTraced(function* (env) {
      yield* Eio.Fiber.both(
        function* () {
          yield* Eio.Time.sleep(env.clock, 1);
          traceln("timer");
        },
        function* () {
          yield* Eio.Fiber.awaitNative(new globalThis.Promise((resolve) => setTimeout(resolve, 5)));
          traceln("native promise");
        },
      );
    });
    expect(lines).toEqual(["native promise", "mock time is now 1", "timer"]);
  });
});
