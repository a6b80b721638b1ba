/**
 * I/O errors with context, as in Eio's `Eio.Exn`: every I/O error is an {@link Io} (Eio's
 * `Eio.Io (err, context)`), whose subclass says which error it is (`Eio.Fs.NotFound`,
 * `Eio.Net.ConnectionReset`, `Eio.Process.ChildError`, ...) and whose context list grows as the
 * error travels up ({@link addContext}, {@link reraiseWithContext}). It prints as Eio prints it:
 * `Eio.Io Fs Not_found ENOENT: no such file or directory, opening <fs:/tmp/x>`.
 * @module
 */
import { rememberErrorClass } from "../shared/error-classes.js";

/**
 * An I/O operation failed: Eio's `Eio.Io` exception. `err` says what went wrong, starting with
 * the module (`"Fs Not_found ENOENT: no such file or directory"`, `"Process Child_error Exited
 * (code 3)"`), and `context` what was being done, innermost first (`["opening <cwd:x>"]`). The
 * message is `Eio.Io `, then `err`, then each step of the context after a comma, as Eio prints
 * it; it follows the context as it grows. Catch the subclass for one kind of error
 * (`Eio.Fs.NotFound`), or `Eio.Io` for any I/O error.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Path.load(Eio.Path.join(env.fs, "/no/such/file"));
 *   } catch (e) {
 *     if (!(e instanceof Eio.Io)) throw e;
 *     console.log(e.context, e.message);
 *   }
 * });
 * ```
 */
export class Io extends Error {
  /** The class name, as for built-in errors. */
  override readonly name: string = "Io";
  /** What was being done when it failed, innermost first (Eio's context steps, in print order). */
  readonly context: string[] = [];

  constructor(
    /** What went wrong, as Eio prints the error code: `"Fs Not_found ENOENT: ..."`. */
    readonly err: string,
    options?: { cause?: unknown; context?: readonly string[] },
  ) {
    super(`Eio.Io ${err}`, options);
    for (const step of options?.context ?? []) this.context.push(step);
    this.message = messageOf(this);
  }
}

rememberErrorClass(Io);

/** How Eio prints the error: `Eio.Io `, the error, then each step of the context after a comma. */
function messageOf(error: Io): string {
  return `Eio.Io ${error.err}${error.context.map((step) => `, ${step}`).join("")}`;
}

/**
 * Sets the message from the context, and the stack's first line if V8 has already written it
 * (it writes it when first read, so an unread stack needs nothing).
 */
function renderMessage(error: Io): void {
  const before = `${error.name}: ${error.message}`;
  error.message = messageOf(error);
  const stack = error.stack;
  // The old first line exactly: a stack written only now already has the new message, which starts like the old.
  if (typeof stack === "string" && stack.startsWith(before) && (stack.length === before.length || stack[before.length] === "\n")) {
    Object.defineProperty(error, "stack", { value: `${error.name}: ${error.message}${stack.slice(before.length)}`, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * Adds `step` (what was being done: `"opening <cwd:data>"`, `"running command: ls"`) to the
 * context of an I/O error and returns it; any other error is returned unchanged. Mirrors
 * `Eio.Exn.add_context`. The error is the same object, so its stack stays where it was thrown.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Path.load(Eio.Path.join(env.cwd, "missing.conf"));
 *   } catch (e) {
 *     console.log((Eio.Exn.addContext(e, "loading the configuration") as Error).message);
 *   }
 * });
 * ```
 */
export function addContext<E>(error: E, step: string): E {
  if (typeof step !== "string") throw new TypeError(`Exn.addContext: expected a string step, got ${typeof step}`);
  if (error instanceof Io) {
    error.context.push(step);
    renderMessage(error);
  }
  return error;
}

/**
 * Throws `error` again, with `step` added to its context if it is an I/O error: use it in a
 * `catch` block to say what the failed operation was part of. Mirrors
 * `Eio.Exn.reraise_with_context` (the backtrace is the error's own stack, which is kept).
 *
 * Suspends: never (it throws).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     try {
 *       yield* Eio.Path.load(Eio.Path.join(env.cwd, "missing.conf"));
 *     } catch (e) {
 *       Eio.Exn.reraiseWithContext(e, "starting the server");
 *     }
 *   } catch (e) {
 *     console.log((e as Eio.Io).context);
 *   }
 * });
 * ```
 */
export function reraiseWithContext(error: unknown, step: string): never {
  throw addContext(error, step);
}
