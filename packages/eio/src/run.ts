/**
 * `Eio.run`: start the runtime on this thread (Eio's `Eio_main.run`).
 * @module
 */
import { runWith, type RunOptions } from "./run-with.js";
import type { Env } from "./stdenv.js";

export type { RunOptions } from "./run-with.js";

/**
 * Starts the runtime on this thread, runs `main(env)` as the root fiber, and resolves with its
 * result (or rejects with its error). `env` holds the capabilities: `env.clock`, `env.net`,
 * `env.domainMgr`, `env.cwd`. If every fiber ends up waiting with nothing able to wake one,
 * the fibers are cancelled and the run rejects with a `DeadlockError`. Mirrors `Eio_main.run`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const answer = await Eio.run(function* () {
 *   yield* Eio.Fiber.yield();
 *   return 42;
 * });
 * console.log(answer);
 * ```
 */
export function run<T>(main: (env: Env) => unknown, options: RunOptions = {}): globalThis.Promise<T> {
  return runWith<T>(main, options, null);
}
