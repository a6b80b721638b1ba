/**
 * A virtual clock, as in Eio's `Eio_mock.Clock`: time starts at 0 and moves only when told to
 * (`advance`, `setTime`), or, for the clock of `Eio.Mock.run`, when no fiber can run.
 * @module
 */
import { awaitCancel, yieldNow } from "../core/fiber.js";
import { currentFiberOrNull, type Fiber, type Operation, suspend } from "../core/scheduler.js";
import { traceln, type TracelnSink } from "../core/traceln.js";
import type { Clock as TimeClock } from "../io/time.js";

interface Timer {
  readonly time: number;
  /** Registration order: timers due at the same time wake first-registered first. */
  readonly seq: number;
  readonly fiber: Fiber;
}

/** `%g`-like: Eio prints mock times with OCaml's `%g`. */
function formatTime(time: number): string {
  return Number.isInteger(time) ? String(time) : String(Number(time.toPrecision(6)));
}

function checkMock(clock: unknown, what: string): Clock {
  if (!(clock instanceof Clock)) throw new TypeError(`${what}: expected an Eio.Mock.Clock, got ${String(clock)}`);
  return clock;
}

/**
 * A mock clock. Use it like any clock (`Eio.Time.sleep(clock, 5)`); move its time with the
 * static functions `Eio.Mock.Clock.advance(clock)` and `setTime(clock, t)`. Each move prints
 * `mock time is now T` with `traceln`, as Eio does.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const clock = Eio.Mock.Clock.make();
 *   Eio.Mock.Clock.setTime(clock, 3);
 *   console.log(Eio.Time.now(clock));
 * });
 * ```
 */
export class Clock implements TimeClock {
  private time = 0;
  private timers: Timer[] = [];
  private nextSeq = 0;
  /** Where `mock time is now` goes when no fiber is running (auto-advance). @internal */
  idleSink: TracelnSink | null = null;

  /** @internal Use {@link Clock.make}. */
  constructor() {}

  /** @internal */
  now(): number {
    return this.time;
  }

  /** @internal */
  *sleepUntilOp(time: number): Operation<void> {
    if (time === Infinity) return yield* awaitCancel();
    if (time <= this.time) return yield* yieldNow();
    yield* suspend<void>("Time.sleep (mock)", (fiber) => {
      const timer: Timer = { time, seq: this.nextSeq++, fiber };
      this.insert(timer);
      fiber.cancelFn = (error) => {
        this.timers.splice(this.timers.indexOf(timer), 1);
        fiber.scheduler.wakeError(fiber, error);
      };
    });
  }

  /** The time of the next timer, or undefined. @internal */
  nextDue(): number | undefined {
    return this.timers[0]?.time;
  }

  /** Wakes due timers in order, then moves the time to `time`. @internal */
  moveTo(time: number): void {
    while (this.timers.length > 0 && this.timers[0]!.time <= time) {
      const timer = this.timers.shift()!;
      timer.fiber.scheduler.wake(timer.fiber, undefined);
    }
    this.time = time;
    const line = `mock time is now ${formatTime(time)}`;
    if (currentFiberOrNull() === null && this.idleSink !== null) this.idleSink(line);
    else traceln(line);
  }

  private insert(timer: Timer): void {
    // Binary search for the first timer due strictly later (ties keep registration order).
    let low = 0;
    let high = this.timers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.timers[mid]!.time <= timer.time) low = mid + 1;
      else high = mid;
    }
    this.timers.splice(low, 0, timer);
  }

  /**
   * A new mock clock at time 0 that moves only by {@link advance} and {@link setTime}.
   * Mirrors `Eio_mock.Clock.make`.
   *
   * Suspends: never.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * console.log(Eio.Time.now(Eio.Mock.Clock.make()));
   * ```
   */
  static make(): Clock {
    return new Clock();
  }

  /**
   * Moves the time of `clock` to `time` and queues every fiber whose sleep is then due (in
   * order of due time, then of registration). Time may go backwards. Mirrors
   * `Eio_mock.Clock.set_time`.
   *
   * Suspends: never (woken fibers are queued).
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * await Eio.Mock.run(function* () {
   *   const clock = Eio.Mock.Clock.make();
   *   Eio.Mock.Clock.setTime(clock, 1.5);
   * });
   * ```
   */
  static setTime(clock: Clock, time: number): void {
    checkMock(clock, "Mock.Clock.setTime");
    if (typeof time !== "number" || Number.isNaN(time)) {
      throw new RangeError(`Mock.Clock.setTime: expected a time in seconds, got ${String(time)}`);
    }
    clock.moveTo(time);
  }

  /**
   * Moves `clock` to its next timer, as {@link setTime} does; false (and nothing changes) if no
   * timer is pending. Mirrors `Eio_mock.Clock.try_advance`.
   *
   * Suspends: never.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * console.log(Eio.Mock.Clock.tryAdvance(Eio.Mock.Clock.make()));
   * ```
   */
  static tryAdvance(clock: Clock): boolean {
    const due = checkMock(clock, "Mock.Clock.tryAdvance").nextDue();
    if (due === undefined) return false;
    clock.moveTo(due);
    return true;
  }

  /**
   * Moves `clock` to its next timer; throws if none is pending. Mirrors
   * `Eio_mock.Clock.advance`.
   *
   * Suspends: never.
   *
   * @example
   * ```ts
   * import * as Eio from "eio-ts";
   * try { Eio.Mock.Clock.advance(Eio.Mock.Clock.make()); } catch (e) { console.log((e as Error).message); }
   * ```
   */
  static advance(clock: Clock): void {
    if (!Clock.tryAdvance(clock)) {
      throw new Error("No further events scheduled on mock clock: nothing is sleeping on it.");
    }
  }

  /** @internal */
  toString(): string {
    return `mock clock (time ${formatTime(this.time)})`;
  }
}
