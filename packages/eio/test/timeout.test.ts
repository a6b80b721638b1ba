/** Ports of the Timeout parts of Eio's tests/time.md: `Time.Timeout` values and `with_timeout`. */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced, runTraced } from "./support/run-traced.js";

const T = Eio.Time.Timeout;
const traceln = Eio.traceln;

describe("Time.Timeout (Eio's tests/time.md)", () => {
  it("runExn with none just runs; with a timeout that expires it throws Timeout", async () => {
    const { lines, error } = await runTraced(function* (env) {
      yield* T.runExn(T.none, () => traceln("ran"));
      const t = T.seconds(env.monoClock, 0.0001);
      yield* T.runExn(t, () => Eio.Fiber.awaitCancel());
    });
    expect(lines).toEqual(["ran"]);
    expect(error).toBeInstanceOf(Eio.Time.Timeout);
  });

  it("pp prints the duration rounded, as Eio does", async () => {
    const { lines } = await runTraced((env) => {
      for (const d of [0.000000001, 0.01, 0.1, 2, 60, 61.5, 120, 30 * 60]) traceln("%s -> %s", String(d), T.pp(T.seconds(env.monoClock, d)));
      traceln("none -> %s", T.pp(T.none));
    });
    expect(lines).toEqual(["1e-9 -> 1e-09s", "0.01 -> 10ms", "0.1 -> 0.1s", "2 -> 2s", "60 -> 60s", "61.5 -> 62s", "120 -> 2m", "1800 -> 30m", "none -> (no timeout)"]);
  });

  it("Timeout.sleep sleeps for the duration, and none sleeps until cancelled (a deadlock here)", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      yield* T.sleep(T.seconds(env.monoClock, 2));
      traceln("Timeout done");
      yield* T.sleep(T.none);
      traceln("not reached");
    });
    expect(lines).toEqual(["mock time is now 2", "Timeout done"]);
    expect(error).toBeInstanceOf(Eio.DeadlockError);
  });

  it("run returns fn's result in time, merges the timeout into its errors, and cancels fn", async () => {
    const { lines, result } = await mockTraced<unknown[]>(function* (env) {
      const t = T.seconds(env.monoClock, 2);
      const quick = yield* T.run(t, () => ({ ok: true, value: "quick" }));
      const refused = yield* T.run(t, () => ({ ok: false, error: "refused" }));
      const slow = yield* T.run(t, function* () {
        try {
          yield* Eio.Time.sleep(env.monoClock, 10);
          return { ok: true, value: "slow" };
        } finally {
          traceln("slow body cancelled at %d", Eio.Time.now(env.monoClock));
        }
      });
      const unlimited = yield* T.run(T.none, function* () {
        yield* Eio.Time.sleep(env.monoClock, 100);
        return { ok: true, value: "no limit" };
      });
      return [quick, refused, slow, unlimited];
    });
    expect(lines).toEqual(["mock time is now 2", "slow body cancelled at 2", "mock time is now 102"]);
    const [quick, refused, slow, unlimited] = result!;
    expect(quick).toEqual({ ok: true, value: "quick" });
    expect(refused).toEqual({ ok: false, error: "refused" });
    expect(slow).toEqual({ ok: false, error: expect.any(Eio.Time.Timeout) });
    expect(unlimited).toEqual({ ok: true, value: "no limit" });
  });

  it("withTimeout and run reject a function that returns a plain value, naming it", async () => {
    const { lines } = await mockTraced(function* (env) {
      for (const bad of [() => Eio.Time.withTimeout(env.clock, 1, () => 3 as never), () => T.run(T.seconds(env.monoClock, 1), () => "x" as never)]) {
        try {
          yield* bad();
        } catch (e) {
          traceln("%s: %s", (e as Error).name, (e as Error).message);
        }
      }
    });
    expect(lines).toEqual([
      "TypeError: Time.withTimeout: fn must return a result ({ ok: true, value } or { ok: false, error }), got 3",
      "TypeError: Time.Timeout.run: fn must return a result ({ ok: true, value } or { ok: false, error }), got x",
    ]);
  });

  it("bad arguments are named", async () => {
    const { lines } = await mockTraced(function* (env) {
      const attempts = [() => T.seconds(env.monoClock, Number.NaN), () => T.seconds({} as Eio.Time.Clock, 1), () => T.pp(5 as never)];
      for (const attempt of attempts) {
        try {
          attempt();
        } catch (e) {
          traceln("%s: %s", (e as Error).name, (e as Error).message);
        }
      }
      yield* Eio.Fiber.yield();
    });
    expect(lines).toEqual([
      "RangeError: Time.Timeout.seconds: expected a number of seconds, got NaN",
      "TypeError: Time.Timeout.seconds: expected a clock (env.monoClock, env.clock or an Eio.Mock.Clock), got [object Object]",
      "TypeError: Time.Timeout.pp: expected a timeout from Time.Timeout.seconds or Time.Timeout.none, got 5",
    ]);
  });
});
