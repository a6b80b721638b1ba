/**
 * Errors shared by the whole runtime, and Eio's rule for combining them.
 * @module
 */

/**
 * Raised inside a fiber whose cancellation context was cancelled; the reason is in `cause`.
 * Mirrors Eio's `Eio.Cancel.Cancelled`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.Cancel.Cancelled(new Error("timeout"));
 * console.log(err.name, (err.cause as Error).message);
 * ```
 */
export class Cancelled extends Error {
  /** Always `"Cancelled"`: how logs and stack traces name this error. */
  override readonly name = "Cancelled";
  constructor(reason: unknown) {
    super(`Cancelled: ${describe(reason)}`, { cause: reason });
  }
}

/**
 * Several errors that happened in one switch, in the order they happened. Mirrors Eio's
 * `Exn.Multiple`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.MultipleErrors([new Error("a"), new Error("b")]);
 * console.log(err.errors.length);
 * ```
 */
export class MultipleErrors extends AggregateError {
  /** Always `"MultipleErrors"`: how logs and stack traces name this error. */
  override readonly name = "MultipleErrors";
  constructor(errors: readonly unknown[]) {
    super(errors, `Multiple errors: ${errors.map(describe).join("; ")}`);
  }
}

/**
 * Using a switch that has already finished (forking into it, adding a release hook).
 * Mirrors Eio's `Invalid_argument "Switch finished!"`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.SwitchFinished("fork").message);
 * ```
 */
export class SwitchFinished extends Error {
  /** Always `"SwitchFinished"`: how logs and stack traces name this error. */
  override readonly name = "SwitchFinished";
  /** `cause`: the error of a release hook that was run at once because the switch had finished. */
  constructor(operation: string, cause?: unknown) {
    super(
      `Cannot ${operation}: the switch has finished. Use a switch that is still running.`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * Raised by `Eio.run` when every fiber is waiting and nothing (timer, I/O, other domain) can
 * ever wake one.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * try {
 *   await Eio.run(function* () {
 *     const [p] = Eio.Promise.create<number>();
 *     return yield* Eio.Promise.await(p);
 *   });
 * } catch (e) {
 *   console.log((e as Error).name);
 * }
 * ```
 */
export class DeadlockError extends Error {
  /** Always `"DeadlockError"`: how logs and stack traces name this error. */
  override readonly name = "DeadlockError";
  constructor(waiting: readonly string[]) {
    super(
      `Deadlock: every fiber is waiting and nothing can wake one (waiting on: ${waiting.join(", ") || "nothing"}).`,
    );
  }
}

/**
 * Eio's combine rule: the same error twice is kept once; a `Cancelled` gives way to a real
 * error; otherwise the errors are listed, oldest first, in one `MultipleErrors`.
 */
export function combineErrors(existing: unknown, next: unknown): unknown {
  if (existing === next) return existing;
  if (existing instanceof Cancelled) return next;
  if (next instanceof Cancelled) return existing;
  if (existing instanceof MultipleErrors) return new MultipleErrors([...existing.errors, next]);
  return new MultipleErrors([existing, next]);
}

/** A short description of any thrown value, for messages. */
export function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "string") return value;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
