/**
 * Switches, as in Eio's `Eio.Switch`: a switch groups fibers and resources. `Switch.run` waits
 * for every fiber forked into it, then runs its release hooks, last registered first.
 * @module
 */
import { CancelContext } from "./cancel-context.js";
import { dumpContext } from "./cancel-dump.js";
import { protect } from "./cancel.js";
import { SwitchFinished } from "./errors.js";
import { currentFiber, Fiber, isGenerator, nested, type Operation, suspendUnchecked } from "./scheduler.js";
import { checkOurDomain, decFibers, failInternal, type Hook, Switch } from "./switch-type.js";
import { moveFiberTo } from "./with-context.js";

export { Switch, type Hook } from "./switch-type.js";

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

/**
 * The state of `sw` for debugging: its id and fiber count (the main body, forked fibers and
 * daemons), then its cancellation tree as `Cancel.dump` prints it. Mirrors
 * `Eio.Switch.dump`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run(function* (sw) {
 *     Eio.Fiber.fork(sw, () => Eio.Fiber.yield());
 *     console.log(Eio.Switch.dump(sw).replace(/\d+,?/g, (m) => (m.endsWith(",") ? "N," : "N")));
 *   });
 * });
 * ```
 */
export function dump(sw: Switch): string {
  if (!(sw instanceof Switch)) throw new TypeError(`Switch.dump: expected a switch, got ${String(sw)}`);
  return `Switch ${sw.ctx.id} (${sw.fibers} extra fibers):\n  ${dumpContext(sw.ctx, "  ").trimStart()}`;
}

