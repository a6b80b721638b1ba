/**
 * The outcome of something that may fail, as a value (OCaml's `('a, exn) result`).
 * @module
 */

/**
 * `{ ok: true, value }` or `{ ok: false, error }`: what `Fiber.forkPromise` and
 * `ExecutorPool.submit` give back instead of throwing.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const results: Eio.Result<number>[] = [{ ok: true, value: 1 }, { ok: false, error: new Error("no") }];
 * for (const r of results) console.log(r.ok ? r.value : (r.error as Error).message);
 * ```
 */
export type Result<T, E = unknown> =
  | {
      /** It succeeded. */
      readonly ok: true;
      /** What it produced. */
      readonly value: T;
    }
  | {
      /** It failed. */
      readonly ok: false;
      /** What it threw. */
      readonly error: E;
    };

/** Makes a success. @internal */
export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

/** Makes a failure. @internal */
export function error<E>(error: E): Result<never, E> {
  return { ok: false, error };
}
