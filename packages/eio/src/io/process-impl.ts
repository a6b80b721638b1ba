/**
 * Child processes on `node:child_process`: the process manager capability, a running child
 * (its exit status as a fiber wait, killed with SIGKILL when its switch ends first), and
 * spawning, with the standard streams given as flows: a flow with a file descriptor that can
 * be shared as it is (the parent's standard streams, a file opened for appending, a socket to
 * write to) is passed to the child; any other flow is joined to a pipe by a fiber that copies.
 * @internal
 * @module
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import { constants as osConstants } from "node:os";
import { suspend, type Fiber, type Operation } from "../core/scheduler.js";
import { fork } from "../core/fiber.js";
import { check, onReleaseCancellable, tryRemoveHook, type Hook } from "../core/switch.js";
import { checkOurDomain, type Switch } from "../core/switch-type.js";
import { FileImpl } from "./file-impl.js";
import { copy, type Sink, type Source } from "./flow.js";
import { describeValue, fsCall, fsError } from "./fs-call.js";
import { Path } from "./path.js";
import { PipeSink, PipeSource } from "./pipe-flow.js";
// Type only: process.ts calls into this file at run time, not the other way.
import type { SpawnOptions } from "./process.js";
import { ArgumentListTooLong, ExecutableNotFound, ProcessPermissionDenied, type ExitStatus } from "./process-errors.js";
import { SocketStream } from "./socket-stream.js";
import { stderr, stdin, stdout } from "./stdio.js";

/**
 * The process manager, `env.processMgr` (Eio's `Process.mgr`): code that is given it may run
 * other programs.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => {
 *   const mgr: Eio.Process.Mgr = env.processMgr;
 *   console.log(mgr === Eio.Stdenv.processMgr(env));
 * });
 * ```
 */
export interface Mgr {
  /** @internal */
  readonly kind: "processMgr";
}

/** The one value of {@link Mgr}: `env.processMgr` of every run. */
export const theProcessMgr: Mgr = Object.freeze({ kind: "processMgr" as const });

/** A child process (Eio's `Process.t`). */
export class Child {
  status: ExitStatus | null = null;
  private readonly waiters = new Set<Fiber>();
  hook: Hook | null = null;
  /** The child's stdout, when spawned for `Process.parseOut`. */
  output: PipeSource | null = null;

  constructor(
    private readonly process: childProcess.ChildProcess,
    readonly pid: number,
  ) {
    process.on("exit", (code, signal) => this.exited(code, signal));
    // Without a listener, a failed kill would be thrown from the event loop.
    process.on("error", () => {});
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.status = code !== null ? { kind: "exited", code } : { kind: "signaled", signal: signal === null ? 0 : osConstants.signals[signal] };
    if (this.hook !== null) tryRemoveHook(this.hook);
    this.hook = null;
    for (const fiber of this.waiters) {
      fiber.scheduler.removeExternalWait();
      fiber.scheduler.wake(fiber, this.status);
    }
    this.waiters.clear();
  }

  await(): Operation<ExitStatus> {
    return suspend<ExitStatus>("Process.await", (fiber: Fiber) => {
      const scheduler = fiber.scheduler;
      if (this.status !== null) {
        scheduler.wake(fiber, this.status);
        return;
      }
      this.waiters.add(fiber);
      scheduler.addExternalWait();
      fiber.cancelFn = (cancelled) => {
        if (!this.waiters.delete(fiber)) return;
        scheduler.removeExternalWait();
        scheduler.wakeError(fiber, cancelled);
      };
    });
  }

  /** Sends `signal`, unless the child has exited (its pid may be another process's by now). */
  signal(signal: number | NodeJS.Signals): void {
    if (this.status === null) this.process.kill(signal);
  }

  toString(): string {
    return `<process ${this.pid}>`;
  }
}

/** The standard streams' flows, and the descriptor each stands for. */
const standardFds = new Map<unknown, number>([
  [stdin, 0],
  [stdout, 1],
  [stderr, 2],
]);

/** A descriptor (or stream) the child can use as it is, or null if a pipe and a copying fiber are needed. */
function shareable(flow: Source | Sink, writing: boolean): number | SocketStream["socket"] | null {
  const fd = standardFds.get(flow);
  if (fd !== undefined) return fd;
  // The child writes where the kernel's offset is, which only matches ours when appending.
  if (flow instanceof FileImpl && writing && flow.append && !flow.closed) return flow.fd;
  // A socket buffers what it has received on our side, so only its sending side can be shared.
  if (flow instanceof SocketStream && writing) return flow.socket;
  return null;
}

function checkFlow(value: unknown, method: "readInto" | "writeAll", what: string): void {
  if (typeof value !== "object" || value === null || typeof (value as Record<string, unknown>)[method] !== "function") {
    const kind = method === "readInto" ? "a source flow (Flow.stringSource, a file, env.stdin...)" : "a sink flow (Flow.bufferSink, a file, env.stdout...)";
    throw new TypeError(`${what}: expected ${kind}, got ${describeValue(value)}`);
  }
}

/** Checks `args` and `options` as `Process.spawn` takes them. */
export function checkSpawn(args: unknown, options: unknown, what: string): asserts args is readonly string[] {
  if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === "string")) {
    throw new TypeError(`${what}: expected the arguments as a non-empty array of strings (the program first, as in ["ls", "-l"]), got ${describeValue(args)}`);
  }
  if (typeof options !== "object" || options === null) throw new TypeError(`${what}: expected an options object, got ${describeValue(options)}`);
  const o = options as SpawnOptions;
  if (o.cwd !== undefined && !(o.cwd instanceof Path)) throw new TypeError(`${what}: options.cwd must be an Eio.Path.Path (from env.cwd, env.fs or Path.join), got ${describeValue(o.cwd)}`);
  if (o.stdin !== undefined) checkFlow(o.stdin, "readInto", `${what}: options.stdin`);
  if (o.stdout !== undefined) checkFlow(o.stdout, "writeAll", `${what}: options.stdout`);
  if (o.stderr !== undefined) checkFlow(o.stderr, "writeAll", `${what}: options.stderr`);
  if (o.executable !== undefined && typeof o.executable !== "string") throw new TypeError(`${what}: options.executable must be a string, got ${describeValue(o.executable)}`);
  if (o.env !== undefined) envObject(o.env, what);
}

/** Eio's environment (`"NAME=value"` strings), or a record, as Node takes it. */
function envObject(env: SpawnOptions["env"], what: string): Record<string, string> {
  const result: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const entry of env) {
      const at = typeof entry === "string" ? entry.indexOf("=") : -1;
      if (at <= 0) throw new TypeError(`${what}: options.env entries must be "NAME=value" strings, got ${describeValue(entry)}`);
      result[entry.slice(0, at)] = entry.slice(at + 1);
    }
    return result;
  }
  if (typeof env !== "object" || env === null) throw new TypeError(`${what}: options.env must be an array of "NAME=value" strings or a record of strings, got ${describeValue(env)}`);
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== "string") throw new TypeError(`${what}: options.env.${name} must be a string, got ${describeValue(value)}`);
    result[name] = value;
  }
  return result;
}

/** The native path of `cwd`, checked to be a directory (and to stay below a confined one). */
function* nativeCwd(cwd: Path): Operation<string> {
  const doing = `opening directory ${String(cwd)}`;
  try {
    const native = yield* cwd.dir.resolve(cwd.path, true);
    const stat = yield* fsCall<fs.Stats>("Process.spawn", (cb) => fs.stat(native, cb));
    if (!stat.isDirectory()) throw Object.assign(new Error("ENOTDIR: not a directory"), { code: "ENOTDIR" });
    return native;
  } catch (error) {
    throw fsError(error, doing);
  }
}

/** A failed exec as Eio's `Process` errors; others pass unchanged. */
function spawnError(error: unknown, executable: string): unknown {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case "ENOENT":
    case "ENOTDIR":
      return new ExecutableNotFound(executable, { cause: error });
    case "EACCES":
      return new ProcessPermissionDenied(executable, { cause: error });
    case "E2BIG":
      return new ArgumentListTooLong({ cause: error });
    default:
      return error;
  }
}

/**
 * Waits for the "error" event of a child that could not start (Node sends it on the next tick).
 * The listener goes on first: a fiber already cancelled does not wait, and an "error" with no
 * listener would be thrown from the event loop.
 */
function startError(process: childProcess.ChildProcess): Operation<Error> {
  let error: Error | null = null;
  let waiter: Fiber | null = null;
  process.once("error", (e) => {
    error = e;
    if (waiter === null) return;
    waiter.scheduler.removeExternalWait();
    waiter.scheduler.wake(waiter, e);
  });
  return suspend<Error>("Process.spawn", (fiber: Fiber) => {
    if (error !== null) {
      fiber.scheduler.wake(fiber, error);
      return;
    }
    waiter = fiber;
    fiber.scheduler.addExternalWait();
  });
}

/** Spawns `args` in `sw`; with `pipeStdout`, the child's stdout is `child.output`, for us to read. */
export function* spawn(sw: Switch, args: readonly string[], options: SpawnOptions, what: string, pipeStdout = false): Operation<Child> {
  checkOurDomain(sw, "spawn a process");
  check(sw);
  const cwd = options.cwd === undefined ? undefined : yield* nativeCwd(options.cwd);
  const env = options.env === undefined ? undefined : envObject(options.env, what);
  const executable = options.executable ?? args[0]!;
  const given = [options.stdin, options.stdout, options.stderr] as const;
  const stdio = given.map((flow, i) => (flow === undefined ? "inherit" : (shareable(flow, i > 0) ?? "pipe")));
  if (pipeStdout) stdio[1] = "pipe";
  let process: childProcess.ChildProcess;
  try {
    process = childProcess.spawn(executable, args.slice(1), { argv0: args[0], cwd, env, stdio: stdio as childProcess.StdioOptions });
  } catch (error) {
    throw spawnError(error, executable);
  }
  if (process.pid === undefined) throw spawnError(yield* startError(process), executable);
  const child = new Child(process, process.pid);
  child.hook = onReleaseCancellable(sw, () => child.signal("SIGKILL"));
  const input = options.stdin;
  if (input !== undefined && process.stdin !== null) {
    const sink = new PipeSink(process.stdin, `writing to the stdin of process ${child.pid}`);
    fork(sw, function* () {
      try {
        yield* copy(input, sink);
      } finally {
        sink.end();
      }
    });
  }
  if (pipeStdout && process.stdout !== null) child.output = new PipeSource(process.stdout, `reading the stdout of process ${child.pid}`);
  const outputs = [
    [options.stdout, process.stdout, "stdout"],
    [options.stderr, process.stderr, "stderr"],
  ] as const;
  for (const [output, pipe, name] of outputs) {
    if (output === undefined || pipe === null) continue;
    const source = new PipeSource(pipe, `reading the ${name} of process ${child.pid}`);
    fork(sw, () => copy(source, output));
  }
  return child;
}
