/**
 * Cancellation, as in Eio's `Eio.Cancel`: contexts form a tree; cancelling one cancels its
 * unprotected descendants and wakes their waiting fibers with {@link Cancelled}.
 * @module
 */
import { CancelContext } from "./cancel-context.js";
import { dumpContext } from "./cancel-dump.js";
import { Cancelled } from "./errors.js";
import { currentFiber, type Operation, runBody } from "./scheduler.js";
import { withContext } from "./with-context.js";

export { Cancelled };

/**
 * A cancellation context (Eio's `Cancel.t`). Opaque: use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const ctx: Eio.Cancel.Context = Eio.Cancel.current();
 *   console.log(Eio.Cancel.getError(ctx));
 * });
 * ```
 */
export type Context = CancelContext;

/**
 * Runs `fn` so that cancelling the caller's context does not cancel it: cleanup code that must
 * wait (flush a file, say goodbye to a peer) runs inside `protect`. Mirrors `Eio.Cancel.protect`.
 *
 * Suspends: if `fn` does — use `yield*`. Cancellation of the caller is ignored while `fn` runs;
 * the caller's next blocking operation sees it.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   try {
 *     yield* Eio.Switch.run(function* (sw) {
 *       Eio.Fiber.fork(sw, function* () {
 *         try {
 *           yield* Eio.Fiber.awaitCancel();
 *         } finally {
 *           yield* Eio.Cancel.protect(function* () {
 *             yield* Eio.Fiber.yield(); // would throw Cancelled without protect
 *             console.log("cleaned up");
 *           });
 *         }
 *       });
 *       Eio.Switch.fail(sw, new Error("stop"));
 *     });
 *   } catch (e) {
 *     console.log((e as Error).message);
 *   }
 * });
 * ```
 */
export function* protect<T>(fn: () => unknown): Operation<T> {
  if (typeof fn !== "function") throw new TypeError(`Cancel.protect: expected a function, got ${typeof fn}`);
  const fiber = currentFiber();
  return yield* withContext<T>(fiber.ctx, true, "protect", () => fn());
}

/**
 * Options for {@link sub}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Cancel.SubOptions = { signal: AbortSignal.abort(new Error("gave up")) };
 * await Eio.run(function* () {
 *   try {
 *     yield* Eio.Cancel.sub(() => Eio.Fiber.yield(), options);
 *   } catch (e) {
 *     console.log((e as Error).message);
 *   }
 * });
 * ```
 */
export interface SubOptions {
  /** Cancel the new context when this signal aborts (reason: the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Runs `fn(ctx)` in a new child context that `fn` may cancel with {@link cancel}.
 * Mirrors `Eio.Cancel.sub`; `options.signal` lets an outside `AbortSignal` cancel it.
 *
 * Suspends: if `fn` does — use `yield*`. Throws `Cancelled` at once if the caller is cancelled.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(new Error("user pressed stop")), 10);
 * await Eio.run(function* () {
 *   try {
 *     yield* Eio.Cancel.sub(() => Eio.Fiber.awaitCancel(), { signal: controller.signal });
 *   } catch (e) {
 *     console.log((e as Error).message);
 *   }
 * });
 * ```
 */
export function* sub<T>(fn: (ctx: Context) => unknown, options: SubOptions = {}): Operation<T> {
  const fiber = currentFiber();
  const signal = options.signal;
  if (signal === undefined) return yield* withContext<T>(fiber.ctx, false, "sub", fn);
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`Cancel.sub: options.signal must be an AbortSignal, got ${typeof signal}`);
  }
  return yield* withContext<T>(fiber.ctx, false, "sub", function* (ctx) {
    const scheduler = fiber.scheduler;
    let listening = false;
    // While we listen, the signal is an outside source of wake-ups (not a deadlock).
    const onAbort = (): void => {
      listening = false;
      scheduler.removeExternalWait();
      if (!ctx.finished) ctx.cancel(signal.reason);
    };
    if (signal.aborted) {
      ctx.cancel(signal.reason);
    } else {
      listening = true;
      scheduler.addExternalWait();
      signal.addEventListener("abort", onAbort, { once: true });
    }
    try {
      return yield* runBody<T>(fn(ctx));
    } finally {
      if (listening) {
        signal.removeEventListener("abort", onAbort);
        scheduler.removeExternalWait();
      }
    }
  });
}

/**
 * Cancels `ctx` and its unprotected descendants with `reason`: each fiber waiting there gets
 * `Cancelled(reason)` thrown at its suspension point. Mirrors `Eio.Cancel.cancel`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   try {
 *     yield* Eio.Cancel.sub(function* (ctx) {
 *       Eio.Cancel.cancel(ctx, new Error("enough"));
 *       yield* Eio.Fiber.yield();
 *     });
 *   } catch (e) {
 *     console.log(e instanceof Eio.Cancel.Cancelled);
 *   }
 * });
 * ```
 */
export function cancel(ctx: Context, reason: unknown): void {
  if (!(ctx instanceof CancelContext)) throw new TypeError("Cancel.cancel: ctx must be a cancellation context from Cancel.sub");
  if (ctx.finished) throw new Error("Cannot cancel the context: it has finished.");
  ctx.cancel(reason);
}

/**
 * Throws `Cancelled` if `ctx` is cancelled. Mirrors `Eio.Cancel.check`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Cancel.sub((ctx) => { Eio.Cancel.check(ctx); console.log("on"); });
 * });
 * ```
 */
export function check(ctx: Context): void {
  const error = getError(ctx);
  if (error !== null) throw error;
}

/**
 * The error a blocking operation in `ctx` would throw, or `null` if it is on.
 * Mirrors `Eio.Cancel.get_error`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Cancel.sub((ctx) => console.log(Eio.Cancel.getError(ctx)));
 * });
 * ```
 */
export function getError(ctx: Context): Error | null {
  if (ctx.finished) return new Error("Cannot use the cancellation context: it has finished.");
  return ctx.cancelError();
}

/**
 * An `AbortSignal` that aborts when `ctx` is cancelled, for native APIs (`fetch`, timers,
 * `fs.promises`). The signal's reason is the cancellation reason.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Cancel.sub((ctx) => {
 *     const signal = Eio.Cancel.signal(ctx);
 *     Eio.Cancel.cancel(ctx, new Error("stop"));
 *     console.log(signal.aborted);
 *   });
 * });
 * ```
 */
export function signal(ctx: Context): AbortSignal {
  return ctx.signal;
}

/**
 * The current fiber's cancellation context. Mirrors Eio's `Fiber_context.cancellation_context`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(Eio.Cancel.getError(Eio.Cancel.current()));
 * });
 * ```
 */
export function current(): Context {
  return currentFiber().ctx;
}

/**
 * The cancellation tree under `ctx`, for debugging: each context's state (`on`,
 * `cancelling(reason)` or `finished`, and `(protected)`) and the ids of its fibers, then its
 * child contexts indented by two. Mirrors `Eio.Cancel.dump`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Cancel.sub(function* (ctx) {
 *     yield* Eio.Cancel.protect(() => console.log(Eio.Cancel.dump(ctx).replace(/\d+/g, "N")));
 *   });
 * });
 * ```
 */
export function dump(ctx: Context): string {
  if (!(ctx instanceof CancelContext)) throw new TypeError("Cancel.dump: ctx must be a cancellation context (from Cancel.sub or Cancel.current)");
  return dumpContext(ctx);
}

