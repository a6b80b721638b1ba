/**
 * The deterministic backend, as in Eio's `Eio_mock.Backend`: the same programs, with a virtual
 * clock that jumps to the next timer whenever no fiber can run. Output that involves time is
 * then exact and instant, which is what tests and doc examples want.
 * @module
 */
import { runWith, type RunOptions } from "../run-with.js";
import type { Env } from "../stdenv.js";
import { Clock } from "./clock.js";

export { Clock };

/**
 * The environment of {@link run}: like `Env`, with both clocks one virtual {@link Clock}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env: Eio.Mock.MockEnv) {
 *   Eio.Mock.Clock.setTime(env.clock, 10);
 *   console.log(Eio.Time.now(env.monoClock));
 * });
 * ```
 */
export interface MockEnv extends Env {
  readonly clock: Clock;
  readonly monoClock: Clock;
}

/**
 * Options for {@link run} (the same as `Eio.run`'s).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const lines: string[] = [];
 * const options: Eio.Mock.MockRunOptions = { traceln: (line) => lines.push(line) };
 * await Eio.Mock.run((env) => Eio.Time.sleep(env.clock, 5), options);
 * console.log(lines);
 * ```
 */
export type MockRunOptions = RunOptions;

/**
 * Runs `main(env)` like `Eio.run`, but `env.clock` and `env.monoClock` are one mock clock
 * starting at 0. When no fiber is runnable and nothing outside (native promise, socket) is
 * pending, the clock jumps to its next timer, printing `mock time is now T` with `traceln`.
 * With nothing runnable and no timer, the fibers are cancelled and it rejects with a
 * `DeadlockError`. Fibers run in a fixed order, so the same program prints the same trace
 * every time. Mirrors `Eio_mock.Backend.run_full`.
 *
 * Suspends: it returns a native promise; `await` it.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   yield* Eio.Fiber.both(
 *     function* () { yield* Eio.Time.sleep(env.clock, 2); Eio.traceln("slept 2s"); },
 *     function* () { yield* Eio.Time.sleep(env.clock, 1); Eio.traceln("slept 1s"); },
 *   );
 * });
 * ```
 */
export function run<T>(main: (env: MockEnv) => unknown, options: MockRunOptions = {}): globalThis.Promise<T> {
  const clock = new Clock();
  if (typeof options === "object" && options !== null) {
    clock.idleSink = options.traceln ?? ((line) => void process.stdout.write(`+${line}\n`));
  }
  return runWith<T>(main as (env: Env) => unknown, options, {
    setup(scheduler, env) {
      // Time moves only when nothing else can happen: no runnable fiber, no outside wake-up pending.
      scheduler.onIdle = () => {
        if (scheduler.pendingExternalWaits > 0) return false;
        const due = clock.nextDue();
        if (due === undefined) return false;
        clock.moveTo(due);
        return true;
      };
      const mockEnv: MockEnv = { ...env, clock, monoClock: clock };
      return mockEnv;
    },
  });
}
