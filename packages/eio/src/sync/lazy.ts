/**
 * Lazy values, as in Eio's `Eio.Lazy`: computed by the first fiber that forces them; fibers
 * forcing meanwhile wait for that result instead of computing it again.
 * @module
 */
import { protect } from "../core/cancel.js";
import { Cancelled } from "../core/errors.js";
import { check as checkCancelled, isCancelled } from "../core/fiber.js";
import { type Operation, runBody } from "../core/scheduler.js";
import { LocalPromise } from "../core/local-promise.js";

/**
 * What happens when the fiber computing the value is cancelled (Eio's `~cancel`):
 * - `"restart"`: the computation is abandoned; the next fiber waiting (or forcing later) runs it again.
 * - `"record"`: the `Cancelled` error is recorded; every later force throws it.
 * - `"protect"`: the computation runs in `Cancel.protect`, so it finishes regardless.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const mode: Eio.Lazy.CancelMode = "restart";
 * const v = Eio.Lazy.fromFun(() => 1, { cancel: mode });
 * await Eio.run(function* () { console.log(yield* Eio.Lazy.force(v)); });
 * ```
 */
export type CancelMode = "restart" | "record" | "protect";

/**
 * Options for {@link fromFun}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Lazy.FromFunOptions = { cancel: "protect" };
 * const v = Eio.Lazy.fromFun(() => "computed once", options);
 * await Eio.run(function* () { console.log(yield* Eio.Lazy.force(v)); });
 * ```
 */
export interface FromFunOptions {
  /** Required, as in Eio: see {@link CancelMode}. */
  cancel: CancelMode;
}

type State<T> =
  | { kind: "waiting" }
  | { kind: "running"; done: LocalPromise<void> }
  | { kind: "value"; value: T }
  | { kind: "failed"; error: unknown };

/**
 * A lazy value (Eio's `Lazy.t`). Opaque: use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const answer: Eio.Lazy.Lazy<number> = Eio.Lazy.fromVal(42);
 * await Eio.run(function* () { console.log(yield* Eio.Lazy.force(answer)); });
 * ```
 */
export class Lazy<T> {
  /** @internal */
  state: State<T>;
  /** @internal */
  constructor(
    state: State<T>,
    /** @internal */
    readonly fn: () => T | Generator<unknown, T, unknown>,
    /** @internal */
    readonly mode: CancelMode,
  ) {
    this.state = state;
  }
}

/**
 * A lazy value that runs `fn` (a plain or generator function) the first time it is forced.
 * Mirrors `Eio.Lazy.from_fun`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const config = Eio.Lazy.fromFun(() => { console.log("loading"); return { port: 80 }; }, { cancel: "restart" });
 *   console.log((yield* Eio.Lazy.force(config)).port, (yield* Eio.Lazy.force(config)).port);
 * });
 * ```
 */
export function fromFun<T>(fn: () => T | Generator<unknown, T, unknown>, options: FromFunOptions): Lazy<T> {
  if (typeof fn !== "function") throw new TypeError(`Lazy.fromFun: expected a function, got ${typeof fn}`);
  const mode = (options as FromFunOptions | undefined)?.cancel;
  if (mode !== "restart" && mode !== "record" && mode !== "protect") {
    throw new TypeError(`Lazy.fromFun: options.cancel must be "restart", "record" or "protect", got ${String(mode)}`);
  }
  return new Lazy<T>({ kind: "waiting" }, fn, mode);
}

/**
 * A lazy value that is already computed. Mirrors `Eio.Lazy.from_val`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.Lazy.force(Eio.Lazy.fromVal(3)));
 * });
 * ```
 */
export function fromVal<T>(value: T): Lazy<T> {
  return new Lazy<T>({ kind: "value", value }, () => value, "record");
}

/** Runs the computation as the current fiber; `done` is resolved however it ends. */
function* compute<T>(t: Lazy<T>, done: LocalPromise<void>): Operation<void> {
  let value: T;
  try {
    value = t.mode === "protect" ? yield* protect<T>(t.fn) : yield* runBody<T>(t.fn());
  } catch (error) {
    if (error instanceof Cancelled && t.mode === "restart" && isCancelled()) {
      t.state = { kind: "waiting" };
      done.tryResolveValue(undefined);
      checkCancelled();
    }
    t.state = { kind: "failed", error };
    done.tryResolveValue(undefined);
    throw error;
  }
  t.state = { kind: "value", value };
  done.tryResolveValue(undefined);
}

/**
 * The value: computed now by this fiber if nobody has started it; waited for if another fiber
 * is computing it (then checked again); returned at once once known. If the computation threw,
 * every force throws the same error. Mirrors `Eio.Lazy.force`.
 *
 * Suspends: while computing or waiting — use `yield*`. If this fiber is cancelled while
 * waiting for another fiber's computation, it throws `Cancelled`; what cancelling the
 * computing fiber does depends on the {@link CancelMode}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const v = Eio.Lazy.fromFun(function* () { yield* Eio.Fiber.yield(); return 42; }, { cancel: "protect" });
 *   yield* Eio.Fiber.both(
 *     function* () { console.log("a", yield* Eio.Lazy.force(v)); },
 *     function* () { console.log("b", yield* Eio.Lazy.force(v)); },
 *   );
 * });
 * ```
 */
export function* force<T>(t: Lazy<T>): Operation<T> {
  if (!(t instanceof Lazy)) throw new TypeError(`Lazy.force: expected a lazy value (from Eio.Lazy.fromFun), got ${String(t)}`);
  for (;;) {
    const state = t.state;
    switch (state.kind) {
      case "value":
        return state.value;
      case "failed":
        throw state.error;
      case "running":
        yield* state.done.awaitOp();
        break;
      case "waiting": {
        const done = new LocalPromise<void>();
        t.state = { kind: "running", done };
        yield* compute(t, done);
        break;
      }
    }
  }
}
