/**
 * The standard environment passed to `Eio.run`'s main function: the capabilities a program
 * starts with. Mirrors `Eio.Stdenv`.
 * @module
 */
import type { Scheduler } from "./core/scheduler.js";
import { theNet, type Net } from "./io/net.js";

/** The capabilities given to the main function of `Eio.run`. */
export interface Env {
  /** The current working directory, as a path. */
  readonly cwd: string;
  /** The network: listen and connect with `Eio.Net`. */
  readonly net: Net;
  /** @internal */
  readonly scheduler: Scheduler;
}

/** @internal */
export function makeEnv(scheduler: Scheduler): Env {
  return { cwd: process.cwd(), net: theNet, scheduler };
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
