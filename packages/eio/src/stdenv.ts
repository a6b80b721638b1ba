/**
 * The standard environment passed to `Eio.run`'s main function: the capabilities a program
 * starts with. Mirrors `Eio.Stdenv`.
 * @module
 */
import type { Scheduler } from "./core/scheduler.js";
import { DomainManager } from "./domains/domain-manager.js";

/** The capabilities given to the main function of `Eio.run`. */
export interface Env {
  /** The current working directory, as a path. */
  readonly cwd: string;
  /** Runs code in other domains (worker threads): see `Eio.DomainManager`. */
  readonly domainMgr: DomainManager;
  /** @internal */
  readonly scheduler: Scheduler;
}

const defaultDomainManager = new DomainManager(undefined);

/** @internal */
export function makeEnv(scheduler: Scheduler): Env {
  return { cwd: process.cwd(), domainMgr: defaultDomainManager, scheduler };
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
