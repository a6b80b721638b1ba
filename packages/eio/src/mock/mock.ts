/**
 * The deterministic backend and mocks, as in Eio's `Eio_mock`: the same programs, with a
 * virtual clock that jumps to the next timer whenever no fiber can run and a scripted network,
 * plus mock flows and handlers. Output is then exact and instant, which is what tests and doc
 * examples want.
 * @module
 */
import type { Net } from "../io/net-capability.js";
import { runWith, type RunOptions } from "../run-with.js";
import type { Env } from "../stdenv.js";
import { Clock } from "./clock.js";
import { make as makeNet } from "./net.js";

export { Clock };
export * as Action from "./action.js";
export * as Handler from "./handler.js";
export * as Flow from "./flow.js";
export * as Net from "./net.js";
export * as DomainManager from "./domain-manager.js";

/**
 * The environment of {@link run}: like `Env`, with both clocks one virtual {@link Clock} and,
 * unless `realNet` was asked for, `net` a mock network labelled `mock-net`.
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
  /** A `Mock.Net.make("mock-net")` (script it with `Mock.Net.onConnect`, ...), or with `realNet`, the system's. */
  readonly net: Net;
}

/**
 * Options for {@link run}: `Eio.run`'s, and `realNet`.
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
export interface MockRunOptions extends RunOptions {
  /** Give the program the system's network as `env.net` instead of a mock one (default false). */
  realNet?: boolean;
}

/**
 * Runs `main(env)` like `Eio.run`, but `env.clock` and `env.monoClock` are one mock clock
 * starting at 0, and `env.net` is a mock network labelled `mock-net` (the system's with
 * `realNet: true`). When no fiber is runnable and nothing outside (native promise, socket) is
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
  if (typeof options === "object" && options !== null && options.realNet !== undefined && typeof options.realNet !== "boolean") {
    throw new TypeError(`Mock.run: options.realNet must be a boolean, got ${typeof options.realNet}`);
  }
  const realNet = typeof options === "object" && options !== null && options.realNet === true;
  if (typeof options === "object" && options !== null) {
    // With no sink given, `traceln` outside any fiber writes where Eio.run's default does.
    clock.idleSink = options.traceln ?? null;
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
      const mockEnv: MockEnv = { ...env, clock, monoClock: clock, net: realNet ? env.net : makeNet("mock-net") };
      return mockEnv;
    },
  });
}
