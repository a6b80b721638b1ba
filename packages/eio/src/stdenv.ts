/**
 * The standard environment passed to `Eio.run`'s main function: the capabilities a program
 * starts with. Mirrors `Eio.Stdenv`.
 * @module
 */
import type { Scheduler } from "./core/scheduler.js";
import type { DomainManager } from "./domains/domain-manager.js";
import type { Clock } from "./io/time.js";
import type { Net } from "./io/net.js";
import type { Sink, Source } from "./io/flow.js";
import type { Path } from "./io/path.js";
import type { Mgr as ProcessMgr } from "./io/process-impl.js";

/**
 * The capabilities given to the main function of `Eio.run`: pass them on to the code that
 * needs them, as in Eio, rather than reaching for globals. Sent to another domain (anywhere in
 * a task's arguments, a shared stream's items...), the env and each of its parts arrive as
 * that domain's own: its clocks, its network, its domain manager.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env: Eio.Env) => {
 *   console.log(Eio.Path.native(Eio.Stdenv.cwd(env)), String(env.fs));
 * });
 * ```
 */
export interface Env {
  /**
   * The current working directory (when the run started), as a confined path: paths under it
   * cannot reach above it. See `Eio.Path`.
   */
  readonly cwd: Path;
  /** The whole file system, as a path: absolute paths, and relative ones from the process's directory. */
  readonly fs: Path;
  /** Standard input, as a source flow. */
  readonly stdin: Source;
  /** Standard output, as a sink flow (ordered with `console.log`). */
  readonly stdout: Sink;
  /** Standard error, as a sink flow. */
  readonly stderr: Sink;
  /** The network: listen and connect with `Eio.Net`. */
  readonly net: Net;
  /** Wall-clock time: seconds since 1970-01-01 UTC (a mock clock under `Eio.Mock.run`). */
  readonly clock: Clock;
  /** Monotonic time in seconds, for timeouts and intervals (a mock clock under `Eio.Mock.run`). */
  readonly monoClock: Clock;
  /** Runs code in other domains (worker threads): see `Eio.DomainManager`. */
  readonly domainMgr: DomainManager;
  /** Runs other programs: see `Eio.Process`. */
  readonly processMgr: ProcessMgr;
  /** @internal */
  readonly scheduler: Scheduler;
}

/**
 * The working directory of `env`, as a confined path. Mirrors `Eio.Stdenv.cwd`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(String(Eio.Stdenv.cwd(env))));
 * ```
 */
export function cwd(env: Env): Path {
  return env.cwd;
}

/**
 * The whole file system, as a path. Mirrors `Eio.Stdenv.fs`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(String(Eio.Path.join(Eio.Stdenv.fs(env), "/tmp"))));
 * ```
 */
export function fs(env: Env): Path {
  return env.fs;
}

/**
 * Standard input, as a source flow. Mirrors `Eio.Stdenv.stdin`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(Eio.Stdenv.stdin(env) === env.stdin));
 * ```
 */
export function stdin(env: Env): Source {
  return env.stdin;
}

/**
 * Standard output, as a sink flow. Mirrors `Eio.Stdenv.stdout`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => Eio.Flow.copyString("Hello, world!\n", Eio.Stdenv.stdout(env)));
 * ```
 */
export function stdout(env: Env): Sink {
  return env.stdout;
}

/**
 * Standard error, as a sink flow. Mirrors `Eio.Stdenv.stderr`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => Eio.Flow.copyString("to stderr\n", Eio.Stdenv.stderr(env)));
 * ```
 */
export function stderr(env: Env): Sink {
  return env.stderr;
}

/**
 * The wall clock of `env` (seconds since the Unix epoch). Mirrors `Eio.Stdenv.clock`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(Eio.Time.now(Eio.Stdenv.clock(env)) > 0));
 * ```
 */
export function clock(env: Env): Clock {
  return env.clock;
}

/**
 * The monotonic clock of `env`: use it for timeouts and measuring intervals.
 * Mirrors `Eio.Stdenv.mono_clock`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(Eio.Time.now(Eio.Stdenv.monoClock(env)) >= 0));
 * ```
 */
export function monoClock(env: Env): Clock {
  return env.monoClock;
}

/**
 * The domain manager of `env`, to run code in other domains. Mirrors `Eio.Stdenv.domain_mgr`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(String(Eio.Stdenv.domainMgr(env))));
 * ```
 */
export function domainMgr(env: Env): DomainManager {
  return env.domainMgr;
}

/**
 * The network capability of `env`, for `Eio.Net.listen` and `Eio.Net.connect`.
 * Mirrors `Eio.Stdenv.net`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(Eio.Stdenv.net(env) === env.net));
 * ```
 */
export function net(env: Env): Net {
  return env.net;
}

/**
 * The process manager of `env`, to run other programs with `Eio.Process`. Mirrors
 * `Eio.Stdenv.process_mgr`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => Eio.Process.run(Eio.Stdenv.processMgr(env), ["echo", "hi"]));
 * ```
 */
export function processMgr(env: Env): ProcessMgr {
  return env.processMgr;
}
