/**
 * The standard environment passed to `Eio.run`'s main function: the capabilities a program
 * starts with. Mirrors `Eio.Stdenv`.
 * @module
 */
import type { Scheduler } from "./core/scheduler.js";

/**
 * The capabilities given to the main function of `Eio.run`: pass them on to the code that
 * needs them, as in Eio, rather than reaching for globals.
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
  /** @internal */
  readonly scheduler: Scheduler;
}

/** @internal */
export function makeEnv(scheduler: Scheduler): Env {
  return { cwd: process.cwd(), scheduler };
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
