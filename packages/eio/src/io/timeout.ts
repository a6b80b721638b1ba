/**
 * Timeouts as values, as Eio's `Time.Timeout`: a duration on a clock (or none), made once and
 * passed to whatever may need to give up, which then runs its work under it. In eio-ts the
 * `Timeout` error class carries these functions as statics, so `Eio.Time.Timeout.seconds(...)`
 * reads as in Eio while `new Eio.Time.Timeout(...)` stays the error.
 * @module
 */
import { awaitCancel, first } from "../core/fiber.js";
import type { Result } from "../core/result.js";
import { type Operation, runBody } from "../core/scheduler.js";
import type { Clock } from "./time.js";

/**
 * A timeout (Eio's `Time.Timeout.t`): `seconds` on `clock`, or no limit. Made by
 * `Time.Timeout.seconds` or `Time.Timeout.none`. Opaque.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run((env) => {
 *   const t: Eio.Time.TimeoutValue = Eio.Time.Timeout.seconds(env.monoClock, 5);
 *   console.log(Eio.Time.Timeout.pp(t));
 * });
 * ```
 */
export class TimeoutValue {
  /** @internal */
  constructor(
    /** Null for no limit. @internal */
    readonly clock: Clock | null,
    /** @internal */
    readonly seconds: number,
  ) {}
}

const NONE = new TimeoutValue(null, Infinity);

function checkClock(clock: unknown, what: string): Clock {
  if (typeof clock !== "object" || clock === null || typeof (clock as Clock).sleepUntilOp !== "function") {
    throw new TypeError(`${what}: expected a clock (env.monoClock, env.clock or an Eio.Mock.Clock), got ${String(clock)}`);
  }
  return clock as Clock;
}

function checkTimeout(t: unknown, what: string): TimeoutValue {
  if (!(t instanceof TimeoutValue)) throw new TypeError(`${what}: expected a timeout from Time.Timeout.seconds or Time.Timeout.none, got ${String(t)}`);
  return t;
}

function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== "function") throw new TypeError(`${what}: expected a function, got ${typeof fn}`);
}

/** Eio's `Time.Timeout.seconds`. @internal */
export function seconds(clock: Clock, duration: number): TimeoutValue {
  checkClock(clock, "Time.Timeout.seconds");
  if (typeof duration !== "number" || Number.isNaN(duration)) throw new RangeError(`Time.Timeout.seconds: expected a number of seconds, got ${String(duration)}`);
  // As Eio's span_of_s: a negative duration is no time at all.
  return new TimeoutValue(clock, Math.max(0, duration));
}

/** Eio's `Time.Timeout.none`. @internal */
export const none: TimeoutValue = NONE;

function sleepFor(t: TimeoutValue): Operation<void> {
  const clock = t.clock!;
  return clock.sleepUntilOp(clock.now() + t.seconds);
}

function isResult(value: unknown): value is Result<unknown, unknown> {
  return typeof value === "object" && value !== null && typeof (value as { ok?: unknown }).ok === "boolean";
}

/** Eio's `Time.Timeout.run` (and, with a fresh timeout, `Time.with_timeout`). @internal */
export function* run<T, E>(
  t: TimeoutValue,
  fn: () => Result<T, E> | Generator<unknown, Result<T, E>, unknown>,
  makeError: (seconds: number) => Error,
  what = "Time.Timeout.run",
): Operation<Result<T, E | Error>> {
  checkTimeout(t, what);
  checkFn(fn, what);
  const body = function* (): Operation<Result<T, E>> {
    const result = yield* runBody<unknown>(fn());
    if (!isResult(result)) {
      throw new TypeError(`${what}: fn must return a result ({ ok: true, value } or { ok: false, error }), got ${typeof result === "object" ? JSON.stringify(result) : String(result)}`);
    }
    return result as Result<T, E>;
  };
  if (t.clock === null) return yield* body();
  return yield* first<Result<T, E | Error>>(function* () {
    yield* sleepFor(t);
    return { ok: false, error: makeError(t.seconds) };
  }, body);
}

/** Eio's `Time.Timeout.run_exn`. @internal */
export function* runExn<T>(t: TimeoutValue, fn: () => T | Generator<unknown, T, unknown>, makeError: (seconds: number) => Error): Operation<T> {
  checkTimeout(t, "Time.Timeout.runExn");
  checkFn(fn, "Time.Timeout.runExn");
  if (t.clock === null) return yield* runBody<T>(fn());
  return yield* first<T>(function* () {
    yield* sleepFor(t);
    throw makeError(t.seconds);
  }, fn);
}

/** Eio's `Time.Timeout.sleep`. @internal */
export function sleep(t: TimeoutValue): Operation<void> {
  checkTimeout(t, "Time.Timeout.sleep");
  return t.clock === null ? awaitCancel() : sleepFor(t);
}

/** C's `%.2g`, as Eio's `pp_duration` prints with it. */
function g2(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const [mantissa, exp] = x.toExponential(1).split("e") as [string, string];
  const e = Number(exp);
  const trim = (s: string) => (s.includes(".") ? s.replace(/\.?0+$/, "") : s);
  if (e < -4 || e >= 2) return `${trim(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return trim(Number(`${mantissa}e${exp}`).toFixed(Math.max(0, 1 - e)));
}

/** Eio's `Time.Timeout.pp`. @internal */
export function pp(t: TimeoutValue): string {
  checkTimeout(t, "Time.Timeout.pp");
  if (t.clock === null) return "(no timeout)";
  const d = t.seconds;
  if (d >= 0.001 && d < 0.1) return `${g2(d * 1000)}ms`;
  if (d < 120) return `${g2(d)}s`;
  return `${g2(d / 60)}m`;
}
