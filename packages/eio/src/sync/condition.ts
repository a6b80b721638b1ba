/**
 * Condition variables, as in Eio's `Eio.Condition`: fibers wait until another fiber calls
 * {@link broadcast}, then re-check their condition. Waiters loop: `while (!ready()) await`.
 * @module
 */
import { protect } from "../core/cancel.js";
import { type Fiber, type Operation, runBody, suspend, suspendUnchecked } from "../core/scheduler.js";
import { lock, unlock, type Mutex } from "./mutex.js";

/**
 * A condition variable (Eio's `Condition.t`). Opaque: use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const changed: Eio.Condition.Condition = Eio.Condition.create();
 * Eio.Condition.broadcast(changed);
 * ```
 */
export class Condition {
  /** @internal Called, in order, by the next broadcast. A Set, so leaving early is O(1). */
  requests = new Set<() => void>();
  /** @internal */
  constructor() {}
}

function check(t: unknown, what: string): Condition {
  if (!(t instanceof Condition)) throw new TypeError(`${what}: expected a condition (from Eio.Condition.create), got ${String(t)}`);
  return t;
}

/** Waits for the next broadcast; the caller has already checked for cancellation. */
function waitForBroadcast(t: Condition, fiber: Fiber): void {
  const wake = (): void => void fiber.scheduler.wake(fiber, undefined);
  t.requests.add(wake);
  fiber.cancelFn = (error) => {
    t.requests.delete(wake);
    fiber.scheduler.wakeError(fiber, error);
  };
}

/**
 * A new condition variable. Mirrors `Eio.Condition.create`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const ready = Eio.Condition.create();
 * Eio.Condition.broadcast(ready);
 * ```
 */
export function create(): Condition {
  return new Condition();
}

/**
 * Unlocks `mutex` (which the caller holds), waits for a {@link broadcast}, then locks `mutex`
 * again before returning. Mirrors `Eio.Condition.await`.
 *
 * Suspends: yes — use `yield*`. Cancellation throws `Cancelled`, but only after the mutex has
 * been locked again (that re-lock cannot be cancelled), so the caller's cleanup can rely on it.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const m = Eio.Mutex.create();
 *   const changed = Eio.Condition.create();
 *   let x = 0;
 *   yield* Eio.Fiber.both(
 *     () => Eio.Mutex.useRo(m, function* () {
 *       while (x !== 42) yield* Eio.Condition.await(changed, m);
 *       console.log("x =", x);
 *     }),
 *     function* () {
 *       yield* Eio.Mutex.useRw(m, { protect: false }, () => { x = 42; });
 *       Eio.Condition.broadcast(changed);
 *     },
 *   );
 * });
 * ```
 */
export function* awaitCondition(t: Condition, mutex: Mutex): Operation<void> {
  check(t, "Condition.await");
  // Unlocking never switches fibers, so no broadcast can slip in before we are registered.
  unlock(mutex);
  try {
    yield* suspend<void>("Condition.await", (fiber) => waitForBroadcast(t, fiber));
  } finally {
    yield* protect(() => lock(mutex));
  }
}

/**
 * Waits for the next {@link broadcast}. Safe only when the condition was tested without
 * switching fibers since, in this domain (so no broadcast can have been missed).
 * Mirrors `Eio.Condition.await_no_mutex`.
 *
 * Suspends: yes — use `yield*`. Cancellation throws `Cancelled`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const c = Eio.Condition.create();
 *   yield* Eio.Fiber.both(
 *     function* () { yield* Eio.Condition.awaitNoMutex(c); console.log("woken"); },
 *     () => Eio.Condition.broadcast(c),
 *   );
 * });
 * ```
 */
export function awaitNoMutex(t: Condition): Operation<void> {
  check(t, "Condition.awaitNoMutex");
  return suspend<void>("Condition.await", (fiber) => waitForBroadcast(t, fiber));
}

/**
 * Wakes every fiber waiting on `t` (queued in the order they started waiting; none runs now).
 * With no waiters it does nothing. Mirrors `Eio.Condition.broadcast`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * Eio.Condition.broadcast(Eio.Condition.create());
 * ```
 */
export function broadcast(t: Condition): void {
  const requests = check(t, "Condition.broadcast").requests;
  if (requests.size === 0) return;
  t.requests = new Set();
  // A registerImmediate callback that throws must not keep the later waiters asleep.
  let failure: { error: unknown } | null = null;
  for (const wake of requests) {
    try {
      wake();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== null) throw failure.error;
}

/**
 * A callback registered with {@link registerImmediate} (Eio's `Condition.request`). Opaque:
 * pass it to {@link cancel}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const request: Eio.Condition.Request = Eio.Condition.registerImmediate(Eio.Condition.create(), () => {});
 * console.log(Eio.Condition.cancel(request));
 * ```
 */
export class Request {
  /** @internal */
  done = false;
  /** @internal */
  constructor(
    /** @internal */
    readonly condition: Condition,
    /** @internal */
    readonly call: () => void,
  ) {}
}

/**
 * Calls `fn()` the next time `t` is broadcast, from inside {@link broadcast} itself: no fiber
 * runs it, so it must not suspend, and it should be quick (say, wake an outside library). An
 * error it throws is thrown from `broadcast`'s caller after every other waiter was woken.
 * Mirrors `Eio.Condition.register_immediate`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const c = Eio.Condition.create();
 * Eio.Condition.registerImmediate(c, () => console.log("broadcast seen"));
 * Eio.Condition.broadcast(c);
 * Eio.Condition.broadcast(c);
 * ```
 */
export function registerImmediate(t: Condition, fn: () => void): Request {
  const condition = check(t, "Condition.registerImmediate");
  if (typeof fn !== "function") throw new TypeError(`Condition.registerImmediate: expected a function, got ${typeof fn}`);
  const request: Request = new Request(condition, () => {
    request.done = true;
    fn();
  });
  condition.requests.add(request.call);
  return request;
}

/**
 * Withdraws a request of {@link registerImmediate}: true if it was withdrawn (its callback will
 * never run), false if its broadcast already came (the callback ran). Mirrors
 * `Eio.Condition.cancel`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const c = Eio.Condition.create();
 * const request = Eio.Condition.registerImmediate(c, () => console.log("never printed"));
 * console.log(Eio.Condition.cancel(request));
 * Eio.Condition.broadcast(c);
 * ```
 */
export function cancel(request: Request): boolean {
  if (!(request instanceof Request)) throw new TypeError(`Condition.cancel: expected a request from Condition.registerImmediate, got ${String(request)}`);
  if (request.done) return false;
  return request.condition.requests.delete(request.call);
}

/**
 * Runs `update` until it returns something other than `undefined`, and returns that. After an
 * `undefined`, waits for a {@link broadcast} before running it again; a broadcast that happens
 * while `update` runs makes it run again at once. Mirrors `Eio.Condition.loop_no_mutex`
 * (`undefined` stands for `None`).
 *
 * Suspends: yes — use `yield*`. Cancellation throws `Cancelled` when it would wait.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const c = Eio.Condition.create();
 *   let n = 0;
 *   yield* Eio.Fiber.both(
 *     function* () {
 *       const seen = yield* Eio.Condition.loopNoMutex(c, () => (n >= 2 ? n : undefined));
 *       console.log("saw", seen);
 *     },
 *     function* () {
 *       for (let i = 0; i < 2; i++) { n++; Eio.Condition.broadcast(c); yield* Eio.Fiber.yield(); }
 *     },
 *   );
 * });
 * ```
 */
export function* loopNoMutex<T>(t: Condition, update: () => T | undefined | Generator<unknown, T | undefined, unknown>): Operation<T> {
  check(t, "Condition.loopNoMutex");
  if (typeof update !== "function") throw new TypeError(`Condition.loopNoMutex: expected a function, got ${typeof update}`);
  for (;;) {
    // Register before running `update`, so a broadcast during it is not missed.
    let broadcastSeen = false;
    let waiter: Fiber | null = null;
    const wake = (): void => {
      broadcastSeen = true;
      if (waiter !== null) waiter.scheduler.wake(waiter, undefined);
    };
    t.requests.add(wake);
    let result: T | undefined;
    try {
      result = yield* runBody<T | undefined>(update());
    } catch (error) {
      t.requests.delete(wake);
      throw error;
    }
    if (result !== undefined) {
      t.requests.delete(wake);
      return result;
    }
    yield* suspendUnchecked<void>("Condition.loopNoMutex", (fiber) => {
      const cancelled = fiber.ctx.cancelError();
      if (cancelled !== null) {
        // Cancelled: stop, even if a broadcast already came.
        t.requests.delete(wake);
        fiber.scheduler.wakeError(fiber, cancelled);
      } else if (broadcastSeen) {
        fiber.scheduler.wake(fiber, undefined);
      } else {
        waiter = fiber;
        fiber.cancelFn = (error) => {
          t.requests.delete(wake);
          fiber.scheduler.wakeError(fiber, error);
        };
      }
    });
  }
}

export { awaitCondition as await };
