/**
 * Promises, as in Eio's `Eio.Promise`: a value that will be provided later. Waiting fibers are
 * queued (never switched to) when it is resolved. Not to be confused with the native
 * `Promise`: `Eio.Promise` never shadows it.
 * @module
 */
import { awaitLocal, createShared, LocalPromise, type PromiseImpl } from "./local-promise.js";
import type { Result } from "./result.js";
import type { Operation } from "./scheduler.js";

declare const promiseBrand: unique symbol;
declare const resolverBrand: unique symbol;

/**
 * The reading end of a promise (Eio's `'a Promise.t`): give it to the fibers that wait.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const [promise]: [Eio.Promise.Promise<string>, Eio.Promise.Resolver<string>] = Eio.Promise.create<string>();
 * console.log(Eio.Promise.isResolved(promise));
 * ```
 */
export interface Promise<T> {
  /** @internal */
  readonly [promiseBrand]: T;
}

/**
 * The writing end of a promise (Eio's `'a Promise.u`): give it to the fiber that answers.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const [promise, resolver] = Eio.Promise.create<number>();
 * const answer = (r: Eio.Promise.Resolver<number>) => Eio.Promise.resolve(r, 42);
 * answer(resolver);
 * console.log(Eio.Promise.peek(promise));
 * ```
 */
export interface Resolver<T> {
  /** @internal */
  readonly [resolverBrand]: (value: T) => void;
}

/**
 * A promise whose value is a result (Eio's `'a Promise.or_exn`), as `Fiber.forkPromise` returns.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const p: Eio.Promise.OrError<number> = Eio.Fiber.forkPromise<number>(sw, () => 1);
 *     console.log(yield* Eio.Promise.awaitExn(p));
 *   });
 * });
 * ```
 */
export type OrError<T> = Promise<Result<T>>;

/**
 * Options for {@link create}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Promise.CreateOptions = { label: "config loaded" };
 * const [promise] = Eio.Promise.create<void>(options);
 * console.log(Eio.Promise.isResolved(promise));
 * ```
 */
export interface CreateOptions {
  /** Make a promise that other domains can await and resolve (see the domains chapter). */
  shared?: boolean;
  /** A label for traces. */
  label?: string;
}

function impl<T>(p: unknown, what: string): PromiseImpl<T> {
  if (typeof p !== "object" || p === null || typeof (p as PromiseImpl<T>).awaitOp !== "function") {
    throw new TypeError(`${what}: expected an Eio promise or resolver (from Eio.Promise.create), got ${String(p)}`);
  }
  return p as PromiseImpl<T>;
}

/**
 * Creates a new unresolved promise and its resolver. Mirrors `Eio.Promise.create`.
 *
 * With `{ shared: true }` the promise lives in the shared heap: fibers of any domain may await
 * and resolve it, and it (or its resolver) may travel inside values sent to other domains
 * (task arguments, stream items, promise values), arriving as a live handle. Its value is
 * structured-cloned: each domain reads its own copy. A promise made without `shared` cannot
 * cross: sending one is a `TypeError` that says so.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const [promise, resolver] = Eio.Promise.create<string>();
 *   Eio.Promise.resolve(resolver, "hello");
 *   console.log(yield* Eio.Promise.await(promise));
 * });
 * ```
 */
export function create<T>(options?: CreateOptions): [Promise<T>, Resolver<T>] {
  if (options === undefined) {
    const local = new LocalPromise<T>();
    return [local as unknown as Promise<T>, local as unknown as Resolver<T>];
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Promise.create: options must be an object, got ${String(options)}`);
  }
  let cell: PromiseImpl<T>;
  if (options.shared === true) {
    if (createShared === null) throw new Error("Promise.create: shared promises need the domains runtime, which is not loaded.");
    cell = createShared<T>(options.label);
  } else {
    cell = new LocalPromise<T>(options.label);
  }
  return [cell as unknown as Promise<T>, cell as unknown as Resolver<T>];
}

/**
 * A promise that is already resolved with `value`. Mirrors `Eio.Promise.create_resolved`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const p = Eio.Promise.createResolved(7);
 * console.log(Eio.Promise.peek(p));
 * ```
 */
export function createResolved<T>(value: T): Promise<T> {
  const cell = new LocalPromise<T>();
  cell.tryResolveValue(value);
  return cell as unknown as Promise<T>;
}

/**
 * Waits for the promise's value. Mirrors `Eio.Promise.await`.
 *
 * Suspends: if unresolved — use `yield*`. Cancelling the waiting fiber throws `Cancelled`
 * and leaves the promise as it was. A resolved promise returns at once, even when cancelled.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const [p, r] = Eio.Promise.create<number>();
 *   yield* Eio.Switch.run((sw) => {
 *     Eio.Fiber.fork(sw, function* () { console.log("got", yield* Eio.Promise.await(p)); });
 *     Eio.Promise.resolve(r, 42);
 *   });
 * });
 * ```
 */
export function awaitPromise<T>(promise: Promise<T>): Operation<T> {
  if (promise instanceof LocalPromise) return awaitLocal(promise as LocalPromise<T>);
  return impl<T>(promise, "Promise.await").awaitOp();
}

/**
 * Waits for a result promise; returns the value or throws the error. Mirrors
 * `Eio.Promise.await_exn`.
 *
 * Suspends: if unresolved — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const [p, r] = Eio.Promise.create<Eio.Result<number>>();
 *   Eio.Promise.resolveError(r, new Error("no"));
 *   try { yield* Eio.Promise.awaitExn(p); } catch (e) { console.log((e as Error).message); }
 * });
 * ```
 */
export function* awaitExn<T>(promise: OrError<T>): Operation<T> {
  const result = yield* impl<Result<T>>(promise, "Promise.awaitExn").awaitOp();
  if (result.ok) return result.value;
  throw result.error;
}

/**
 * Resolves the promise, waking its waiters (they are queued, not run now). Throws if it was
 * already resolved. Mirrors `Eio.Promise.resolve`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const [p, r] = Eio.Promise.create<number>();
 * Eio.Promise.resolve(r, 1);
 * try { Eio.Promise.resolve(r, 2); } catch (e) { console.log((e as Error).message); }
 * console.log(Eio.Promise.peek(p));
 * ```
 */
export function resolve<T>(resolver: Resolver<T>, value: T): void {
  const cell = resolver instanceof LocalPromise ? (resolver as LocalPromise<T>) : impl<T>(resolver, "Promise.resolve");
  if (!cell.tryResolveValue(value)) {
    throw new Error("Cannot resolve the promise: it is already resolved. Use Promise.tryResolve to ignore this case.");
  }
}

/**
 * Resolves the promise unless it is already resolved; true if this call resolved it.
 * Mirrors `Eio.Promise.try_resolve`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const [, r] = Eio.Promise.create<number>();
 * console.log(Eio.Promise.tryResolve(r, 1), Eio.Promise.tryResolve(r, 2));
 * ```
 */
export function tryResolve<T>(resolver: Resolver<T>, value: T): boolean {
  return impl<T>(resolver, "Promise.tryResolve").tryResolveValue(value);
}

/**
 * Resolves a result promise with a success. Mirrors `Eio.Promise.resolve_ok`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const [p, r] = Eio.Promise.create<Eio.Result<number>>();
 * Eio.Promise.resolveOk(r, 5);
 * console.log(Eio.Promise.peek(p));
 * ```
 */
export function resolveOk<T>(resolver: Resolver<Result<T>>, value: T): void {
  resolve(resolver, { ok: true, value });
}

/**
 * Resolves a result promise with a failure. Mirrors `Eio.Promise.resolve_error`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const [p, r] = Eio.Promise.create<Eio.Result<number>>();
 * Eio.Promise.resolveError(r, new Error("bad"));
 * console.log(Eio.Promise.isResolved(p));
 * ```
 */
export function resolveError<T>(resolver: Resolver<Result<T>>, error: unknown): void {
  resolve(resolver, { ok: false, error });
}

/**
 * The value if resolved, else `undefined` (Eio's `peek` returns an option).
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const [p] = Eio.Promise.create<number>();
 * console.log(Eio.Promise.peek(p));
 * ```
 */
export function peek<T>(promise: Promise<T>): T | undefined {
  const state = impl<T>(promise, "Promise.peek").peekState();
  return state.resolved ? state.value : undefined;
}

/**
 * True once the promise has been resolved. Mirrors `Eio.Promise.is_resolved`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.Promise.isResolved(Eio.Promise.createResolved(0)));
 * ```
 */
export function isResolved<T>(promise: Promise<T>): boolean {
  return impl<T>(promise, "Promise.isResolved").peekState().resolved;
}

export { awaitPromise as await };
