/**
 * The standard environment passed to `Eio.run`'s main function: the capabilities a program
 * starts with. Mirrors `Eio.Stdenv`.
 * @module
 */
import type { Scheduler } from "./core/scheduler.js";
import type { DomainManager } from "./domains/domain-manager.js";
import type { Clock } from "./io/time.js";
import type { Net } from "./io/net.js";

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
 *   console.log(Eio.Stdenv.cwd(env) === process.cwd());
 * });
 * ```
 */
export interface Env {
  /** The current working directory, as a path. */
  readonly cwd: string;
  /** The network: listen and connect with `Eio.Net`. */
  readonly net: Net;
  /** Wall-clock time: seconds since 1970-01-01 UTC (a mock clock under `Eio.Mock.run`). */
  readonly clock: Clock;
  /** Monotonic time in seconds, for timeouts and intervals (a mock clock under `Eio.Mock.run`). */
  readonly monoClock: Clock;
  /** Runs code in other domains (worker threads): see `Eio.DomainManager`. */
  readonly domainMgr: DomainManager;
  /** @internal */
  readonly scheduler: Scheduler;
}

/**
 * The working directory of `env`. Mirrors `Eio.Stdenv.cwd`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(typeof Eio.Stdenv.cwd(env)));
 * ```
 */
export function cwd(env: Env): string {
  return env.cwd;
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
