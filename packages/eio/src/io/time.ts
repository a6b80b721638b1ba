/**
 * Time, as in Eio's `Eio.Time`: reading a clock, sleeping, and timeouts. A clock is a capability
 * (`env.clock`, `env.monoClock`, or a mock clock), so tests can swap in virtual time.
 * @module
 */
import { first } from "../core/fiber.js";
import type { Result } from "../core/result.js";
import type { Operation } from "../core/scheduler.js";
import * as timeout from "./timeout.js";
import { TimeoutValue } from "./timeout.js";

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
 * Time ran out: thrown by {@link withTimeoutExn} and `Timeout.runExn`, and the error of the
 * result of {@link withTimeout} and `Timeout.run`. Mirrors Eio's exception `Time.Timeout`.
 *
 * The class also carries Eio's module `Time.Timeout` as statics: {@link Timeout.seconds},
 * {@link Timeout.none}, {@link Timeout.run}, {@link Timeout.runExn}, {@link Timeout.sleep},
 * {@link Timeout.pp}.
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

  /**
   * A timeout of `duration` seconds on `clock` (use `env.monoClock`; a negative duration is no
   * time at all). Mirrors `Eio.Time.Timeout.seconds`.
   *
   * Suspends: never.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * await Eio.Mock.run(function* (env) {
   *   const t = Eio.Time.Timeout.seconds(env.monoClock, 2);
   *   console.log(yield* Eio.Time.Timeout.run(t, function* () {
   *     yield* Eio.Time.sleep(env.monoClock, 5);
   *     return { ok: true, value: "done" };
   *   }));
   * });
   * ```
   */
  static seconds(clock: Clock, duration: number): TimeoutValue {
    return timeout.seconds(clock, duration);
  }

  /**
   * No timeout: `run` and `runExn` just run the function, `sleep` waits until cancelled. Mirrors
   * `Eio.Time.Timeout.none`.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * console.log(Eio.Time.Timeout.pp(Eio.Time.Timeout.none));
   * ```
   */
  static readonly none: TimeoutValue = timeout.none;

  /**
   * Runs `fn`, which returns a result, but cancels it if it takes longer than `t` allows; then the
   * result is `{ ok: false, error }` with a {@link Timeout}. An error `fn` throws is thrown.
   * Mirrors `Eio.Time.Timeout.run`.
   *
   * Suspends: yes — use `yield*`.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * await Eio.Mock.run(function* (env) {
   *   const t = Eio.Time.Timeout.seconds(env.monoClock, 1);
   *   const r = yield* Eio.Time.Timeout.run(t, function* () {
   *     yield* Eio.Time.sleep(env.monoClock, 5);
   *     return { ok: true, value: "slow" };
   *   });
   *   console.log(r.ok ? r.value : String(r.error));
   * });
   * ```
   */
  static run<T, E = never>(t: TimeoutValue, fn: () => Result<T, E> | Generator<unknown, Result<T, E>, unknown>): Operation<Result<T, E | Timeout>> {
    return timeout.run(t, fn, makeTimeout) as Operation<Result<T, E | Timeout>>;
  }

  /**
   * Runs `fn` and returns its value, but cancels it and throws {@link Timeout} if it takes
   * longer than `t` allows. Mirrors `Eio.Time.Timeout.run_exn`.
   *
   * Suspends: yes — use `yield*`.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * await Eio.Mock.run(function* (env) {
   *   yield* Eio.Time.Timeout.runExn(Eio.Time.Timeout.none, () => console.log("no limit"));
   *   try {
   *     yield* Eio.Time.Timeout.runExn(Eio.Time.Timeout.seconds(env.monoClock, 0.5), () => Eio.Fiber.awaitCancel());
   *   } catch (e) {
   *     console.log(String(e));
   *   }
   * });
   * ```
   */
  static runExn<T>(t: TimeoutValue, fn: () => T | Generator<unknown, T, unknown>): Operation<T> {
    return timeout.runExn(t, fn, makeTimeout);
  }

  /**
   * Sleeps for `t`'s duration (forever for {@link Timeout.none}, until cancelled). Mirrors
   * `Eio.Time.Timeout.sleep`.
   *
   * Suspends: yes — use `yield*`. Cancelling it throws `Cancelled`.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * await Eio.Mock.run(function* (env) {
   *   yield* Eio.Time.Timeout.sleep(Eio.Time.Timeout.seconds(env.monoClock, 2));
   *   console.log(Eio.Time.now(env.monoClock));
   * });
   * ```
   */
  static sleep(t: TimeoutValue): Operation<void> {
    return timeout.sleep(t);
  }

  /**
   * `t` as a rounded duration for messages and logs ("10ms", "62s", "30m", "(no timeout)").
   * Mirrors `Eio.Time.Timeout.pp`.
   *
   * Suspends: never.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * await Eio.Mock.run((env) => {
   *   for (const d of [0.01, 61.5, 1800]) console.log(Eio.Time.Timeout.pp(Eio.Time.Timeout.seconds(env.monoClock, d)));
   * });
   * ```
   */
  static pp(t: TimeoutValue): string {
    return timeout.pp(t);
  }
}

function makeTimeout(seconds: number): Timeout {
  return new Timeout(seconds);
}

export { TimeoutValue };

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
 * Runs `fn`, which returns a result (`{ ok: true, value }` or `{ ok: false, error }`), but
 * cancels it after `seconds` on `clock`; then the result is `{ ok: false, error }` with a
 * {@link Timeout}, merged with `fn`'s own errors. An error `fn` throws is thrown. `fn`'s
 * `finally` blocks run before this returns. Mirrors `Eio.Time.with_timeout`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   const r = yield* Eio.Time.withTimeout(env.clock, 1, function* () {
 *     yield* Eio.Time.sleep(env.clock, 5);
 *     return { ok: true, value: "finished" };
 *   });
 *   console.log(r.ok ? r.value : (r.error as Error).message);
 * });
 * ```
 */
export function* withTimeout<T, E = never>(
  clock: Clock,
  seconds: number,
  fn: () => Result<T, E> | Generator<unknown, Result<T, E>, unknown>,
): Operation<Result<T, E | Timeout>> {
  checkClock(clock, "Time.withTimeout");
  checkSeconds(seconds, "Time.withTimeout");
  return yield* timeout.run<T, E>(new TimeoutValue(clock, seconds), fn, makeTimeout, "Time.withTimeout") as Operation<Result<T, E | Timeout>>;
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
