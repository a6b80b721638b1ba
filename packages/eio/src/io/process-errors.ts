/**
 * Exit statuses and the errors of `Eio.Process`, as Eio prints them.
 * @module
 */
import { constants as osConstants } from "node:os";
import { rememberErrorClass } from "../shared/error-classes.js";
import { Io } from "./exn.js";

/**
 * How a child process ended (Eio's `Process.exit_status`): it exited with a code (`` `Exited
 * code ``), or a signal killed it (`` `Signaled signal ``, the signal's number, such as 9 for
 * SIGKILL). Print it with {@link ppStatus}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const statuses: Eio.Process.ExitStatus[] = [{ kind: "exited", code: 0 }, { kind: "signaled", signal: 9 }];
 * console.log(statuses.map(Eio.Process.ppStatus));
 * ```
 */
export type ExitStatus =
  | {
      /** It exited by itself. */
      readonly kind: "exited";
      /** The exit code (0 for success). */
      readonly code: number;
    }
  | {
      /** A signal killed it. */
      readonly kind: "signaled";
      /** The number of the signal that killed it (see `os.constants.signals`). */
      readonly signal: number;
    };

const signalNames = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

/** How Eio prints a signal number (`Fmt.Dump.signal`): its name, or the number. */
function signalName(signal: number): string {
  return signalNames.get(signal) ?? String(signal);
}

/**
 * An exit status as Eio prints it: `Exited (code 3)`, `Exited (signal SIGKILL)`. Mirrors
 * `Eio.Process.pp_status`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.Process.ppStatus({ kind: "exited", code: 3 }), Eio.Process.ppStatus({ kind: "signaled", signal: 15 }));
 * ```
 */
export function ppStatus(status: ExitStatus): string {
  if (status?.kind === "exited") return `Exited (code ${status.code})`;
  if (status?.kind === "signaled") return `Exited (signal ${signalName(status.signal)})`;
  throw new TypeError(`Process.ppStatus: expected an exit status ({ kind: "exited", code } or { kind: "signaled", signal }), got ${JSON.stringify(status)}`);
}

/** A string as OCaml's `%S` prints it: in double quotes, with escapes. */
function quote(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x09) out += "\\t";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x08) out += "\\b";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, "0")}`;
  }
  return out + '"';
}

function needsQuotes(arg: string): boolean {
  if (arg === "") return true;
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 0x22 || c === 0x27 || c === 0x5c) return true;
  }
  return false;
}

/**
 * A command line for error messages and logs, quoting the arguments that could confuse a
 * reader (empty ones, and those with spaces, quotes or unusual characters) as OCaml does.
 * Mirrors `Eio.Process.pp_args`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.Process.ppArgs(["sh", "-c", "exit 3", "", "foo"]));
 * ```
 */
export function ppArgs(args: readonly string[]): string {
  if (!Array.isArray(args)) throw new TypeError(`Process.ppArgs: expected an array of strings, got ${typeof args}`);
  return args.map((arg) => (needsQuotes(String(arg)) ? quote(String(arg)) : String(arg))).join(" ");
}

/**
 * A process could not be run or failed: Eio's `Eio.Io (Process.E _, context)`, printed
 * `Eio.Io Process ...`. The base class of the process errors.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Process.run(env.processMgr, ["false"]);
 *   } catch (e) {
 *     console.log(e instanceof Eio.Process.ProcessError, e instanceof Eio.Io);
 *   }
 * });
 * ```
 */
export class ProcessError extends Io {
  /** The class name, as for built-in errors. */
  override readonly name: string = "ProcessError";
}

/**
 * The program to run was not found (on `PATH`, or at the path given), or its interpreter
 * (`#!`) was not. Mirrors Eio's `Process.Executable_not_found`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Process.run(env.processMgr, ["no-such-program-here"]);
 *   } catch (e) {
 *     console.log((e as Error).message);
 *   }
 * });
 * ```
 */
export class ExecutableNotFound extends ProcessError {
  /** The class name, as for built-in errors. */
  override readonly name = "ExecutableNotFound";
  constructor(
    /** The program, as it was to be run. */
    readonly executable: string,
    options?: { cause?: unknown; context?: readonly string[] },
  ) {
    super(`Process Executable_not_found ${quote(executable)}`, options);
  }
}

/**
 * The program exists but may not be run (it is not executable, say). Mirrors Eio's
 * `Process.Permission_denied`; exported as `Eio.Process.PermissionDenied`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const script = Eio.Path.join(env.fs, "/tmp/eio-not-executable.sh");
 *   yield* Eio.Path.save(script, "echo hi\n", { create: { orTruncate: 0o600 } });
 *   try {
 *     yield* Eio.Process.run(env.processMgr, [Eio.Path.native(script)]);
 *   } catch (e) {
 *     console.log(e instanceof Eio.Process.PermissionDenied, (e as Error).message);
 *   }
 *   yield* Eio.Path.unlink(script);
 * });
 * ```
 */
export class ProcessPermissionDenied extends ProcessError {
  /** The class name, as for built-in errors. */
  override readonly name = "ProcessPermissionDenied";
  constructor(
    /** The program, as it was to be run. */
    readonly executable: string,
    options?: { cause?: unknown; context?: readonly string[] },
  ) {
    super(`Process Permission_denied ${quote(executable)}`, options);
  }
}

/**
 * The arguments (with the environment) are more than the system takes. Mirrors Eio's
 * `Process.Argument_list_too_long`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const big = "x".repeat(1024 * 1024);
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Process.run(env.processMgr, ["echo", ...Array(8).fill(big)]);
 *   } catch (e) {
 *     console.log((e as Error).message);
 *   }
 * });
 * ```
 */
export class ArgumentListTooLong extends ProcessError {
  /** The class name, as for built-in errors. */
  override readonly name = "ArgumentListTooLong";
  constructor(options?: { cause?: unknown; context?: readonly string[] }) {
    super("Process Argument_list_too_long", options);
  }
}

/**
 * The child ended without success: a code other than 0 (or than what `isSuccess` accepts),
 * or a signal. Thrown by `Process.awaitExn`, `run` and `parseOut`, the last two with the
 * command in the context: `Eio.Io Process Child_error Exited (code 3), running command: sh -c
 * "exit 3"`. Mirrors Eio's `Process.Child_error`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Process.run(env.processMgr, ["sh", "-c", "exit 3"]);
 *   } catch (e) {
 *     if (!(e instanceof Eio.Process.ChildError)) throw e;
 *     console.log(e.status, e.message);
 *   }
 * });
 * ```
 */
export class ChildError extends ProcessError {
  /** The class name, as for built-in errors. */
  override readonly name = "ChildError";
  constructor(
    /** How the child ended. */
    readonly status: ExitStatus,
    options?: { cause?: unknown; context?: readonly string[] },
  ) {
    super(`Process Child_error ${ppStatus(status)}`, options);
  }
}

rememberErrorClass(ProcessError);
rememberErrorClass(ExecutableNotFound);
rememberErrorClass(ProcessPermissionDenied);
rememberErrorClass(ArgumentListTooLong);
rememberErrorClass(ChildError);
