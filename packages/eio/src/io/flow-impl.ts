/**
 * The operations behind the public flow types: what a socket, a string source or a buffered
 * reader implements, and what `Flow`'s functions call; and `ShutdownCommand`, which `Flow`
 * re-exports.
 * @internal
 * @module
 */
import type { Operation } from "../core/scheduler.js";

/** The operations behind a source (a socket, a string, a buffered reader). */
export interface SourceImpl {
  /** Reads at least one byte into `buffer`, returns the count; throws `EndOfFile` at the end. */
  readInto(buffer: Uint8Array): Operation<number>;
  /**
   * Optional: gives away the next bytes the source holds, without copying them (Eio's
   * `Read_source_buffer`); the caller owns the result. Null at the end of input: a copy ends
   * there without making an `EndOfFile`. `Flow.copy` prefers it.
   */
  readChunk?(): Operation<Uint8Array | null>;
}

/** The operations behind a sink. */
export interface SinkImpl {
  /** Writes all of `data`; returns once the bytes no longer alias `data`. */
  writeAll(data: Uint8Array): Operation<void>;
  /**
   * Optional: copies everything from `source` itself, returning the byte count (Eio's sink
   * `copy ~src` method, which a mock uses to show how it reads). `Flow.copy` prefers it.
   */
  copyFrom?(source: SourceImpl): Operation<number>;
}

/** The extra operations of a two-way flow. */
export interface TwoWayImpl extends SourceImpl, SinkImpl {
  shutdownDirection(direction: ShutdownCommand): void;
}

/** The operations of anything that can be closed. */
export interface CloseImpl {
  closeNow(): void;
}

/**
 * Which direction(s) `Flow.shutdown` closes.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const command: Eio.Flow.ShutdownCommand = "send";
 * console.log(command);
 * ```
 */
export type ShutdownCommand = "send" | "receive" | "all";
