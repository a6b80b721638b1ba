/**
 * Counting semaphores, as in Eio's `Eio.Semaphore`: a number of free resources; `acquire` takes
 * one (waiting, first come first served, while there are none) and `release` gives one back.
 * @module
 */
import { Deque } from "../core/deque.js";
import { type Fiber, type Operation, suspend } from "../core/scheduler.js";

/**
 * A semaphore (Eio's `Semaphore.t`). Opaque: use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const slots: Eio.Semaphore.Semaphore = Eio.Semaphore.make(4);
 * console.log(Eio.Semaphore.getValue(slots));
 * ```
 */
export class Semaphore {
  /** @internal Free resources; nonzero only while nobody waits. */
  value: number;
  /** @internal */
  readonly waiters = new Deque<Fiber>();
  /** @internal */
  constructor(value: number) {
    this.value = value;
  }
}

function check(t: unknown, what: string): Semaphore {
  if (!(t instanceof Semaphore)) throw new TypeError(`${what}: expected a semaphore (from Eio.Semaphore.make), got ${String(t)}`);
  return t;
}

/**
 * A semaphore with `n` free resources (`n` a whole number >= 0). Mirrors `Eio.Semaphore.make`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.Semaphore.getValue(Eio.Semaphore.make(3)));
 * ```
 */
export function make(n: number): Semaphore {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Semaphore.make: the initial value must be a whole number >= 0, got ${String(n)}`);
  }
  return new Semaphore(n);
}

/**
 * Takes one resource, waiting while none is free. A free resource is taken at once, without
 * switching fibers and without checking for cancellation. Mirrors `Eio.Semaphore.acquire`.
 *
 * Suspends: if none is free — use `yield*`. Cancelling the wait throws `Cancelled` and takes
 * nothing.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const s = Eio.Semaphore.make(1);
 *   yield* Eio.Semaphore.acquire(s);
 *   console.log(Eio.Semaphore.getValue(s));
 *   Eio.Semaphore.release(s);
 * });
 * ```
 */
export function* acquire(t: Semaphore): Operation<void> {
  check(t, "Semaphore.acquire");
  if (t.value > 0) {
    t.value--;
    return;
  }
  // The releaser hands its resource straight to us: the count never goes up in between.
  yield* suspend<void>("Semaphore.acquire", (fiber) => {
    t.waiters.pushTail(fiber);
    fiber.cancelFn = (error) => {
      t.waiters.remove(fiber);
      fiber.scheduler.wakeError(fiber, error);
    };
  });
}

/**
 * Gives a resource back: the longest waiter gets it (it is queued, not run now), or the count
 * goes up. Mirrors `Eio.Semaphore.release`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const s = Eio.Semaphore.make(0);
 * Eio.Semaphore.release(s);
 * console.log(Eio.Semaphore.getValue(s));
 * ```
 */
export function release(t: Semaphore): void {
  check(t, "Semaphore.release");
  for (let fiber = t.waiters.shift(); fiber !== undefined; fiber = t.waiters.shift()) {
    if (fiber.scheduler.wake(fiber, undefined)) return;
  }
  if (t.value === Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`Semaphore.release: the value would exceed ${Number.MAX_SAFE_INTEGER}; release is called more often than acquire`);
  }
  t.value++;
}

/**
 * The number of free resources now (0 while fibers wait). Mirrors `Eio.Semaphore.get_value`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.Semaphore.getValue(Eio.Semaphore.make(2)));
 * ```
 */
export function getValue(t: Semaphore): number {
  return check(t, "Semaphore.getValue").value;
}
