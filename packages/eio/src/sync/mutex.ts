/**
 * Mutexes, as in Eio's `Eio.Mutex`: a lock whose waiters are fibers (other fibers keep running
 * while one waits). Within one domain a fiber switches only at a blocking operation, so a mutex
 * is needed only when a critical section itself blocks.
 * @module
 */
import { protect as cancelProtect } from "../core/cancel.js";
import { describe } from "../core/errors.js";
import { type Fiber, type Operation, runBody, suspend } from "../core/scheduler.js";
import { Deque } from "../core/deque.js";

/**
 * Thrown by any use of a mutex that was disabled by an error in a {@link useRw} critical
 * section (or by a bad unlock); the original error is in `cause`. Mirrors `Eio.Mutex.Poisoned`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.Mutex.Poisoned(new Error("boom")).message);
 * ```
 */
export class Poisoned extends Error {
  /** Always `"Poisoned"`: how logs and stack traces name this error. */
  override readonly name = "Poisoned";
  constructor(cause: unknown) {
    super(`The mutex is poisoned (disabled by an earlier error: ${describe(cause)})`, { cause });
  }
}

const enum State {
  Unlocked,
  Locked,
  Poisoned,
}

/**
 * A mutex (Eio's `Mutex.t`). Opaque: use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const m: Eio.Mutex.Mutex = Eio.Mutex.create();
 * console.log(Eio.Mutex.tryLock(m));
 * ```
 */
export class Mutex {
  /** @internal */ state = State.Unlocked;
  /** @internal */ poison: unknown = undefined;
  /** @internal Fibers waiting to lock; woken with `true` (the lock is theirs) or an error. */
  readonly waiters = new Deque<Fiber>();
  /** @internal */
  constructor() {}
}

function check(t: unknown, what: string): Mutex {
  if (!(t instanceof Mutex)) throw new TypeError(`${what}: expected a mutex (from Eio.Mutex.create), got ${String(t)}`);
  return t;
}

function poison(t: Mutex, error: unknown): void {
  t.state = State.Poisoned;
  t.poison = error;
  for (let fiber = t.waiters.shift(); fiber !== undefined; fiber = t.waiters.shift()) {
    fiber.scheduler.wakeError(fiber, new Poisoned(error));
  }
}

/**
 * A new, unlocked mutex. Mirrors `Eio.Mutex.create`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const m = Eio.Mutex.create();
 * console.log(Eio.Mutex.tryLock(m));
 * ```
 */
export function create(): Mutex {
  return new Mutex();
}

/**
 * Locks `t`, waiting (first come, first served) while another fiber holds it. A free mutex is
 * taken at once without switching fibers. Mirrors `Eio.Mutex.lock`.
 *
 * Suspends: if locked — use `yield*`. Cancelling the wait throws `Cancelled` (the mutex is not
 * taken). Throws {@link Poisoned} if the mutex is poisoned, also while waiting.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const m = Eio.Mutex.create();
 *   yield* Eio.Mutex.lock(m);
 *   console.log("locked");
 *   Eio.Mutex.unlock(m);
 * });
 * ```
 */
export function* lock(t: Mutex): Operation<void> {
  check(t, "Mutex.lock");
  if (t.state === State.Unlocked) {
    t.state = State.Locked;
    return;
  }
  if (t.state === State.Poisoned) throw new Poisoned(t.poison);
  // The unlocker hands the lock over without unlocking: it stays Locked, and is ours when woken.
  yield* suspend<void>("Mutex.lock", (fiber) => {
    t.waiters.pushTail(fiber);
    fiber.cancelFn = (error) => {
      t.waiters.remove(fiber);
      fiber.scheduler.wakeError(fiber, error);
    };
  });
}

/**
 * Unlocks `t`; the longest waiter, if any, gets the lock (it is queued, not run now).
 * Unlocking a mutex that is not locked poisons it and throws. Mirrors `Eio.Mutex.unlock`.
 *
 * Suspends: never. Throws {@link Poisoned} if poisoned.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const m = Eio.Mutex.create();
 * try { Eio.Mutex.unlock(m); } catch (e) { console.log((e as Error).message); }
 * ```
 */
export function unlock(t: Mutex): void {
  check(t, "Mutex.unlock");
  if (t.state === State.Locked) {
    for (let fiber = t.waiters.shift(); fiber !== undefined; fiber = t.waiters.shift()) {
      if (fiber.scheduler.wake(fiber, undefined)) return;
    }
    t.state = State.Unlocked;
  } else if (t.state === State.Unlocked) {
    const error = new Error("Eio.Mutex.unlock: already unlocked!");
    poison(t, error);
    throw error;
  } else {
    throw new Poisoned(t.poison);
  }
}

/**
 * Locks `t` if it is free and returns true; returns false at once if it is locked.
 * Mirrors `Eio.Mutex.try_lock`.
 *
 * Suspends: never. Throws {@link Poisoned} if poisoned.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const m = Eio.Mutex.create();
 * console.log(Eio.Mutex.tryLock(m), Eio.Mutex.tryLock(m));
 * ```
 */
export function tryLock(t: Mutex): boolean {
  check(t, "Mutex.tryLock");
  if (t.state === State.Unlocked) {
    t.state = State.Locked;
    return true;
  }
  if (t.state === State.Poisoned) throw new Poisoned(t.poison);
  return false;
}

/**
 * Options for {@link useRw}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Mutex.UseRwOptions = { protect: true };
 * await Eio.run(function* () {
 *   console.log(yield* Eio.Mutex.useRw(Eio.Mutex.create(), options, () => "done"));
 * });
 * ```
 */
export interface UseRwOptions {
  /**
   * Required, as in Eio. If true, the critical section runs in `Cancel.protect`, so
   * cancellation cannot leave the resource half-changed. Waiting for the lock is cancellable
   * either way.
   */
  protect: boolean;
}

/**
 * Waits for the lock, runs `fn` holding it, then unlocks. `fn` may change the protected
 * resource; if it throws (cancellation included), the mutex is poisoned for good, since the
 * resource may be inconsistent, and the error is rethrown. Mirrors `Eio.Mutex.use_rw`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const m = Eio.Mutex.create();
 *   let balance = 0;
 *   yield* Eio.Mutex.useRw(m, { protect: true }, function* () {
 *     const read = balance;
 *     yield* Eio.Fiber.yield();
 *     balance = read + 10;
 *   });
 *   console.log(balance);
 * });
 * ```
 */
export function* useRw<T>(t: Mutex, options: UseRwOptions, fn: () => T | Generator<unknown, T, unknown>): Operation<T> {
  check(t, "Mutex.useRw");
  if (typeof options !== "object" || options === null || typeof options.protect !== "boolean") {
    throw new TypeError(`Mutex.useRw: options must be { protect: true | false }, got ${String(options && JSON.stringify(options))}`);
  }
  if (typeof fn !== "function") throw new TypeError(`Mutex.useRw: expected a function, got ${typeof fn}`);
  yield* lock(t);
  let result: T;
  try {
    result = options.protect ? yield* cancelProtect<T>(fn) : yield* runBody<T>(fn());
  } catch (error) {
    poison(t, error);
    throw error;
  }
  unlock(t);
  return result;
}

/**
 * Waits for the lock, runs `fn` holding it, then unlocks, also when `fn` throws: use it when
 * `fn` only reads, so the resource stays consistent whatever happens. Mirrors `Eio.Mutex.use_ro`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const m = Eio.Mutex.create();
 *   const config = { port: 8080 };
 *   console.log(yield* Eio.Mutex.useRo(m, () => config.port));
 * });
 * ```
 */
export function* useRo<T>(t: Mutex, fn: () => T | Generator<unknown, T, unknown>): Operation<T> {
  check(t, "Mutex.useRo");
  if (typeof fn !== "function") throw new TypeError(`Mutex.useRo: expected a function, got ${typeof fn}`);
  yield* lock(t);
  try {
    return yield* runBody<T>(fn());
  } finally {
    unlock(t);
  }
}
