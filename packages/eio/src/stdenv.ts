/**
 * The standard environment passed to `Eio.run`'s main function: the capabilities a program
 * starts with. Mirrors `Eio.Stdenv`.
 * @module
 */
import { currentFiberOrNull, type Scheduler } from "./core/scheduler.js";
import { DomainManager } from "./domains/domain-manager.js";
import { monoClock as systemMonoClock, systemClock } from "./io/clock.js";
import type { Clock } from "./io/time.js";
import { theNet, type Net } from "./io/net.js";
import { markCapability, registerCapability } from "./shared/index.js";

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

const defaultDomainManager = new DomainManager(undefined);

/** @internal */
export function makeEnv(scheduler: Scheduler): Env {
  return { cwd: process.cwd(), net: theNet, clock: systemClock, monoClock: systemMonoClock, domainMgr: defaultDomainManager, scheduler };
}

/**
 * The envs of this thread's runs that have not finished, newest last. A worker domain has
 * exactly one: the env that values sent to it revive into.
 */
const liveEnvs: Env[] = [];

/**
 * Makes `env` the one this domain's received capabilities revive into, until
 * {@link leaveEnv}; marks it and its parts so that they cross domains as capabilities: sent in
 * a value, each arrives as the receiving domain's own (as in Eio, where a function run in
 * another domain uses the env's resources from there). @internal
 */
export function enterEnv(env: Env): void {
  liveEnvs.push(env);
  markCapability(env, "env");
  markCapability(env.scheduler, "scheduler");
  markCapability(env.monoClock, "monoClock");
  markCapability(env.clock, "clock"); // after monoClock: a mock env's one clock crosses as `clock`
}

/** @internal */
export function leaveEnv(env: Env): void {
  const index = liveEnvs.lastIndexOf(env);
  if (index >= 0) liveEnvs.splice(index, 1);
}

/**
 * The env that capabilities received here revive into: that of the run whose fiber decodes the
 * value, else the newest run of this thread (outside any run: the system's parts).
 */
function receivingEnv(): Env {
  const fiber = currentFiberOrNull();
  if (fiber !== null) {
    for (let i = liveEnvs.length - 1; i >= 0; i--) if (liveEnvs[i]!.scheduler === fiber.scheduler) return liveEnvs[i]!;
  }
  return liveEnvs[liveEnvs.length - 1] ?? makeEnv(undefined as unknown as Scheduler);
}

markCapability(theNet, "net");
markCapability(systemClock, "clock");
markCapability(systemMonoClock, "monoClock");
registerCapability("env", () => receivingEnv());
registerCapability("scheduler", () => receivingEnv().scheduler);
registerCapability("net", () => receivingEnv().net);
registerCapability("clock", () => receivingEnv().clock);
registerCapability("monoClock", () => receivingEnv().monoClock);
registerCapability("domainMgr", (limits) =>
  limits === undefined ? receivingEnv().domainMgr : new DomainManager(limits as NonNullable<DomainManager["resourceLimits"]>),
);

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
