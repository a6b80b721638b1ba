/**
 * Streams, as in Eio's `Eio.Stream`: a bounded FIFO queue between fibers. Taking from an empty
 * stream waits for an item; adding to a full one waits for room. Capacity 0 makes a rendezvous:
 * `add` waits until a taker has the item. Waiting takers and adders are served first come,
 * first served.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { createShared, LocalStream, type StreamImpl } from "./local-stream.js";

declare const streamBrand: unique symbol;

/**
 * A stream of items of type `T` (Eio's `'a Stream.t`). Opaque: use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const jobs: Eio.Stream.Stream<string> = Eio.Stream.create(10);
 * console.log(Eio.Stream.isEmpty(jobs));
 * ```
 */
export interface Stream<T> {
  /** @internal */
  readonly [streamBrand]: T;
}

/**
 * Options for {@link create}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Stream.CreateOptions = { label: "jobs" };
 * console.log(Eio.Stream.length(Eio.Stream.create<number>(1, options)));
 * ```
 */
export interface CreateOptions {
  /** Make a stream that fibers of other domains can use too (see the domains chapter). */
  shared?: boolean;
  /** A label for traces. */
  label?: string;
}

function impl<T>(s: Stream<T>, what: string): StreamImpl<T> {
  if (typeof s !== "object" || s === null || typeof (s as unknown as StreamImpl<T>).takeOp !== "function") {
    throw new TypeError(`${what}: expected a stream (from Eio.Stream.create), got ${String(s)}`);
  }
  return s as unknown as StreamImpl<T>;
}

/**
 * Creates a stream that holds up to `capacity` items without blocking adders. Capacity 0 is a
 * rendezvous (each `add` waits for a `take`); 1 is a mailbox; `Infinity` is unbounded.
 * Mirrors `Eio.Stream.create`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const s = Eio.Stream.create<number>(100);
 *   yield* Eio.Stream.add(s, 1);
 *   yield* Eio.Stream.add(s, 2);
 *   console.log(yield* Eio.Stream.take(s), yield* Eio.Stream.take(s));
 * });
 * ```
 */
export function create<T>(capacity: number, options: CreateOptions = {}): Stream<T> {
  if (typeof capacity !== "number" || !(capacity >= 0) || !(Number.isSafeInteger(capacity) || capacity === Infinity)) {
    throw new RangeError(
      `Stream.create: capacity must be a whole number >= 0 (or Infinity for unbounded), got ${String(capacity)}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Stream.create: options must be an object, got ${String(options)}`);
  }
  let cell: StreamImpl<T>;
  if (options.shared === true) {
    if (createShared === null) throw new Error("Stream.create: shared streams need the domains runtime, which is not loaded.");
    cell = createShared<T>(capacity, options.label);
  } else {
    cell = new LocalStream<T>(capacity, options.label);
  }
  return cell as unknown as Stream<T>;
}

/**
 * Adds `item` at the tail of `s`. If a taker is waiting, it gets the item directly (it is queued
 * to run; the caller carries on). If the stream is full, waits for room; with capacity 0, waits
 * until a taker has taken the item. Mirrors `Eio.Stream.add`.
 *
 * Suspends: if the stream is full — use `yield*`. Cancelling a blocked `add` throws `Cancelled`
 * and the item is not added. When there is room it returns at once, even if cancelled.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const s = Eio.Stream.create<string>(0);
 *   yield* Eio.Fiber.both(
 *     function* () { yield* Eio.Stream.add(s, "ping"); console.log("handed over"); },
 *     function* () { console.log("got", yield* Eio.Stream.take(s)); },
 *   );
 * });
 * ```
 */
export function add<T>(s: Stream<T>, item: T): Operation<void> {
  if (s instanceof LocalStream) return (s as LocalStream<T>).addOp(item);
  return impl(s, "Stream.add").addOp(item);
}

/**
 * Removes and returns the item at the head of `s`, waiting for one if it is empty.
 * Mirrors `Eio.Stream.take`.
 *
 * Suspends: if the stream is empty — use `yield*`. Cancelling a blocked `take` throws
 * `Cancelled` and no item is lost. With an item ready it returns at once, even if cancelled.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const s = Eio.Stream.create<number>(1);
 *   yield* Eio.Stream.add(s, 42);
 *   console.log(yield* Eio.Stream.take(s));
 * });
 * ```
 */
export function take<T>(s: Stream<T>): Operation<T> {
  if (s instanceof LocalStream) return (s as LocalStream<T>).takeOp();
  return impl(s, "Stream.take").takeOp();
}

/**
 * Like {@link take}, but returns `undefined` at once if no item is ready (Eio returns an
 * option). With capacity 0, takes from an adder that is already waiting.
 * Mirrors `Eio.Stream.take_nonblocking`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const s = Eio.Stream.create<number>(1);
 *   console.log(Eio.Stream.takeNonblocking(s));
 *   yield* Eio.Stream.add(s, 7);
 *   console.log(Eio.Stream.takeNonblocking(s));
 * });
 * ```
 */
export function takeNonblocking<T>(s: Stream<T>): T | undefined {
  return impl(s, "Stream.takeNonblocking").takeNonblocking();
}

/**
 * The number of items in `s` now (always 0 for capacity 0: items wait in their adders).
 * Mirrors `Eio.Stream.length`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const s = Eio.Stream.create<number>(5);
 *   yield* Eio.Stream.add(s, 1);
 *   console.log(Eio.Stream.length(s));
 * });
 * ```
 */
export function length<T>(s: Stream<T>): number {
  return impl(s, "Stream.length").length();
}

/**
 * True if `s` holds no items (`length(s) === 0`). Mirrors `Eio.Stream.is_empty`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.Stream.isEmpty(Eio.Stream.create<number>(3)));
 * ```
 */
export function isEmpty<T>(s: Stream<T>): boolean {
  return impl(s, "Stream.isEmpty").length() === 0;
}

export type { StreamImpl };
