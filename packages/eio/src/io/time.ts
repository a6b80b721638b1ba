/**
 * Time, as in Eio's `Eio.Time`: reading a clock, sleeping, and timeouts. A clock is a capability
 * (`env.clock`, `env.monoClock`, or a mock clock), so tests can swap in virtual time.
 * @module
 */
import { first } from "../core/fiber.js";
import type { Result } from "../core/result.js";
import { type Operation, runBody } from "../core/scheduler.js";

/**
 * A clock (Eio's `Time.clock`): `env.clock` (wall time, seconds since the Unix epoch),
 * `env.monoClock` (monotonic seconds), or an `Eio.Mock.Clock`. To make your own, implement
 * both methods (Eio's `Time.Pi.CLOCK`).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const elapsed = (clock: Eio.Time.Clock, since: number) => Eio.Time.now(clock) - since;
 * await Eio.Mock.run(function* (env) {
 *   yield* Eio.Time.sleep(env.monoClock, 3);
 *   console.log(elapsed(env.monoClock, 0));
 * });
 * ```
 */
export interface Clock {
  /** The current time, in seconds. */
  now(): number;
  /** Waits until `now() >= time`; an already-due time still lets other fibers run. */
  sleepUntilOp(time: number): Operation<void>;
}

/**
 * Thrown by {@link withTimeoutExn} (and returned by {@link withTimeout}) when time runs out.
 * Mirrors Eio's `Time.Timeout`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.Time.Timeout(2).message);
 * ```
 */
export class Timeout extends Error {
  /** Always `"Timeout"`: how logs and stack traces name this error. */
  override readonly name = "Timeout";
  /** @param seconds the time limit that ran out, kept in {@link Timeout.seconds}. */
  constructor(
    /** The time limit that ran out, in seconds. */
    readonly seconds: number,
  ) {
    super(`Timed out after ${seconds} seconds`);
  }
}

function checkClock(clock: unknown, what: string): Clock {
  if (typeof clock !== "object" || clock === null || typeof (clock as Clock).sleepUntilOp !== "function") {
    throw new TypeError(`${what}: expected a clock (env.clock, env.monoClock or an Eio.Mock.Clock), got ${String(clock)}`);
  }
  return clock as Clock;
}

function checkSeconds(seconds: unknown, what: string): number {
  if (typeof seconds !== "number" || Number.isNaN(seconds)) {
    throw new RangeError(`${what}: expected a number of seconds, got ${String(seconds)}`);
  }
  return seconds;
}

/**
 * The current time of `clock`, in seconds (for `env.clock`: since 1970-01-01 UTC).
 * Mirrors `Eio.Time.now`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(Eio.Time.now(env.clock) > 1.7e9));
 * ```
 */
export function now(clock: Clock): number {
  return checkClock(clock, "Time.now").now();
}

/**
 * Waits until `clock` reaches `time` (seconds, on that clock's scale). A time already past
 * still lets other fibers run first. Mirrors `Eio.Time.sleep_until`.
 *
 * Suspends: yes — use `yield*`. Cancelling it throws `Cancelled` and stops the timer.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   yield* Eio.Time.sleepUntil(env.clock, 10);
 *   console.log(Eio.Time.now(env.clock));
 * });
 * ```
 */
export function sleepUntil(clock: Clock, time: number): Operation<void> {
  checkClock(clock, "Time.sleepUntil");
  return clock.sleepUntilOp(checkSeconds(time, "Time.sleepUntil"));
}

/**
 * Waits for `seconds` on `clock`. Zero or a negative duration still lets other fibers run;
 * `Infinity` waits until cancelled. Mirrors `Eio.Time.sleep`.
 *
 * Suspends: yes — use `yield*`. Cancelling it throws `Cancelled` and stops the timer.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Time.sleep(env.clock, 0.01);
 *   console.log("10 ms later");
 * });
 * ```
 */
export function sleep(clock: Clock, seconds: number): Operation<void> {
  checkClock(clock, "Time.sleep");
  return clock.sleepUntilOp(clock.now() + checkSeconds(seconds, "Time.sleep"));
}

/**
 * Runs `fn`, but cancels it after `seconds` on `clock`. Returns `{ ok: true, value }` with
 * `fn`'s result, or `{ ok: false, error }` with a {@link Timeout}; an error thrown by `fn` is
 * thrown. `fn`'s `finally` blocks run before this returns. Mirrors `Eio.Time.with_timeout`
 * (whose `fn` returns a result; here its value is wrapped).
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   const r = yield* Eio.Time.withTimeout(env.clock, 1, () => Eio.Time.sleep(env.clock, 5));
 *   console.log(r.ok ? "finished" : (r.error as Error).message);
 * });
 * ```
 */
export function* withTimeout<T>(clock: Clock, seconds: number, fn: () => T | Generator<unknown, T, unknown>): Operation<Result<T, Timeout>> {
  checkClock(clock, "Time.withTimeout");
  checkSeconds(seconds, "Time.withTimeout");
  if (typeof fn !== "function") throw new TypeError(`Time.withTimeout: expected a function, got ${typeof fn}`);
  return yield* first<Result<T, Timeout>>(
    function* () {
      yield* sleep(clock, seconds);
      return { ok: false, error: new Timeout(seconds) };
    },
    function* () {
      return { ok: true, value: yield* runBody<T>(fn()) };
    },
  );
}

/**
 * Like {@link withTimeout}, but returns `fn`'s value and throws {@link Timeout} when time runs
 * out. Mirrors `Eio.Time.with_timeout_exn`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   try {
 *     yield* Eio.Time.withTimeoutExn(env.clock, 0.5, () => Eio.Fiber.awaitCancel());
 *   } catch (e) {
 *     console.log(e instanceof Eio.Time.Timeout);
 *   }
 * });
 * ```
 */
export function* withTimeoutExn<T>(clock: Clock, seconds: number, fn: () => T | Generator<unknown, T, unknown>): Operation<T> {
  checkClock(clock, "Time.withTimeoutExn");
  checkSeconds(seconds, "Time.withTimeoutExn");
  if (typeof fn !== "function") throw new TypeError(`Time.withTimeoutExn: expected a function, got ${typeof fn}`);
  return yield* first<T>(function* () {
    yield* sleep(clock, seconds);
    throw new Timeout(seconds);
  }, fn);
}
