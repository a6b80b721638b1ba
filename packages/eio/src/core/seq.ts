/**
 * A lazy sequence (OCaml's `Seq.t`) in fiber code: each step is an operation. Fiber.forkSeq makes
 * one; BufRead.seq and BufRead.lines read one.
 * @module
 */
import type { Operation } from "./scheduler.js";

/**
 * A sequence whose items are made on request (OCaml's `Seq.t`): call it, with `yield*`, for
 * the next node.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const empty: Eio.Fiber.Seq<number> = function* () { return { done: true }; };
 * await Eio.run(function* () {
 *   console.log((yield* empty()).done);
 * });
 * ```
 */
export type Seq<T> = () => Operation<SeqNode<T>>;

/**
 * A node of a {@link Seq} (OCaml's `Seq.node`): the end (`Nil`), or an item and the rest of the
 * sequence (`Cons`).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const end: Eio.Fiber.SeqNode<string> = { done: true };
 * console.log(end.done);
 * ```
 */
export type SeqNode<T> =
  | {
      /** The sequence has ended. */
      readonly done: true;
    }
  | {
      /** There is an item. */
      readonly done: false;
      /** The item. */
      readonly value: T;
      /** The rest of the sequence. */
      readonly next: Seq<T>;
    };
