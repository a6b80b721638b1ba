/**
 * The switch object and the bookkeeping the runtime does on it (Eio keeps `inc_fibers`,
 * `dec_fibers` and `fail` inside `switch.ml`): the fiber count, failure, the domain check. The
 * public `Switch` module (switch.ts) re-exports the type only.
 * @internal
 * @module
 */
import type { CancelContext } from "./cancel-context.js";
import { combineErrors, SwitchFinished } from "./errors.js";
import { currentFiber, type Fiber, type Scheduler } from "./scheduler.js";

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
