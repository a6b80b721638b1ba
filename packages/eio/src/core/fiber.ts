/**
 * Fibers, as in Eio's `Eio.Fiber`: light-weight threads of one domain. A fiber body is a
 * generator function (or a plain function); blocking operations inside it use `yield*`.
 * @module
 */
import { CancelContext } from "./cancel-context.js";
import { protect } from "./cancel.js";
import { Cancelled, combineErrors } from "./errors.js";
import {
  enterSuspend,
  Fiber,
  currentFiber,
  HandWrittenOp,
  type Operation,
  runBody,
  suspend,
  SUSPEND_STEP,
  type Suspend,
  type Vars,
} from "./scheduler.js";
import { run as runSwitch } from "./switch.js";
import { checkOurDomain, decFibers, failInternal, incFibers, ONLY_DAEMONS_LEFT, type Switch } from "./switch-type.js";
import { withContext } from "./with-context.js";
import * as EioPromise from "./promise.js";
import { LocalPromise } from "./local-promise.js";
import type { Result } from "./result.js";
import { forkSeqWith } from "./fork-seq.js";
import type { Seq } from "./seq.js";

export type { Seq, SeqNode } from "./seq.js";

function checkFn(fn: unknown, what: string): void {
  if (typeof fn !== "function") throw new TypeError(`${what}: expected a function, got ${typeof fn}`);
}

/**
 * Starts `fn` as a new fiber attached to `sw`. The child runs at once, until it first blocks;
 * then the caller continues. If the child fails, `sw` is failed (cancelling its other fibers).
 * Forking into a cancelled switch does nothing. Mirrors `Eio.Fiber.fork`.
 *
 * Suspends: never (the caller continues when the child first blocks).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     Eio.Fiber.fork(sw, function* () {
 *       console.log("child starts");
 *       yield* Eio.Fiber.yield();
 *       console.log("child ends");
 *     });
 *     console.log("parent continues");
 *   });
 * });
 * ```
 */
export function fork(sw: Switch, fn: () => unknown): void {
  checkFn(fn, "Fiber.fork");
  checkOurDomain(sw, "fork a fiber");
  if (sw.ctx.cancelled) return;
  const parent = currentFiber();
  incFibers(sw);
  parent.scheduler.start(new Fiber(parent.scheduler, sw.ctx, parent.vars, forkExit, sw), fn);
}

function forkExit(ok: boolean, value: unknown, sw: Switch): void {
  if (!ok) failInternal(sw, value);
  decFibers(sw);
}

/**
 * Like {@link fork}, but the fiber does not keep `sw` running: once only daemon fibers
 * remain, they are cancelled, without error. Mirrors `Eio.Fiber.fork_daemon`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     Eio.Fiber.forkDaemon(sw, function* () {
 *       try {
 *         for (;;) yield* Eio.Fiber.yield();
 *       } finally {
 *         console.log("daemon stopped");
 *       }
 *     });
 *     console.log("main done");
 *   });
 * });
 * ```
 */
export function forkDaemon(sw: Switch, fn: () => unknown): void {
  checkFn(fn, "Fiber.forkDaemon");
  checkOurDomain(sw, "fork a daemon fiber");
  if (sw.ctx.cancelled) return;
  const parent = currentFiber();
  incFibers(sw);
  sw.daemonFibers++;
  const child = new Fiber(parent.scheduler, sw.ctx, parent.vars, (ok, value) => {
    const stoppedForDaemons = value instanceof Cancelled && value.cause === ONLY_DAEMONS_LEFT && sw.ctx.cancelled;
    if (!ok && !stoppedForDaemons) failInternal(sw, value);
    sw.daemonFibers--;
    decFibers(sw);
  });
  parent.scheduler.start(child, fn);
}

/**
 * Makes a sequence whose items a new daemon fiber produces on demand: `fn(emit)` runs in that
 * fiber (from the first request, not before), and each `yield* emit(x)` hands `x` to the
 * request waiting for it and suspends the producer until the next one. When `fn` returns, the
 * sequence ends (`{ done: true }`). Mirrors `Eio.Fiber.fork_seq` (`emit` is Eio's `yield`, a
 * reserved word here).
 *
 * If `fn` throws, the waiting consumer gets the error. If the consumer is cancelled while
 * waiting for an item, the producer is cancelled at its next `emit`. Two requests at once, or a
 * request after the end, are errors. When `sw` finishes, the producer is cancelled (as a daemon
 * fiber, it does not keep `sw` open) and later requests fail. The consumer must be in the
 * producer's domain.
 *
 * Suspends: never (requesting an item does: use `yield*`).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const seq = Eio.Fiber.forkSeq<number>(sw, function* (emit) {
 *       for (let i = 1; i <= 3; i++) {
 *         console.log("yielding", i);
 *         yield* emit(i);
 *       }
 *     });
 *     for (let node = yield* seq(); !node.done; node = yield* node.next()) console.log("got", node.value);
 *   });
 * });
 * ```
 */
export function forkSeq<T>(sw: Switch, fn: (emit: (item: T) => Operation<void>) => unknown): Seq<T> {
  checkFn(fn, "Fiber.forkSeq");
  checkOurDomain(sw, "fork a fiber");
  return forkSeqWith<T>(forkDaemon, sw, fn);
}

/**
 * Starts `fn` in a new fiber and returns a promise of its result; its failure goes into the
 * promise, not the switch. Mirrors `Eio.Fiber.fork_promise`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const p = Eio.Fiber.forkPromise(sw, () => 6 * 7);
 *     console.log(yield* Eio.Promise.awaitExn(p));
 *   });
 * });
 * ```
 */
export function forkPromise<T>(sw: Switch, fn: () => unknown): EioPromise.OrError<T> {
  checkFn(fn, "Fiber.forkPromise");
  checkOurDomain(sw, "fork a fiber");
  const cell = new LocalPromise<Result<T>>();
  const promise = cell as unknown as EioPromise.OrError<T>;
  const error = sw.ctx.cancelError();
  if (error !== null) {
    cell.tryResolveValue({ ok: false, error });
    return promise;
  }
  const parent = currentFiber();
  incFibers(sw);
  const child = new Fiber(parent.scheduler, sw.ctx, parent.vars, (ok, value) => {
    cell.tryResolveValue(ok ? { ok: true, value: value as T } : { ok: false, error: value });
    decFibers(sw);
  });
  parent.scheduler.start(child, fn);
  return promise;
}

/**
 * Lets other fibers run: the caller goes to the back of the run queue, and checks for
 * cancellation when it resumes. Mirrors `Eio.Fiber.yield`.
 *
 * Suspends: yes — use `yield*`. Throws `Cancelled` if the fiber is cancelled.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Fiber.both(
 *     function* () { for (let i = 1; i <= 2; i++) { console.log("i =", i); yield* Eio.Fiber.yield(); } },
 *     function* () { for (let j = 1; j <= 2; j++) { console.log("j =", j); yield* Eio.Fiber.yield(); } },
 *   );
 * });
 * ```
 */
export function yieldNow(): Operation<void> {
  return new YieldOp() as unknown as Operation<void>;
}

const YIELD_DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

/** `Fiber.yield` by hand: the hottest operation there is (see {@link HandWrittenOp}). */
class YieldOp extends HandWrittenOp<void> {
  private fiber: Fiber | null = null;

  next(): IteratorResult<Suspend, void> {
    const fiber = this.fiber;
    if (fiber === null) {
      const self = currentFiber();
      this.fiber = self;
      if (enterSuspend(self, "Fiber.yield")) self.scheduler.wake(self, undefined);
      return SUSPEND_STEP;
    }
    // Eio's yield checks for cancellation again once it is resumed.
    if (fiber.ctx.cancelled) throw fiber.ctx.cancelError();
    return YIELD_DONE;
  }
}

/**
 * Throws `Cancelled` if the current fiber's context is cancelled. Mirrors `Eio.Fiber.check`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   Eio.Fiber.check();
 *   console.log("not cancelled");
 * });
 * ```
 */
export function check(): void {
  const error = currentFiber().ctx.cancelError();
  if (error !== null) throw error;
}

/**
 * True if the current fiber's context is cancelled. Mirrors `Eio.Fiber.is_cancelled`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () { console.log(Eio.Fiber.isCancelled()); });
 * ```
 */
export function isCancelled(): boolean {
  return currentFiber().ctx.cancelled;
}

/**
 * Forks all but the last in `sw`; runs the last in this fiber (Eio's `forks`). Not a generator:
 * it returns the last function's operation for the switch to run, one level less to resume.
 */
function forks(sw: Switch, fns: readonly (() => unknown)[]): unknown {
  for (let i = 0; i < fns.length - 1; i++) fork(sw, fns[i]!);
  if (fns.length === 0) return undefined;
  const error = sw.ctx.cancelError();
  if (error !== null) throw error;
  return fns[fns.length - 1]!();
}

/**
 * Runs every function in its own fiber and waits for all; if one fails, the others are
 * cancelled (functions not yet started are not started) and the error is thrown.
 * Mirrors `Eio.Fiber.all`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Fiber.all([() => console.log("a"), () => console.log("b")]);
 * });
 * ```
 */
export function all(fns: readonly (() => unknown)[]): Operation<void> {
  if (!Array.isArray(fns)) throw new TypeError(`Fiber.all: expected an array of functions, got ${typeof fns}`);
  fns.forEach((fn, i) => checkFn(fn, `Fiber.all (item ${i})`));
  return runSwitch<void>((sw) => forks(sw, fns), { name: "all" });
}

/**
 * Runs `f` and `g` concurrently and waits for both; a failure cancels the other.
 * Mirrors `Eio.Fiber.both`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Fiber.both(() => console.log("f"), () => console.log("g"));
 * });
 * ```
 */
export function both(f: () => unknown, g: () => unknown): Operation<void> {
  checkFn(f, "Fiber.both (first)");
  checkFn(g, "Fiber.both (second)");
  return runSwitch<void>((sw) => forks(sw, [f, g]), { name: "both" });
}

/**
 * Like {@link both}, returning both results as a pair. Mirrors `Eio.Fiber.pair`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const [a, b] = yield* Eio.Fiber.pair(() => 1, () => "two");
 *   console.log(a, b);
 * });
 * ```
 */
export function* pair<A, B>(f: () => unknown, g: () => unknown): Operation<[A, B]> {
  checkFn(f, "Fiber.pair (first)");
  checkFn(g, "Fiber.pair (second)");
  return yield* runSwitch<[A, B]>(
    function* (sw) {
      const x = forkPromise<A>(sw, f);
      const y = yield* runBody<B>(g());
      return [yield* EioPromise.awaitExn(x), y] as [A, B];
    },
    { name: "pair" },
  );
}

/**
 * Waits until the current fiber is cancelled, then throws `Cancelled`. Mirrors
 * `Eio.Fiber.await_cancel`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const winner = yield* Eio.Fiber.first(() => Eio.Fiber.awaitCancel(), () => "done");
 *   console.log(winner);
 * });
 * ```
 */
export function* awaitCancel(): Operation<never> {
  return yield* suspend<never>("Fiber.awaitCancel", (fiber) => {
    fiber.cancelFn = (error) => fiber.scheduler.wakeError(fiber, error);
  });
}

class NotFirst extends Error {
  override readonly name = "NotFirst";
  constructor() {
    super("Another fiber finished first");
  }
}

type AnyState<T> = { kind: "new" } | { kind: "ok"; value: T } | { kind: "error"; error: unknown };

/** Eio's `any_gen`: run all, keep the first result (or combine), cancel the rest. */
function* anyGeneric<T, R>(
  fns: readonly (() => unknown)[],
  firstResult: (value: T) => R,
  combine: (previous: R, value: T) => R,
): Operation<R> {
  let state: AnyState<R> = { kind: "new" };
  const fiber = currentFiber();
  const parentCtx = fiber.ctx;
  yield* withContext<void>(parentCtx, false, "any", function* (cc: CancelContext) {
    function* wrap(fn: () => unknown): Operation<void> {
      try {
        const value = yield* runBody<T>(fn());
        if (state.kind === "new") {
          state = { kind: "ok", value: firstResult(value) };
          cc.cancel(new NotFirst());
        } else if (state.kind === "ok") {
          state = { kind: "ok", value: combine(state.value, value) };
        }
      } catch (error) {
        // Cancelled because we asked (or the parent did: checked at the end).
        if (error instanceof Cancelled && cc.cancelled) return;
        if (state.kind === "new") {
          state = { kind: "error", error };
          cc.cancel(error);
        } else if (state.kind === "ok") {
          state = { kind: "error", error };
        } else {
          state = { kind: "error", error: combineErrors(state.error, error) };
        }
      }
    }
    if (fns.length === 0) {
      yield* awaitCancel();
      return;
    }
    const promises: LocalPromise<Result<void>>[] = [];
    for (let i = 0; i < fns.length - 1; i++) {
      const fn = fns[i]!;
      const cell = new LocalPromise<Result<void>>();
      const child = new Fiber(fiber.scheduler, cc, fiber.vars, (ok, value) => {
        cell.tryResolveValue(ok ? { ok: true, value: undefined } : { ok: false, error: value });
      });
      promises.push(cell);
      fiber.scheduler.start(child, () => wrap(fn), fn);
    }
    yield* wrap(fns[fns.length - 1]!);
    yield* protect(function* () {
      for (const p of promises) yield* EioPromise.awaitExn(p as unknown as EioPromise.OrError<void>);
    });
  });
  const parentError = parentCtx.cancelError();
  const final = state as AnyState<R>;
  if (final.kind === "ok") return final.value;
  if (final.kind === "new") {
    if (parentError !== null) throw parentError;
    throw new Error("Fiber.any: no result and no error (internal error)");
  }
  throw parentError === null ? final.error : combineErrors(final.error, parentError);
}

/**
 * Options for {@link any} and {@link first}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Fiber.AnyOptions<number> = { combine: (a, b) => a + b };
 * await Eio.run(function* () {
 *   // Both finish before either is cancelled, so their results are combined.
 *   console.log(yield* Eio.Fiber.any<number>([() => 1, () => 2], options));
 * });
 * ```
 */
export interface AnyOptions<T> {
  /** How to merge a second result that arrived before cancellation took effect. Default: keep the first. */
  combine?: (first: T, second: T) => T;
}

/**
 * Runs the functions concurrently; the first to return wins and the others are cancelled.
 * With no functions, waits until cancelled. Mirrors `Eio.Fiber.any`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const v = yield* Eio.Fiber.any<string>([
 *     function* () { yield* Eio.Fiber.yield(); return "slow"; },
 *     () => "fast",
 *   ]);
 *   console.log(v);
 * });
 * ```
 */
export function* any<T>(fns: readonly (() => unknown)[], options: AnyOptions<T> = {}): Operation<T> {
  if (!Array.isArray(fns)) throw new TypeError(`Fiber.any: expected an array of functions, got ${typeof fns}`);
  fns.forEach((fn, i) => checkFn(fn, `Fiber.any (item ${i})`));
  const combine = options.combine ?? ((x: T) => x);
  checkFn(combine, "Fiber.any: options.combine");
  return yield* anyGeneric<T, T>(fns, (x) => x, combine);
}

/**
 * {@link any} over two functions. Mirrors `Eio.Fiber.first`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.Fiber.first(() => "left", () => Eio.Fiber.awaitCancel()));
 * });
 * ```
 */
export function* first<T>(f: () => unknown, g: () => unknown, options: AnyOptions<T> = {}): Operation<T> {
  checkFn(f, "Fiber.first (first)");
  checkFn(g, "Fiber.first (second)");
  return yield* any<T>([f, g], options);
}

/**
 * Like {@link any}, but if several fibers return values (finishing before cancellation took
 * effect), returns them all, in the order in which the fibers finished (not the order the
 * functions were given). Mirrors `Eio.Fiber.n_any`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const results = yield* Eio.Fiber.nAny<string>([
 *     function* () {
 *       yield* Eio.Cancel.protect(() => Eio.Fiber.yield()); // finishes despite the cancellation
 *       return "given first, finished second";
 *     },
 *     () => "given second, finished first",
 *   ]);
 *   console.log(results);
 * });
 * ```
 */
export function* nAny<T>(fns: readonly (() => unknown)[]): Operation<T[]> {
  if (!Array.isArray(fns)) throw new TypeError(`Fiber.nAny: expected an array of functions, got ${typeof fns}`);
  fns.forEach((fn, i) => checkFn(fn, `Fiber.nAny (item ${i})`));
  const results = yield* anyGeneric<T, T[]>(fns, (x) => [x], (xs, x) => [x, ...xs]);
  return results.reverse();
}

/**
 * A fiber-local variable (Eio's `Fiber.key`), made by {@link createKey}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const traceId: Eio.Fiber.Key<string> = Eio.Fiber.createKey<string>("trace id");
 * await Eio.run(() => Eio.Fiber.withBinding(traceId, "abc", () => console.log(Eio.Fiber.get(traceId))));
 * ```
 */
export interface Key<T> {
  /** @internal */
  readonly __type?: T;
  /** The description given to {@link createKey}, for debugging. */
  readonly description: string;
}

/**
 * Creates a new fiber-local key. Mirrors `Eio.Fiber.create_key`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const user = Eio.Fiber.createKey<string>("user");
 * await Eio.run(function* () {
 *   yield* Eio.Fiber.withBinding(user, "alice", () => console.log(Eio.Fiber.get(user)));
 * });
 * ```
 */
export function createKey<T>(description = "key"): Key<T> {
  return Object.freeze({ description });
}

/**
 * The value bound to `key` in the current fiber, or `undefined`. Forked fibers inherit the
 * bindings of their parent. Mirrors `Eio.Fiber.get`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const k = Eio.Fiber.createKey<number>();
 * await Eio.run(function* () { console.log(Eio.Fiber.get(k)); });
 * ```
 */
export function get<T>(key: Key<T>): T | undefined {
  return currentFiber().vars.get(key) as T | undefined;
}

function* withVars<T>(vars: Vars, fn: () => unknown): Operation<T> {
  const fiber = currentFiber();
  const old = fiber.vars;
  fiber.vars = vars;
  try {
    return yield* runBody<T>(fn());
  } finally {
    fiber.vars = old;
  }
}

/**
 * Runs `fn` with `key` bound to `value` (in this fiber and in fibers it forks).
 * Mirrors `Eio.Fiber.with_binding`.
 *
 * Suspends: if `fn` does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const requestId = Eio.Fiber.createKey<number>("request id");
 * await Eio.run(function* () {
 *   yield* Eio.Fiber.withBinding(requestId, 7, function* () {
 *     yield* Eio.Fiber.yield();
 *     console.log("request", Eio.Fiber.get(requestId));
 *   });
 * });
 * ```
 */
export function withBinding<T, V>(key: Key<V>, value: V, fn: () => unknown): Operation<T> {
  checkFn(fn, "Fiber.withBinding");
  const vars = new Map(currentFiber().vars);
  vars.set(key, value);
  return withVars<T>(vars, fn);
}

/**
 * Runs `fn` with `key` unbound. Mirrors `Eio.Fiber.without_binding`.
 *
 * Suspends: if `fn` does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const k = Eio.Fiber.createKey<number>();
 * await Eio.run(function* () {
 *   yield* Eio.Fiber.withBinding(k, 1, () =>
 *     Eio.Fiber.withoutBinding(k, () => console.log(Eio.Fiber.get(k))));
 * });
 * ```
 */
export function withoutBinding<T, V>(key: Key<V>, fn: () => unknown): Operation<T> {
  checkFn(fn, "Fiber.withoutBinding");
  const vars = new Map(currentFiber().vars);
  vars.delete(key);
  return withVars<T>(vars, fn);
}

/**
 * Waits for a native JavaScript promise without blocking other fibers. Pass a function of an
 * `AbortSignal` instead to have the native operation aborted if the fiber is cancelled.
 *
 * Suspends: yes — use `yield*`. On cancellation throws `Cancelled` at once (and aborts the
 * signal); a late result is dropped.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const n = yield* Eio.Fiber.awaitNative(Promise.resolve(5));
 *   const text = yield* Eio.Fiber.awaitNative((signal) =>
 *     new Promise<string>((resolve) => { if (!signal.aborted) resolve("read"); }));
 *   console.log(n, text);
 * });
 * ```
 */
export function* awaitNative<T>(input: PromiseLike<T> | ((signal: AbortSignal) => PromiseLike<T>)): Operation<T> {
  if (typeof input !== "function" && (typeof input !== "object" || input === null || typeof input.then !== "function")) {
    throw new TypeError(`Fiber.awaitNative: expected a promise or a function (signal) => promise, got ${String(input)}`);
  }
  return yield* suspend<T>("Fiber.awaitNative", (fiber) => {
    const scheduler = fiber.scheduler;
    let settled = false;
    let controller: AbortController | null = null;
    scheduler.addExternalWait();
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      scheduler.removeExternalWait();
      return true;
    };
    fiber.cancelFn = (error) => {
      if (!finish()) return;
      scheduler.wakeError(fiber, error);
      controller?.abort(error.cause);
    };
    let promise: PromiseLike<T>;
    try {
      if (typeof input === "function") {
        controller = new AbortController();
        promise = input(controller.signal);
      } else {
        promise = input;
      }
    } catch (error) {
      promise = globalThis.Promise.reject(error);
    }
    globalThis.Promise.resolve(promise).then(
      (value) => {
        if (finish()) scheduler.wake(fiber, value);
      },
      (error: unknown) => {
        if (finish()) scheduler.wakeError(fiber, error);
      },
    );
  });
}

export { yieldNow as yield };
export * as List from "./fiber-list.js";
