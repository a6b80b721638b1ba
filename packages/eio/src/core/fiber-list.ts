/**
 * Concurrent list operations, as in Eio's `Eio.Fiber.List`: each item is processed in its own
 * fiber, at most `maxFibers` at once, and results keep the order of the input.
 * @module
 */
import { currentFiber, Fiber, type Operation, runBody, suspend } from "./scheduler.js";
import { fork } from "./fiber.js";
import { LocalPromise } from "./local-promise.js";
import { run as runSwitch } from "./switch.js";
import { checkOurDomain, decFibers, failInternal, incFibers, type Switch } from "./switch-type.js";

/** Eio's `fork_promise_exn`: failures go to the switch. */
function forkPromiseExn<T>(sw: Switch, fn: () => unknown): LocalPromise<T> {
  checkOurDomain(sw, "fork a fiber");
  const cell = new LocalPromise<T>();
  const parent = currentFiber();
  incFibers(sw);
  const child = new Fiber(parent.scheduler, sw.ctx, parent.vars, (ok, value) => {
    if (ok) cell.tryResolveValue(value as T);
    else failInternal(sw, value);
    decFibers(sw);
  });
  parent.scheduler.start(child, fn);
  return cell;
}

/**
 * Options for the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Fiber.List.ListOptions = { maxFibers: 1 };
 * await Eio.run(function* () {
 *   console.log(yield* Eio.Fiber.List.map((x: number) => x + 1, [1, 2], options));
 * });
 * ```
 */
export interface ListOptions {
  /** The most items processed at once (a positive integer). Default: no limit. */
  maxFibers?: number;
}

/** Eio's `Limiter`: like a semaphore, but used by one fiber only. */
class Limiter {
  private waiter: Fiber | null = null;
  constructor(
    readonly sw: Switch,
    private free: number,
  ) {}

  *awaitFree(): Operation<void> {
    if (this.free === 0) {
      yield* suspend<void>("Fiber.List.awaitFree", (fiber) => {
        this.waiter = fiber;
        fiber.cancelFn = (error) => {
          this.waiter = null;
          fiber.scheduler.wakeError(fiber, error);
        };
      });
    }
    this.free--;
  }

  release(): void {
    this.free++;
    if (this.free === 1 && this.waiter !== null) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.scheduler.wake(waiter, undefined);
    }
  }
}

function maxFibersOf(options: ListOptions, what: string): number {
  const max = options.maxFibers ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(max) || max <= 0) {
    throw new RangeError(`${what}: maxFibers must be a positive integer, got ${String(max)} (leave it out for no limit)`);
  }
  return max;
}

function checkArgs(fn: unknown, items: unknown, what: string): void {
  if (typeof fn !== "function") throw new TypeError(`${what}: expected a function, got ${typeof fn}`);
  if (!Array.isArray(items)) throw new TypeError(`${what}: expected an array of items, got ${typeof items}`);
}

/**
 * Applies `fn` to every item concurrently and keeps the results that are not `undefined`,
 * in input order. Mirrors `Eio.Fiber.List.filter_map`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const odd = yield* Eio.Fiber.List.filterMap((x: number) => (x % 2 ? x * 10 : undefined), [1, 2, 3]);
 *   console.log(odd);
 * });
 * ```
 */
export function* filterMap<A, B>(
  fn: (item: A) => unknown,
  items: readonly A[],
  options: ListOptions = {},
): Operation<B[]> {
  checkArgs(fn, items, "Fiber.List.filterMap");
  return yield* filterMapWith<A, B>(fn, items, maxFibersOf(options, "Fiber.List.filterMap"));
}

function* filterMapWith<A, B>(fn: (item: A) => unknown, items: readonly A[], max: number): Operation<B[]> {
  if (items.length === 0) return [];
  return yield* runSwitch<B[]>(
    function* (sw) {
      const limiter = new Limiter(sw, max);
      const promises = [];
      for (let i = 0; i < items.length - 1; i++) {
        yield* limiter.awaitFree();
        const item = items[i]!;
        promises.push(
          forkPromiseExn<B | undefined>(sw, function* () {
            const r = yield* runBody<B | undefined>(fn(item));
            limiter.release();
            return r;
          }),
        );
      }
      yield* limiter.awaitFree();
      const last = yield* runBody<B | undefined>(fn(items[items.length - 1]!));
      limiter.release();
      const results: B[] = [];
      for (const p of promises) {
        const r = yield* p.awaitOp();
        if (r !== undefined) results.push(r);
      }
      if (last !== undefined) results.push(last);
      return results;
    },
    { name: "filterMap" },
  );
}

/**
 * Applies `fn` to every item concurrently; results in input order. Mirrors `Eio.Fiber.List.map`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.Fiber.List.map((x: number) => x * 2, [1, 2, 3], { maxFibers: 2 }));
 * });
 * ```
 */
export function* map<A, B>(fn: (item: A) => unknown, items: readonly A[], options: ListOptions = {}): Operation<B[]> {
  checkArgs(fn, items, "Fiber.List.map");
  const wrapped = yield* filterMapWith<A, { v: B }>(
    function* (x) {
      return { v: yield* runBody<B>(fn(x)) };
    },
    items,
    maxFibersOf(options, "Fiber.List.map"),
  );
  return wrapped.map((x) => x.v);
}

/**
 * Keeps the items for which `fn` returns true, checked concurrently, in input order.
 * Mirrors `Eio.Fiber.List.filter`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.Fiber.List.filter((x: number) => x > 1, [1, 2, 3]));
 * });
 * ```
 */
export function* filter<A>(fn: (item: A) => unknown, items: readonly A[], options: ListOptions = {}): Operation<A[]> {
  checkArgs(fn, items, "Fiber.List.filter");
  const kept = yield* filterMapWith<A, { v: A }>(
    function* (x) {
      return (yield* runBody<boolean>(fn(x))) ? { v: x } : undefined;
    },
    items,
    maxFibersOf(options, "Fiber.List.filter"),
  );
  return kept.map((x) => x.v);
}

/**
 * Runs `fn` on every item concurrently, at most `maxFibers` at once. Mirrors
 * `Eio.Fiber.List.iter`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Fiber.List.iter((x: string) => console.log(x), ["a", "b"]);
 * });
 * ```
 */
export function* iter<A>(fn: (item: A) => unknown, items: readonly A[], options: ListOptions = {}): Operation<void> {
  checkArgs(fn, items, "Fiber.List.iter");
  const max = maxFibersOf(options, "Fiber.List.iter");
  if (items.length === 0) return;
  yield* runSwitch<void>(
    function* (sw) {
      const limiter = new Limiter(sw, max);
      for (let i = 0; i < items.length - 1; i++) {
        yield* limiter.awaitFree();
        const item = items[i]!;
        fork(sw, function* () {
          yield* runBody(fn(item));
          limiter.release();
        });
      }
      yield* limiter.awaitFree();
      yield* runBody(fn(items[items.length - 1]!));
      limiter.release();
    },
    { name: "iter" },
  );
}
