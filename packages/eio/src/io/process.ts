/**
 * Running other programs, as in Eio's `Eio.Process`: spawn a child on a switch (which kills it
 * with SIGKILL if it is still running when the switch ends), wait for its exit status, or run
 * it to completion with {@link run} and {@link parseOut}. Its standard streams are flows: the
 * parent's own by default; a file opened for appending, a socket to write to and the parent's
 * standard streams are given to it as they are; any other flow (a string source, a buffer
 * sink, a file) is joined to a pipe by a fiber that copies, as Eio does.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { run as runSwitch } from "../core/switch.js";
import { Switch } from "../core/switch-type.js";
import { parseExn } from "./buf-read-combinators.js";
import type { Parser } from "./buf-read-parsers.js";
import { addContext, reraiseWithContext, Io } from "./exn.js";
import type { Path } from "./path.js";
import type { Sink, Source } from "./flow.js";
import { describeValue } from "./fs-call.js";
import { ChildError, ppArgs, type ExitStatus } from "./process-errors.js";
import { checkSpawn, Child, spawn as spawnChild, theProcessMgr, type Mgr } from "./process-impl.js";

export type { Mgr } from "./process-impl.js";
export { ppStatus, ppArgs, ProcessError, ExecutableNotFound, ProcessPermissionDenied as PermissionDenied, ArgumentListTooLong, ChildError, type ExitStatus } from "./process-errors.js";

/**
 * A child process (Eio's `Process.t`), from {@link spawn}. Opaque: use {@link await},
 * {@link pid} and {@link signal}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const child: Eio.Process.Process = yield* Eio.Process.spawn(sw, env.processMgr, ["true"]);
 *     console.log(yield* Eio.Process.await(child));
 *   });
 * });
 * ```
 */
export interface Process {
  /** @internal */
  readonly pid: number;
}

/**
 * How to start a child: all optional, each defaulting to the parent's own.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const options: Eio.Process.SpawnOptions = { cwd: Eio.Path.join(env.fs, "/"), env: ["GREETING=hi"] };
 *   yield* Eio.Process.run(env.processMgr, ["sh", "-c", "echo $GREETING from $(pwd)"], options);
 * });
 * ```
 */
export interface SpawnOptions {
  /** The child's working directory; one under a confined directory must stay below it. */
  cwd?: Path;
  /** What the child reads as its standard input. */
  stdin?: Source;
  /** Where the child's standard output goes. */
  stdout?: Sink;
  /** Where the child's standard error goes. */
  stderr?: Sink;
  /** The child's environment, as Eio's `"NAME=value"` strings (or a record of them): nothing else is passed. */
  env?: readonly string[] | Readonly<Record<string, string>>;
  /** The program to run, when it is not `args[0]` looked up on `PATH` (`args[0]` is then only its name). */
  executable?: string;
}

/**
 * {@link SpawnOptions}, and which exit codes are success for {@link run} and
 * {@link awaitExn} (default: only 0).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const options: Eio.Process.RunOptions = { isSuccess: (code) => code === 1 };
 *   yield* Eio.Process.run(env.processMgr, ["grep", "-q", "x", "/dev/null"], options);
 *   console.log("grep found nothing, as expected");
 * });
 * ```
 */
export interface RunOptions extends SpawnOptions {
  /** Whether the child's exit code means success (default: `code === 0`). */
  isSuccess?: (code: number) => boolean;
}

function checkMgr(mgr: unknown, what: string): void {
  if (mgr !== theProcessMgr) throw new TypeError(`${what}: expected the process manager (env.processMgr), got ${describeValue(mgr)}`);
}

function checkProcess(proc: unknown, what: string): Child {
  if (!(proc instanceof Child)) throw new TypeError(`${what}: expected a process (from Process.spawn), got ${describeValue(proc)}`);
  return proc;
}

function checkIsSuccess(options: RunOptions, what: string): (code: number) => boolean {
  const isSuccess = options.isSuccess ?? ((code: number) => code === 0);
  if (typeof isSuccess !== "function") throw new TypeError(`${what}: options.isSuccess must be a function of the exit code, got ${describeValue(isSuccess)}`);
  return isSuccess;
}

function succeeded(status: ExitStatus, isSuccess: (code: number) => boolean): boolean {
  return status.kind === "exited" && isSuccess(status.code) === true;
}

/**
 * Starts the program `args[0]` (looked up on `PATH` unless it contains a `/`) with the
 * arguments `args`, in `sw`: if the child is still running when `sw` ends, it is sent SIGKILL.
 * Flows given for its standard streams that it cannot use directly are copied to or from a
 * pipe by fibers in `sw` (so `sw` waits for the child's output to be copied). Throws
 * `Eio.Process.ExecutableNotFound`, `PermissionDenied` or `ArgumentListTooLong` if the
 * program cannot start, and an `Eio.Fs` error for a bad `cwd`. Mirrors `Eio.Process.spawn`.
 *
 * Suspends: yes (while checking `cwd` and starting) — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const child = yield* Eio.Process.spawn(sw, env.processMgr, ["echo", "hello world"]);
 *     console.log(yield* Eio.Process.await(child));
 *   });
 * });
 * ```
 */
export function spawn(sw: Switch, mgr: Mgr, args: readonly string[], options: SpawnOptions = {}): Operation<Process> {
  if (!(sw instanceof Switch)) throw new TypeError(`Process.spawn: expected a switch as the first argument, got ${describeValue(sw)}`);
  checkMgr(mgr, "Process.spawn");
  checkSpawn(args, options, "Process.spawn");
  return spawnChild(sw, args, options, "Process.spawn");
}

/**
 * Waits for the child to exit and returns how it ended; once it has, returns that at once,
 * every time. Cancelling the waiting fiber stops the wait (not the child). Mirrors
 * `Eio.Process.await`.
 *
 * Suspends: until the child exits — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const child = yield* Eio.Process.spawn(sw, env.processMgr, ["sh", "-c", "exit 3"]);
 *     const status = yield* Eio.Process.await(child);
 *     console.log(status, Eio.Process.ppStatus(status));
 *   });
 * });
 * ```
 */
function awaitProcess(proc: Process): Operation<ExitStatus> {
  return checkProcess(proc, "Process.await").await();
}
export { awaitProcess as await };

/**
 * Like {@link await}, but throws `Eio.Process.ChildError` unless the child exited with a
 * successful code (0, or one `options.isSuccess` accepts). Mirrors `Eio.Process.await_exn`.
 *
 * Suspends: until the child exits — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const child = yield* Eio.Process.spawn(sw, env.processMgr, ["false"]);
 *     try {
 *       yield* Eio.Process.awaitExn(child);
 *     } catch (e) {
 *       console.log((e as Error).message);
 *     }
 *   });
 * });
 * ```
 */
export function* awaitExn(proc: Process, options: { isSuccess?: (code: number) => boolean } = {}): Operation<void> {
  const child = checkProcess(proc, "Process.awaitExn");
  const isSuccess = checkIsSuccess(options, "Process.awaitExn");
  const status = yield* child.await();
  if (!succeeded(status, isSuccess)) throw new ChildError(status);
}

/**
 * The child's process ID. Mirrors `Eio.Process.pid`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const child = yield* Eio.Process.spawn(sw, env.processMgr, ["true"]);
 *     console.log(Eio.Process.pid(child) > 0);
 *   });
 * });
 * ```
 */
export function pid(proc: Process): number {
  return checkProcess(proc, "Process.pid").pid;
}

/**
 * Sends `signal` (a number, such as 15, or a name, such as `"SIGTERM"`) to the child. Does
 * nothing if it has already exited: its pid may belong to another process by then. Mirrors
 * `Eio.Process.signal`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const child = yield* Eio.Process.spawn(sw, env.processMgr, ["sleep", "10"]);
 *     Eio.Process.signal(child, "SIGKILL");
 *     console.log(Eio.Process.ppStatus(yield* Eio.Process.await(child)));
 *   });
 * });
 * ```
 */
export function signal(proc: Process, signal: number | NodeJS.Signals): void {
  const child = checkProcess(proc, "Process.signal");
  if (!(typeof signal === "string" || (typeof signal === "number" && Number.isInteger(signal) && signal >= 0))) {
    throw new TypeError(`Process.signal: expected a signal number (such as 15) or name (such as "SIGTERM"), got ${describeValue(signal)}`);
  }
  child.signal(signal);
}

/**
 * Runs `args` to completion, as {@link spawn} then {@link awaitExn} in a switch of its own (so
 * it also waits for the fibers that copy the child's output). An unsuccessful exit throws
 * `Eio.Process.ChildError` with the command in its context: `Eio.Io Process Child_error Exited
 * (code 3), running command: sh -c "exit 3"`. Mirrors `Eio.Process.run`.
 *
 * Suspends: until the child exits — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const out = Eio.Flow.bufferSink();
 *   yield* Eio.Process.run(env.processMgr, ["echo", "Hello, world"], { stdout: out });
 *   console.log(JSON.stringify(Eio.Flow.bufferSinkContents(out)));
 * });
 * ```
 */
export function run(mgr: Mgr, args: readonly string[], options: RunOptions = {}): Operation<void> {
  checkMgr(mgr, "Process.run");
  checkSpawn(args, options, "Process.run");
  const isSuccess = checkIsSuccess(options, "Process.run");
  return runSwitch<void>(
    function* (sw: Switch) {
      const child = yield* spawnChild(sw, args, options, "Process.run");
      const status = yield* child.await();
      if (!succeeded(status, isSuccess)) throw addContext(new ChildError(status), `running command: ${ppArgs(args)}`);
    },
    { name: "Process.run" },
  );
}

/**
 * Runs `args`, parses its standard output with `parser` (a `BufRead` parser, which must read
 * all of it, as `BufRead.parseExn` requires), checks that it exited successfully, and returns
 * the parsed value. An I/O error (the program missing, an unsuccessful exit...) gets the
 * command in its context. Use `BufRead.takeAll` to get the whole output as a string. Mirrors
 * `Eio.Process.parse_out`.
 *
 * Suspends: until the child exits — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const stdin = Eio.Flow.stringSource("one\ntwo\nthree\n");
 *   const count = yield* Eio.Process.parseOut(env.processMgr, Eio.BufRead.line, ["wc", "-l"], { stdin });
 *   console.log(count.trim());
 * });
 * ```
 */
export function parseOut<T>(mgr: Mgr, parser: Parser<T>, args: readonly string[], options: Omit<RunOptions, "stdout"> = {}): Operation<T> {
  checkMgr(mgr, "Process.parseOut");
  if (typeof parser !== "function") throw new TypeError(`Process.parseOut: expected a BufRead parser (such as Eio.BufRead.line), got ${describeValue(parser)}`);
  checkSpawn(args, options, "Process.parseOut");
  if ((options as RunOptions).stdout !== undefined) throw new TypeError("Process.parseOut: options.stdout cannot be given: the output goes to the parser");
  const isSuccess = checkIsSuccess(options, "Process.parseOut");
  return runSwitch<T>(
    function* (sw: Switch) {
      try {
        const child = yield* spawnChild(sw, args, options, "Process.parseOut", true);
        const output = child.output!;
        const value = yield* parseExn(parser, output, { maxSize: Number.MAX_SAFE_INTEGER });
        output.closeNow();
        const status = yield* child.await();
        if (!succeeded(status, isSuccess)) throw new ChildError(status);
        return value;
      } catch (error) {
        if (error instanceof Io) reraiseWithContext(error, `running command: ${ppArgs(args)}`);
        throw error;
      }
    },
    { name: "Process.parseOut" },
  );
}
