/**
 * Buffered reading and parsing, as in Eio's `Eio.Buf_read`: wrap a flow, then take lines,
 * fixed-size pieces, characters. The buffer grows as needed up to `maxSize`, and a peer that
 * sends a longer line than that gets a clean `BufferLimitExceeded`, not an out-of-memory.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { EndOfFile, type Source } from "./flow.js";
import { stringSource } from "./memory-flow.js";

/**
 * The reader would need more than `maxSize` bytes of buffer. Mirrors Eio's
 * `Buf_read.Buffer_limit_exceeded`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.BufRead.BufferLimitExceeded(16).message);
 * ```
 */
export class BufferLimitExceeded extends Error {
  /** The class name, as for built-in errors. */
  override readonly name = "BufferLimitExceeded";
  constructor(
    /** The limit that was exceeded. */
    readonly maxSize: number,
  ) {
    super(`Buffer limit exceeded: more than ${maxSize} bytes would have to be buffered (maxSize = ${maxSize}).`);
  }
}

/**
 * The input did not match what the parser expected (a `char` or `string` that was not there).
 * Mirrors OCaml's `Failure` raised by Eio's parsers.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.BufRead.ParseError("Expected 'x'").name);
 * ```
 */
export class ParseError extends Error {
  /** The class name, as for built-in errors. */
  override readonly name = "ParseError";
}

/**
 * A buffered reader (Eio's `Buf_read.t`). Opaque: use the functions of this module. A reader is
 * also a source flow, so `Flow.copy(reader, sink)` passes on what it has buffered first.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const reader: Eio.BufRead.Reader = Eio.BufRead.ofString("a\nb\n");
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.line(reader));
 * });
 * ```
 */
export class Reader implements Source {
  /** Holds the unread bytes at [pos, end). @internal */
  buf: Buffer;
  /** @internal */
  pos = 0;
  /** @internal */
  end = 0;
  /** @internal */
  eof = false;
  /** @internal */
  consumed = 0;

  /** @internal */
  constructor(
    private readonly source: Source,
    /** @internal */
    readonly maxSize: number,
    initialSize: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(initialSize, maxSize));
  }

  /** @internal */
  get available(): number {
    return this.end - this.pos;
  }

  /** Reads more from the source (at least one byte); false at end of input. @internal */
  *fill(): Operation<boolean> {
    if (this.eof) return false;
    if (this.end === this.buf.length) {
      const size = this.available;
      if (size >= this.maxSize) throw new BufferLimitExceeded(this.maxSize);
      if (size * 2 > this.buf.length || this.pos === 0) {
        const bigger = Buffer.allocUnsafe(Math.min(this.maxSize, Math.max(this.buf.length * 2, 64)));
        this.buf.copy(bigger, 0, this.pos, this.end);
        this.buf = bigger;
      } else {
        this.buf.copy(this.buf, 0, this.pos, this.end);
      }
      this.pos = 0;
      this.end = size;
    }
    try {
      this.end += yield* this.source.readInto(this.buf.subarray(this.end));
      return true;
    } catch (error) {
      if (error instanceof EndOfFile) {
        this.eof = true;
        return false;
      }
      throw error;
    }
  }

  /** Makes at least `n` bytes available; throws `EndOfFile` if the input ends first. @internal */
  *ensure(n: number): Operation<void> {
    if (n > this.maxSize) throw new BufferLimitExceeded(this.maxSize);
    while (this.available < n) {
      if (!(yield* this.fill())) throw new EndOfFile();
    }
  }

  /** @internal */
  consume(n: number): void {
    this.pos += n;
    this.consumed += n;
    if (this.pos === this.end) {
      this.pos = 0;
      this.end = 0;
    }
  }

  /** So a reader is itself a source: buffered bytes first, then the underlying flow. */
  *readInto(buffer: Uint8Array): Operation<number> {
    if (this.available === 0) {
      if (this.eof) throw new EndOfFile();
      return yield* this.source.readInto(buffer);
    }
    const n = Math.min(buffer.length, this.available);
    buffer.set(this.buf.subarray(this.pos, this.pos + n));
    this.consume(n);
    return n;
  }
}

/**
 * Options for {@link of}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.BufRead.OfOptions = { maxSize: 64 * 1024, initialSize: 1024 };
 * console.log(options.maxSize);
 * ```
 */
export interface OfOptions {
  /** The most bytes the reader may buffer at once (the longest line, say). Required. */
  maxSize: number;
  /** The buffer's starting size (default 4096, or `maxSize` if smaller). */
  initialSize?: number;
}

/**
 * Wraps `flow` in a buffered reader that buffers at most `maxSize` bytes. Mirrors
 * `Eio.Buf_read.of_flow`.
 *
 * Suspends: never (reading happens in the parsers).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.of(Eio.Flow.stringSource("GET / HTTP/1.1\r\n"), { maxSize: 1024 });
 *   console.log(yield* Eio.BufRead.line(r));
 * });
 * ```
 */
export function of(flow: Source, options: OfOptions): Reader {
  if (typeof flow !== "object" || flow === null || typeof (flow as Source).readInto !== "function") {
    throw new TypeError(`BufRead.of: expected a source flow (a socket, Flow.stringSource, ...), got ${String(flow)}`);
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError("BufRead.of: options { maxSize } are required: maxSize bounds how much one reader may buffer");
  }
  const { maxSize, initialSize = 4096 } = options;
  if (typeof maxSize !== "number" || !Number.isInteger(maxSize) || maxSize <= 0) {
    throw new RangeError(`BufRead.of: options.maxSize must be a positive integer, got ${String(maxSize)}`);
  }
  if (!Number.isInteger(initialSize) || initialSize <= 0) {
    throw new RangeError(`BufRead.of: options.initialSize must be a positive integer, got ${String(initialSize)}`);
  }
  return new Reader(flow, maxSize, initialSize);
}

/**
 * A reader over the bytes of a string (no size limit beyond the string). Mirrors
 * `Eio.Buf_read.of_string`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("42 rest");
 *   console.log(yield* Eio.BufRead.takeWhile(r, (c) => c >= "0" && c <= "9"));
 * });
 * ```
 */
export function ofString(text: string): Reader {
  if (typeof text !== "string") throw new TypeError(`BufRead.ofString: expected a string, got ${typeof text}`);
  return new Reader(stringSource(text), Buffer.byteLength(text) + 1, 4096);
}

export { line, take, takeBytes, takeAll, takeWhile, skipWhile, skip, char, anyChar, peekChar, string, atEnd, endOfInput, peek, ensure, consume, bufferedBytes, consumedBytes } from "./buf-read-parsers.js";
