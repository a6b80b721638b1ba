/**
 * A pool of reusable resources, as in Eio's `Eio.Pool`: up to `max` resources are made on
 * demand, handed out one user at a time, and returned for the next. Use it where making a
 * resource is expensive (a connection, a big buffer); to only limit how many are in use at once,
 * `Eio.Semaphore` is simpler.
 *
 * A pool belongs to the domain that made it, unless it is made with `{ shared: true }`: a shared
 * pool's resources are values that cross domains (see {@link SharedCreateOptions}), so any
 * domain's fibers may use any of them, as with Eio's domain-safe pool.
 * @module
 */
import { type Fiber, type Operation, runBody, suspendUnchecked } from "../core/scheduler.js";
import type { Task } from "../core/task-type.js";
import { type SharedPoolBackend, sharedPoolFactory, type TaskRef } from "./pool-shared-hook.js";

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
 * the fibers of the domain that made it; one made with `{ shared: true }` serves every domain
 * it is sent to.
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
    /** How a shared pool serves this domain; null for a pool of this domain. @internal */
    public shared: SharedPoolBackend | null = null,
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
 * Options for a shared pool (`Pool.create(max, alloc, { shared: true, ... })`).
 *
 * JavaScript resources cannot all cross threads (a socket, a closure), so a shared pool holds
 * resources that are values the domains carry: a `SharedArrayBuffer` or a view of one (shared
 * memory, the same bytes in every domain), a shared `Eio.Promise` or `Eio.Stream`, or plain
 * data (copied each time it moves; a resource is handed from one user to the next, never used
 * by two at once, so a copy is as good as the original). Its free resources wait in a shared
 * stream, and a shared counter keeps the number made at `max`: waiters of every domain are
 * served in arrival order, as in Eio. For per-domain objects such as connections, give each
 * domain its own pool (`Pool.create` in the domain's task).
 *
 * The functions become {@link Task}s (closures cannot cross threads): each runs in the domain of
 * the fiber that needs it, as Eio runs `alloc` in the fiber that calls `use`. So the domain that
 * makes the pool may import the tasks' module too: keep them out of a program entry that waits
 * in a top-level await (a module cannot be imported while it evaluates).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * export const newBuffer = () => new SharedArrayBuffer(64 * 1024);
 * export const isClean = (_b: SharedArrayBuffer) => true;
 * const options: Eio.Pool.SharedCreateOptions = { shared: true, validate: Eio.task(import.meta.url, "isClean") };
 * console.log(options.shared);
 * ```
 */
export interface SharedCreateOptions {
  /** Makes the pool shared between domains. */
  shared: true;
  /** The task that checks a resource before each reuse (as `CreateOptions.validate`). */
  validate?: Task<[never], boolean>;
  /** The task that frees a resource (as `CreateOptions.dispose`). */
  dispose?: Task<[never], unknown>;
}

/**
 * A pool that allows up to `max` resources to be live at a time, making them with `alloc` as
 * needed (in the fiber that wants one; if it throws, that use fails, and later uses try again).
 * `alloc` may suspend. Mirrors `Eio.Pool.create`.
 *
 * With `{ shared: true }`, `alloc`, `validate` and `dispose` are tasks and the pool can be sent
 * to other domains (see {@link SharedCreateOptions}).
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
 * @example A pool of shared buffers, used from two domains
 * ```ts
 * import * as Eio from "eio-ts";
 * import { isMainThread } from "node:worker_threads";
 * export const newBuffer = () => new Int32Array(new SharedArrayBuffer(4));
 * export function* bump(pool: Eio.Pool.Pool<Int32Array>) {
 *   return yield* Eio.Pool.use(pool, (b) => ++b[0]!);
 * }
 * if (isMainThread) {
 *   await Eio.run(function* (env) {
 *     const pool = Eio.Pool.create(1, Eio.task<[], Int32Array>(import.meta.url, "newBuffer"), { shared: true });
 *     // Made in the other domain (this module, still in its top-level await, cannot be imported here).
 *     yield* Eio.DomainManager.run(env.domainMgr, Eio.task(import.meta.url, "bump"), pool);
 *     console.log(yield* bump(pool)); // 2: the same buffer
 *   });
 * }
 * ```
 */
export function create<T>(max: number, alloc: Task<[], T>, options: SharedCreateOptions): Pool<T>;
export function create<T>(max: number, alloc: () => T | Generator<unknown, T, unknown>, options?: CreateOptions<T>): Pool<T>;
export function create<T>(max: number, alloc: (() => T | Generator<unknown, T, unknown>) | Task<[], T>, options: CreateOptions<T> | SharedCreateOptions = {}): Pool<T> {
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max <= 0) {
    throw new RangeError(`Pool.create: max must be a positive integer, got ${String(max)}`);
  }
  if (typeof options !== "object" || options === null) throw new TypeError(`Pool.create: expected options { validate?, dispose?, shared? }, got ${String(options)}`);
  if ((options as { shared?: unknown }).shared === true) return createShared<T>(max, alloc, options as SharedCreateOptions);
  if (typeof alloc !== "function") throw new TypeError(`Pool.create: expected an alloc function, got ${typeof alloc}`);
  const { validate, dispose } = options as CreateOptions<T>;
  if (validate !== undefined && typeof validate !== "function") throw new TypeError(`Pool.create: options.validate must be a function, got ${typeof validate}`);
  if (dispose !== undefined && typeof dispose !== "function") throw new TypeError(`Pool.create: options.dispose must be a function, got ${typeof dispose}`);
  return new Pool<T>(max, alloc, validate, dispose);
}

function isTask(value: unknown): value is TaskRef {
  return typeof value === "object" && value !== null && typeof (value as TaskRef).moduleUrl === "string" && typeof (value as TaskRef).exportName === "string";
}

function createShared<T>(max: number, alloc: unknown, options: SharedCreateOptions): Pool<T> {
  const what = (value: unknown) => (typeof value === "function" ? "a function (closures cannot cross domains)" : String(value));
  if (!isTask(alloc)) throw new TypeError(`Pool.create: a shared pool's alloc must be a task (Eio.task(import.meta.url, "name")), got ${what(alloc)}`);
  const { validate, dispose } = options;
  if (validate !== undefined && !isTask(validate)) throw new TypeError(`Pool.create: a shared pool's options.validate must be a task, got ${what(validate)}`);
  if (dispose !== undefined && !isTask(dispose)) throw new TypeError(`Pool.create: a shared pool's options.dispose must be a task, got ${what(dispose)}`);
  const factory = sharedPoolFactory();
  if (factory === null) throw new Error("Pool.create: shared pools need the domains runtime, which is not loaded.");
  const pool = new Pool<T>(max, () => undefined, undefined, undefined);
  pool.shared = factory(pool, max, alloc, validate ?? null, dispose ?? null);
  return pool;
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
  if (t.shared !== null) return (yield* t.shared.use(fn as (resource: unknown) => unknown, options.neverBlock === true)) as R;
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
