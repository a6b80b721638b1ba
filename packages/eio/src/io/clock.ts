/**
 * The real clocks behind `env.clock` and `env.monoClock`: Node timers, each bracketed by
 * `addExternalWait`/`removeExternalWait` so a sleeping program is not taken for a deadlock.
 * @internal
 * @module
 */
import { awaitCancel, yieldNow } from "../core/fiber.js";
import { type Operation, suspend } from "../core/scheduler.js";
import type { Clock } from "./time.js";

/** Node fires a longer `setTimeout` at once (with a warning), so long sleeps are chained. */
const MAX_TIMER_MS = 0x7fffffff;

/** A clock read by `now` (seconds) and served by Node timers. */
class SystemClock implements Clock {
  constructor(
    readonly name: string,
    readonly now: () => number,
  ) {}

  *sleepUntilOp(time: number): Operation<void> {
    if (time === Infinity) return yield* awaitCancel();
    // An already-due sleep still lets the other fibers run, as in Eio.
    if (!(time > this.now())) return yield* yieldNow();
    yield* suspend<void>("Time.sleep", (fiber) => {
      const scheduler = fiber.scheduler;
      let handle: ReturnType<typeof setTimeout> | undefined;
      // Timers may fire a little early (ms rounding) or be chained: re-arm until really due.
      const arm = (): void => {
        const ms = (time - this.now()) * 1000;
        if (ms <= 0) {
          scheduler.wake(fiber, undefined);
          scheduler.removeExternalWait();
        } else {
          handle = setTimeout(arm, Math.min(Math.ceil(ms), MAX_TIMER_MS));
        }
      };
      scheduler.addExternalWait();
      fiber.cancelFn = (error) => {
        clearTimeout(handle);
        scheduler.wakeError(fiber, error);
        scheduler.removeExternalWait();
      };
      arm();
    });
  }

  toString(): string {
    return this.name;
  }
}

/** Wall-clock time in seconds since the Unix epoch, with sub-millisecond precision. */
export const systemClock: Clock = new SystemClock("system clock", () => (performance.timeOrigin + performance.now()) / 1000);

/** Monotonic time in seconds since this thread started; unaffected by changes to the wall clock. */
export const monoClock: Clock = new SystemClock("monotonic clock", () => performance.now() / 1000);
