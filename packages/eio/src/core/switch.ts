/**
 * Switches, as in Eio's `Eio.Switch`: a switch groups fibers and resources. `Switch.run` waits
 * for every fiber forked into it, then runs its release hooks, last registered first.
 * @module
 */
import { CancelContext } from "./cancel-context.js";
import { moveFiberTo } from "./cancel.js";
import { combineErrors, SwitchFinished } from "./errors.js";
import { currentFiber, Fiber, isGenerator, nested, type Operation, type Scheduler, suspendUnchecked } from "./scheduler.js";
import { protect } from "./cancel.js";

/** The reason daemon fibers are cancelled with once only daemons remain (Eio's `Exit`). @internal */
export const ONLY_DAEMONS_LEFT: unique symbol = Symbol("Eio.onlyDaemonsLeft");

/**
 * A release hook registered with {@link onReleaseCancellable}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     const hook: Eio.Switch.Hook = Eio.Switch.onReleaseCancellable(sw, () => console.log("released"));
 *     console.log(typeof hook.fn);
 *   });
 * });
 * ```
 */
export interface Hook {
  /** The function that runs when the switch is released. */
  readonly fn: () => unknown;
}

/**
 * A switch (Eio's `Switch.t`). Opaque: use the functions of this module. Made by {@link run}
 * and passed to the code that forks fibers or holds resources.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * function startWorker(sw: Eio.Switch.Switch, name: string): void {
 *   Eio.Fiber.fork(sw, () => console.log(name, "started"));
 * }
 * await Eio.run(() => Eio.Switch.run((sw) => startWorker(sw, "worker 1")));
 * ```
 */
export class Switch {
  /** Running fibers, counting the main body and daemons. @internal */
  fibers = 1;
  /** @internal */
  daemonFibers = 0;
  /** @internal */
  hasError = false;
  /** @internal */
  error: unknown = undefined;
  /** @internal */
  hooks: Set<Hook> | null = new Set();
  /** @internal */
  waiter: Fiber | null = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly ctx: CancelContext,
    /** @internal */
    readonly scheduler: Scheduler,
    /** @internal */
    readonly name: string | undefined,
  ) {}

  /** @internal */
  toString(): string {
    return `Switch(${this.name ?? this.ctx.id})`;
  }
}

/** Throws unless `sw` is a live switch of this domain (cancelling is fine). @internal */
export function checkOurDomain(sw: Switch, operation: string): void {
  if (!(sw instanceof Switch)) {
    throw new TypeError(`Cannot ${operation}: expected a switch (from Eio.Switch.run), got ${String(sw)}`);
  }
  if (sw.ctx.finished) throw new SwitchFinished(operation);
  if (sw.scheduler !== currentFiber().scheduler) {
    throw new Error(`Cannot ${operation}: the switch belongs to another domain (Eio.run).`);
  }
}

/** Counts a new fiber in `sw` (Eio's `inc_fibers`). @internal */
export function incFibers(sw: Switch): void {
  sw.fibers++;
}

/** A fiber of `sw` ended (Eio's `dec_fibers`). @internal */
export function decFibers(sw: Switch): void {
  sw.fibers--;
  if (sw.daemonFibers > 0 && sw.fibers === sw.daemonFibers) sw.ctx.cancel(ONLY_DAEMONS_LEFT);
  if (sw.fibers === 0 && sw.waiter !== null) {
    const waiter = sw.waiter;
    sw.waiter = null;
    sw.scheduler.wake(waiter, undefined);
  }
}

/** Records an error and cancels the switch; never throws for a live switch. @internal */
export function failInternal(sw: Switch, error: unknown): void {
  sw.error = sw.hasError ? combineErrors(sw.error, error) : error;
  sw.hasError = true;
  try {
    sw.ctx.cancel(error);
  } catch (hookError) {
    sw.error = combineErrors(sw.error, hookError);
  }
}

function* awaitIdle(sw: Switch): Operation<void> {
  for (;;) {
    while (sw.fibers > 0) {
      // Protected: a switch always waits for its fibers, even when cancelled.
      yield* suspendUnchecked<void>("Switch.awaitIdle", (fiber) => {
        sw.waiter = fiber;
      });
    }
    const hooks = sw.hooks === null ? [] : [...sw.hooks].reverse();
    sw.hooks = null;
    for (const hook of hooks) {
      try {
        yield* protect(hook.fn);
      } catch (error) {
        failInternal(sw, error);
      }
    }
    if (sw.fibers === 0) return;
  }
}

/**
 * `Switch.run` as one generator: Eio's `with_cc` and `run_internal` merged. Every resume of a
 * fiber passes through each generator between the scheduler and the operation it waits on, so
 * the body runs {@link nested}: on top of the fiber's stack, resumed by the scheduler directly.
 */
function* runSwitch<T>(isProtected: boolean, fn: (sw: Switch) => unknown, name: string | undefined): Operation<T> {
  const fiber = currentFiber();
  const parent = fiber.ctx;
  if (!isProtected && parent.cancelled) throw parent.cancelError();
  const ctx = new CancelContext(parent, isProtected, "switch");
  moveFiberTo(fiber, ctx);
  const sw = new Switch(ctx, fiber.scheduler, name);
  ctx.owner = sw;
  try {
    let value: T;
    try {
      const body = fn(sw);
      value = isGenerator(body) ? yield* nested(body as Operation<T>) : (body as T);
    } catch (error) {
      decFibers(sw);
      failInternal(sw, error);
      yield* awaitIdle(sw);
      throw sw.error;
    }
    decFibers(sw);
    yield* awaitIdle(sw);
    if (sw.hasError) throw sw.error;
    return value;
  } finally {
    moveFiberTo(fiber, parent);
    ctx.finish();
  }
}

/**
 * Options for {@link run} and {@link runProtected}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Switch.RunOptions = { name: "requests" };
 * await Eio.run(() => Eio.Switch.run(() => console.log("in", options.name), options));
 * ```
 */
export interface RunOptions {
  /** A name for traces and error messages. */
  name?: string;
}

function validateRun(fn: unknown, options: RunOptions, what: string): void {
  if (typeof fn !== "function") {
    throw new TypeError(`${what}: expected a function (sw) => ..., got ${typeof fn}`);
  }
  if (options.name !== undefined && typeof options.name !== "string") {
    throw new TypeError(`${what}: options.name must be a string, got ${typeof options.name}`);
  }
}

/**
 * Runs `fn(sw)` with a new switch, waits for every fiber forked into `sw`, runs the release
 * hooks, and returns `fn`'s result. If `fn` or any fiber fails, the switch is cancelled, still
 * waits for all its fibers and hooks, then throws the error (several become `MultipleErrors`).
 * Mirrors `Eio.Switch.run`.
 *
 * Suspends: yes — use `yield*`. Throws `Cancelled` at once if the caller is cancelled.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run(function* (sw) {
 *     Eio.Fiber.fork(sw, () => console.log("child"));
 *     console.log("parent");
 *   });
 *   console.log("all done");
 * });
 * ```
 */
export function run<T>(fn: (sw: Switch) => unknown, options: RunOptions = {}): Operation<T> {
  validateRun(fn, options, "Switch.run");
  return runSwitch<T>(false, fn, options.name);
}

/**
 * Like {@link run}, but the switch is not cancelled when the caller's context is.
 * Mirrors `Eio.Switch.run_protected`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const n = yield* Eio.Switch.runProtected(() => 42, { name: "cleanup" });
 *   console.log(n);
 * });
 * ```
 */
export function runProtected<T>(fn: (sw: Switch) => unknown, options: RunOptions = {}): Operation<T> {
  validateRun(fn, options, "Switch.runProtected");
  return runSwitch<T>(true, fn, options.name);
}

/**
 * Throws if `sw` is cancelled (`Cancelled`) or finished (`SwitchFinished`).
 * Mirrors `Eio.Switch.check`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => { Eio.Switch.check(sw); console.log("on"); });
 * });
 * ```
 */
export function check(sw: Switch): void {
  if (!(sw instanceof Switch)) throw new TypeError(`Switch.check: expected a switch, got ${String(sw)}`);
  if (sw.ctx.finished) throw new SwitchFinished("check the switch");
  const error = sw.ctx.cancelError();
  if (error !== null) throw error;
}

/**
 * The error a blocking operation in `sw` would throw, or `null` while it is on.
 * Mirrors `Eio.Switch.get_error`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => console.log(Eio.Switch.getError(sw)));
 * });
 * ```
 */
export function getError(sw: Switch): Error | null {
  if (!(sw instanceof Switch)) throw new TypeError(`Switch.getError: expected a switch, got ${String(sw)}`);
  if (sw.ctx.finished) return new SwitchFinished("use the switch");
  return sw.ctx.cancelError();
}

/**
 * Records `error` as a failure of `sw` and cancels it; `Switch.run` will throw it once every
 * fiber has finished. Returns at once: the calling fiber carries on until it next blocks.
 * Mirrors `Eio.Switch.fail`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   try {
 *     yield* Eio.Switch.run((sw) => {
 *       Eio.Switch.fail(sw, new Error("disk full"));
 *       console.log("still running");
 *     });
 *   } catch (e) {
 *     console.log((e as Error).message);
 *   }
 * });
 * ```
 */
export function fail(sw: Switch, error: unknown): void {
  checkOurDomain(sw, "fail the switch");
  failInternal(sw, error);
}

/**
 * Registers `fn` to run when `sw` finishes, after all its fibers. Hooks run last registered
 * first, one at a time, each protected from cancellation; a failing hook fails the switch but
 * the others still run. Mirrors `Eio.Switch.on_release`.
 *
 * Suspends: never (the hook may suspend when it runs).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     Eio.Switch.onRelease(sw, () => console.log("closed A"));
 *     Eio.Switch.onRelease(sw, () => console.log("closed B"));
 *   });
 * });
 * ```
 */
export function onRelease(sw: Switch, fn: () => unknown): void {
  onReleaseCancellable(sw, fn);
}

/**
 * Like {@link onRelease}, but returns a hook that {@link tryRemoveHook} can withdraw.
 * Mirrors `Eio.Switch.on_release_cancellable`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     const hook = Eio.Switch.onReleaseCancellable(sw, () => console.log("never"));
 *     console.log(Eio.Switch.tryRemoveHook(hook));
 *   });
 * });
 * ```
 */
export function onReleaseCancellable(sw: Switch, fn: () => unknown): Hook {
  if (!(sw instanceof Switch)) throw new TypeError(`Switch.onRelease: expected a switch, got ${String(sw)}`);
  if (typeof fn !== "function") throw new TypeError(`Switch.onRelease: expected a function, got ${typeof fn}`);
  const hook: Hook = { fn };
  if (sw.hooks === null) {
    // Too late to register: release the resource now, as Eio does, then report.
    let cause: unknown = undefined;
    try {
      runLateHook(fn);
    } catch (error) {
      cause = error;
    }
    throw new SwitchFinished("add a release hook", cause);
  }
  sw.hooks.add(hook);
  hooksOwner.set(hook, sw);
  return hook;
}

const hooksOwner = new WeakMap<Hook, Switch>();

/**
 * Runs a hook given to a finished switch. Eio runs it inside `Cancel.protect` in the caller;
 * `onRelease` cannot suspend here, so a hook that blocks gets a protected fiber of its own,
 * started at once. Its later failure has no switch to go to, so it is thrown from a microtask
 * (like an unhandled rejection) rather than lost.
 */
function runLateHook(fn: () => unknown): void {
  const result = fn();
  if (!isGenerator(result)) return;
  const parent = currentFiber();
  const ctx = new CancelContext(parent.ctx, true, "release");
  const fiber = new Fiber(parent.scheduler, ctx, parent.vars, (ok, value) => {
    ctx.finish();
    if (!ok) queueMicrotask(() => { throw value; });
  });
  parent.scheduler.start(fiber, () => result);
}

/**
 * Withdraws a hook from {@link onReleaseCancellable}. True if it was removed before it ran.
 * Mirrors `Eio.Switch.try_remove_hook`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     const hook = Eio.Switch.onReleaseCancellable(sw, () => {});
 *     console.log(Eio.Switch.tryRemoveHook(hook), Eio.Switch.tryRemoveHook(hook));
 *   });
 * });
 * ```
 */
export function tryRemoveHook(hook: Hook): boolean {
  const sw = hooksOwner.get(hook);
  if (sw === undefined || sw.hooks === null) return false;
  hooksOwner.delete(hook);
  return sw.hooks.delete(hook);
}

/**
 * An `AbortSignal` that aborts when `sw` is cancelled, so native APIs (`fetch`, `fs.promises`,
 * timers) stop with their switch. The reason is the switch's cancellation reason.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     const signal = Eio.Switch.signal(sw);
 *     console.log(signal.aborted);
 *   });
 * });
 * ```
 */
export function signal(sw: Switch): AbortSignal {
  if (!(sw instanceof Switch)) throw new TypeError(`Switch.signal: expected a switch, got ${String(sw)}`);
  return sw.ctx.signal;
}

