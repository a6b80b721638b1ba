/**
 * Starting the runtime on a thread, with a backend hook (the mock backend makes its own clock):
 * `Eio.run` (run.ts) is this without a backend.
 * @internal
 * @module
 */
import { CancelContext } from "./core/cancel-context.js";
import { Cancelled, DeadlockError } from "./core/errors.js";
import { emptyVars, Fiber, Scheduler } from "./core/scheduler.js";
import { tracelnKey, type TracelnSink } from "./core/traceln.js";
import { prepareDomainExit, prepareDomainWork, watchInbox } from "./shared/index.js";
import { enterEnv, leaveEnv, makeEnv } from "./run-env.js";
import type { Env } from "./stdenv.js";
import { type Trace } from "./trace/events.js";
import { traceRun } from "./trace/whole-run.js";
// Registers shared pools (Pool.create(..., { shared: true })) in every domain that runs.
import "./domains/shared-pool.js";

/**
 * Options for `Eio.run`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const lines: string[] = [];
 * const options: Eio.RunOptions = { traceln: (line) => lines.push(line) };
 * await Eio.run(() => Eio.traceln("captured"), options);
 * console.log(lines);
 * ```
 */
export interface RunOptions {
  /** Where `Eio.traceln` lines go (default: standard error, prefixed with `+`). */
  traceln?: TracelnSink;
  /** Cancel the whole program when this signal aborts. */
  signal?: AbortSignal;
  /**
   * Record the whole run and call this with the trace when it ends (see `Eio.Trace`). Without
   * it, the environment variable `EIO_TRACE=FILE` writes the trace of each run on the main
   * thread to FILE: Chrome trace-event JSON for Perfetto if it ends in `.json`, else a picture
   * (an SVG for `.svg`, else an HTML page); `EIO_TRACE_CLOCK=steps` draws a picture by steps
   * instead of time.
   */
  trace?: (trace: Trace) => void;
}

/** Builds the scheduler, root context and env for a run; backends (mock) customise them. */
export interface Backend {
  setup(scheduler: Scheduler, env: Env): Env;
}

/** `Eio.run` with a backend hook. */
export function runWith<T>(main: (env: Env) => unknown, options: RunOptions, backend: Backend | null): globalThis.Promise<T> {
  if (typeof main !== "function") {
    return globalThis.Promise.reject(new TypeError(`Eio.run: expected a function (env) => ..., got ${typeof main}`));
  }
  if (typeof options !== "object" || options === null) {
    return globalThis.Promise.reject(new TypeError(`Eio.run: options must be an object, got ${String(options)}`));
  }
  if (options.traceln !== undefined && typeof options.traceln !== "function") {
    return globalThis.Promise.reject(new TypeError(`Eio.run: options.traceln must be a function, got ${typeof options.traceln}`));
  }
  if (options.trace !== undefined && typeof options.trace !== "function") {
    return globalThis.Promise.reject(new TypeError(`Eio.run: options.trace must be a function (trace) => void, got ${typeof options.trace}`));
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return globalThis.Promise.reject(new TypeError(`Eio.run: options.signal must be an AbortSignal, got ${typeof signal}`));
  }
  return new globalThis.Promise<T>((resolve, reject) => {
    const scheduler = new Scheduler();
    const root = new CancelContext(null, false, "root");
    scheduler.root = root;
    let env = makeEnv(scheduler);
    if (backend !== null) env = backend.setup(scheduler, env);
    // Capabilities (the env and its parts) that other domains send here arrive as this env's.
    enterEnv(env);
    // The thread's idle policy (spin, block, park) runs the scheduler's idle moments; wake-ups
    // from other domains' fibers arrive through the shared heap's inbox, its first source.
    watchInbox(scheduler);
    let vars = emptyVars;
    if (options.traceln !== undefined) vars = new Map([[tracelnKey, options.traceln]]);
    // While we listen, the signal can still wake fibers (by cancelling them): not a deadlock.
    let listening = false;
    const stopListening = (): void => {
      if (!listening) return;
      listening = false;
      signal!.removeEventListener("abort", onAbort);
      scheduler.removeExternalWait();
    };
    const onAbort = (): void => {
      stopListening();
      root.cancel(signal!.reason);
    };
    const endTrace = traceRun(scheduler, options.trace);
    /** Ends the run; returns the error of the trace callback, if it threw (the run fails with it). */
    const finish = (): unknown => {
      scheduler.stop();
      root.finish();
      stopListening();
      unwatchExit(scheduler);
      leaveEnv(env);
      // A domain's thread may end with the run: blocks cached for reuse go back to everyone.
      prepareDomainExit();
      try {
        endTrace?.();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    watchExit(scheduler);
    prepareDomainWork();
    scheduler.onDeadlock = (error) => {
      finish();
      reject(error);
    };
    const fiber = new Fiber(scheduler, root, vars, (ok, value) => {
      const traceError = finish();
      if (traceError !== undefined) reject(traceError);
      else if (ok) resolve(value as T);
      else if (value instanceof Cancelled && value.cause instanceof DeadlockError) reject(value.cause);
      else reject(value);
    });
    if (signal !== undefined) {
      if (signal.aborted) root.cancel(signal.reason);
      else {
        listening = true;
        scheduler.addExternalWait();
        signal.addEventListener("abort", onAbort, { once: true });
      }
    }
    // An object's method, so the root fiber is named "main" in traces.
    scheduler.start(fiber, { main: () => main(env) }.main);
    // The root may have suspended already: let the loop run so a deadlock is noticed.
    scheduler.schedule();
  });
}

/** Schedulers of runs that have not finished, told when Node is about to exit under them. */
const liveSchedulers = new Set<Scheduler>();

function onBeforeExit(): void {
  for (const scheduler of [...liveSchedulers]) scheduler.nodeIdle();
}

function watchExit(scheduler: Scheduler): void {
  if (liveSchedulers.size === 0) process.on("beforeExit", onBeforeExit);
  liveSchedulers.add(scheduler);
}

function unwatchExit(scheduler: Scheduler): void {
  if (liveSchedulers.delete(scheduler) && liveSchedulers.size === 0) process.off("beforeExit", onBeforeExit);
}
