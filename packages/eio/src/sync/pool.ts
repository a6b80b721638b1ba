/**
 * A pool of reusable resources, as in Eio's `Eio.Pool`: up to `max` resources are made on
 * demand, handed out one user at a time, and returned for the next. Use it where making a
 * resource is expensive (a connection, a big buffer); to only limit how many are in use at once,
 * `Eio.Semaphore` is simpler.
 *
 * A pool belongs to one domain: its fibers share it; sharing it across domains is not supported
 * yet.
 * @module
 */
import { type Fiber, type Operation, runBody, suspendUnchecked } from "../core/scheduler.js";

/** A place for one resource; empty until first used, or after its resource was discarded. */
interface Slot<T> {
  resource: T | undefined;
  full: boolean;
}

/** A fiber waiting for a slot. `slot` is set if one was handed over before it suspended. */
interface Waiter<T> {
  fiber: Fiber | null;
  slot: Slot<T> | null;
}

/**
 * A resource pool (Eio's `Pool.t`), made by {@link create}. Opaque: use {@link use}. It serves
 * the fibers of the domain that made it; sharing a pool across domains is not supported yet.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const pool: Eio.Pool.Pool<Uint8Array> = Eio.Pool.create<Uint8Array>(2, () => new Uint8Array(1024));
 * console.log(typeof pool);
 * ```
 */
export class Pool<T> {
  /** Slots made so far, free or in use. @internal */
  slots = 0;
  /** Free slots, oldest first. @internal */
  readonly free: Slot<T>[] = [];
  /** Fibers waiting for a slot, in arrival order. @internal */
  readonly waiters: Waiter<T>[] = [];

  /** @internal */
  constructor(
    /** @internal */
    readonly max: number,
    /** @internal */
    readonly alloc: () => unknown,
    /** @internal */
    readonly validate: ((resource: T) => unknown) | undefined,
    /** @internal */
    readonly dispose: ((resource: T) => unknown) | undefined,
  ) {}
}

/**
 * Options for {@link create}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Pool.CreateOptions<number[]> = { validate: (xs) => xs.length === 0, dispose: (xs) => void xs };
 * console.log(Object.keys(options));
 * ```
 */
export interface CreateOptions<T> {
  /**
   * Checks a resource before each reuse (not on first use); if it returns false, the pool
   * disposes of the resource and makes a fresh one. May suspend.
   */
  validate?: (resource: T) => boolean | Generator<unknown, boolean, unknown>;
  /**
   * Frees a resource that failed `validate`, or one made for a `neverBlock` use. If it throws,
   * the error reaches the user, but the resource still counts as disposed. May suspend.
   */
  dispose?: (resource: T) => unknown;
}

/**
 * A pool that allows up to `max` resources to be live at a time, making them with `alloc` as
 * needed (in the fiber that wants one; if it throws, that use fails, and later uses try again).
 * `alloc` may suspend. Mirrors `Eio.Pool.create`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   let made = 0;
 *   const pool = Eio.Pool.create(1, () => ++made);
 *   yield* Eio.Pool.use(pool, (x) => console.log("using", x));
 *   yield* Eio.Pool.use(pool, (x) => console.log("using", x));
 * });
 * ```
 */
export function create<T>(max: number, alloc: () => T | Generator<unknown, T, unknown>, options: CreateOptions<T> = {}): Pool<T> {
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max <= 0) {
    throw new RangeError(`Pool.create: max must be a positive integer, got ${String(max)}`);
  }
  if (typeof alloc !== "function") throw new TypeError(`Pool.create: expected an alloc function, got ${typeof alloc}`);
  if (typeof options !== "object" || options === null) throw new TypeError(`Pool.create: expected options { validate?, dispose? }, got ${String(options)}`);
  const { validate, dispose } = options;
  if (validate !== undefined && typeof validate !== "function") throw new TypeError(`Pool.create: options.validate must be a function, got ${typeof validate}`);
  if (dispose !== undefined && typeof dispose !== "function") throw new TypeError(`Pool.create: options.dispose must be a function, got ${typeof dispose}`);
  return new Pool<T>(max, alloc, validate, dispose);
}

/** Gives `slot` to the longest waiter still waiting, or puts it on the free list (Eio's `add`). */
function add<T>(pool: Pool<T>, slot: Slot<T>): void {
  for (let w = pool.waiters.shift(); w !== undefined; w = pool.waiters.shift()) {
    if (w.fiber === null) {
      w.slot = slot; // It is about to suspend: it will find the slot there.
      return;
    }
    if (w.fiber.scheduler.wake(w.fiber, slot)) return;
  }
  pool.free.push(slot);
}

/** Runs `fn` with the slot's resource, making or replacing it first; always returns the slot. */
function* runWith<T, R>(pool: Pool<T>, slot: Slot<T>, fn: (resource: T) => unknown): Operation<R> {
  try {
    if (slot.full && pool.validate !== undefined && !(yield* runBody<boolean>(pool.validate(slot.resource as T)))) {
      const old = slot.resource as T;
      slot.full = false;
      slot.resource = undefined;
      if (pool.dispose !== undefined) yield* runBody(pool.dispose(old));
    }
    if (!slot.full) {
      slot.resource = yield* runBody<T>(pool.alloc());
      slot.full = true;
    }
    return yield* runBody<R>(fn(slot.resource as T));
  } finally {
    add(pool, slot);
  }
}

function* runNewAndDispose<T, R>(pool: Pool<T>, fn: (resource: T) => unknown): Operation<R> {
  const resource = yield* runBody<T>(pool.alloc());
  try {
    return yield* runBody<R>(fn(resource));
  } finally {
    if (pool.dispose !== undefined) yield* runBody(pool.dispose(resource));
  }
}

/**
 * Options for {@link use}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Pool.UseOptions = { neverBlock: true };
 * console.log(options.neverBlock);
 * ```
 */
export interface UseOptions {
  /**
   * If the pool is at capacity, make a fresh resource for this use instead of waiting, and
   * dispose of it afterwards.
   */
  neverBlock?: boolean;
}

/**
 * Waits for a resource, runs `fn(resource)` and returns its result; afterwards (also when `fn`
 * throws) the resource goes back to the pool, to the longest waiter first. A free resource is
 * taken at once; otherwise, below capacity, a new slot is added (and the resource made in this
 * fiber), and at capacity the fiber waits its turn. Mirrors `Eio.Pool.use`.
 *
 * Suspends: yes — use `yield*`. Cancelling a waiting fiber removes it from the queue.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const pool = Eio.Pool.create(1, () => "conn");
 *   yield* Eio.Fiber.both(
 *     () => Eio.Pool.use(pool, function* (c) { console.log("A has", c); yield* Eio.Fiber.yield(); console.log("A done"); }),
 *     () => Eio.Pool.use(pool, (c) => console.log("B has", c)),
 *   );
 * });
 * ```
 */
export function* use<T, R>(pool: Pool<T>, fn: (resource: T) => R | Generator<unknown, R, unknown>, options: UseOptions = {}): Operation<R> {
  if (!(pool instanceof Pool)) throw new TypeError(`Pool.use: expected a pool from Pool.create, got ${String(pool)}`);
  if (typeof fn !== "function") throw new TypeError(`Pool.use: expected a function (resource) => ..., got ${typeof fn}`);
  const t = pool as Pool<T>;
  const free = t.free.shift();
  if (free !== undefined) return yield* runWith<T, R>(t, free, fn);
  if (t.slots >= t.max) {
    if (options.neverBlock === true) return yield* runNewAndDispose<T, R>(t, fn);
  }
  // Take our place in the queue before adding a slot, so the slot goes to whoever was first,
  // and always suspend, even if the new slot comes back to us (as Eio does).
  const waiter: Waiter<T> = { fiber: null, slot: null };
  t.waiters.push(waiter);
  if (t.slots < t.max) {
    t.slots++;
    add(t, { resource: undefined, full: false });
  }
  const slot = yield* suspendUnchecked<Slot<T>>("Pool.use", (fiber) => {
    if (waiter.slot !== null) return void fiber.scheduler.wake(fiber, waiter.slot);
    if (fiber.ctx.cancelled) {
      t.waiters.splice(t.waiters.indexOf(waiter), 1);
      return void fiber.scheduler.wakeError(fiber, fiber.ctx.cancelError());
    }
    waiter.fiber = fiber;
    fiber.cancelFn = (cancelled) => {
      const at = t.waiters.indexOf(waiter);
      if (at >= 0) t.waiters.splice(at, 1);
      fiber.scheduler.wakeError(fiber, cancelled);
    };
  });
  return yield* runWith<T, R>(t, slot, fn);
}
