/**
 * Buffered reading and parsing, as in Eio's `Eio.Buf_read`: wrap a flow, then take lines,
 * fixed-size pieces, characters, binary numbers. The buffer grows as needed up to `maxSize`, and
 * a peer that sends a longer line than that gets a clean `BufferLimitExceeded`, not an
 * out-of-memory.
 *
 * A parser is a function of the reader, `(reader) => Operation<T>` ({@link Parser}), as Eio's
 * `'a parser = t -> 'a`: `line`, `anyChar`, `BE.uint16` are parsers; a parser that needs an
 * argument (`take`, `char`, `takeWhile`, ...) runs at once when given the reader first
 * (`take(reader, 3)`) and is made by giving only the argument (`take(3)`, Eio's `take 3`), for
 * the combinators and `parse`. Bytes are bytes: predicates see numbers 0-255; text results are
 * decoded as UTF-8; `anyChar`/`peekChar` give one byte as a one-character string.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { EndOfFile, type Source } from "./flow.js";
import { toBytes } from "./buf-read-parsers.js";

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
 * also a source flow (Eio's `as_flow`), so `Flow.copy(reader, sink)` passes on what it has
 * buffered first.
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
  /** Holds the unread bytes at [pos, pos + len). @internal */
  buf: Buffer;
  /** @internal */
  pos = 0;
  /** @internal */
  len = 0;
  /** Total bytes consumed so far. @internal */
  consumed = 0;

  /** @internal */
  constructor(
    /** Null once the source has ended (Eio's `flow = None`). @internal */
    public source: Source | null,
    /** @internal */
    readonly maxSize: number,
    buffer: Buffer,
    filled: number,
  ) {
    this.buf = buffer;
    this.len = filled;
  }

  /**
   * Makes at least `n` bytes available, as Eio's `ensure_slow_path` does: grow the buffer (at
   * least doubling, up to `maxSize`) or compact it, then read until there are `n`. Callers check
   * `len < n` first, so the common case costs no generator. @internal
   */
  *ensureSlow(n: number): Operation<void> {
    if (n > this.maxSize) throw new BufferLimitExceeded(this.maxSize);
    const source = this.source;
    if (source === null) throw new EndOfFile();
    if (this.len === 0) this.pos = 0;
    const capacity = this.buf.length;
    if (n > capacity) {
      const bigger = Buffer.allocUnsafe(Math.max(n, Math.min(this.maxSize, capacity * 2)));
      bigger.set(this.buf.subarray(this.pos, this.pos + this.len));
      this.buf = bigger;
      this.pos = 0;
    } else if (this.pos + n > capacity) {
      this.buf.copyWithin(0, this.pos, this.pos + this.len);
      this.pos = 0;
    }
    try {
      while (this.len < n) this.len += yield* source.readInto(this.buf.subarray(this.pos + this.len));
    } catch (error) {
      if (error instanceof EndOfFile) this.source = null;
      throw error;
    }
  }

  /** @internal */
  consume(n: number): void {
    this.pos += n;
    this.len -= n;
    this.consumed += n;
  }

  /** So a reader is itself a source (Eio's `as_flow`): it reads through its buffer. */
  *readInto(buffer: Uint8Array): Operation<number> {
    if (this.len < 1) yield* this.ensureSlow(1);
    const n = Math.min(buffer.length, this.len);
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
  const { maxSize, initialSize = Math.min(4096, maxSize) } = options;
  if (typeof maxSize !== "number" || !Number.isInteger(maxSize) || maxSize <= 0) {
    throw new RangeError(`BufRead.of: options.maxSize must be a positive integer, got ${String(maxSize)}`);
  }
  if (!Number.isInteger(initialSize) || initialSize <= 0) {
    throw new RangeError(`BufRead.of: options.initialSize must be a positive integer, got ${String(initialSize)}`);
  }
  return new Reader(flow, maxSize, Buffer.allocUnsafe(initialSize), 0);
}

/**
 * A reader over `input`: a string is read as its UTF-8 bytes (as `Flow.stringSource` and
 * `BufWrite.string` do), a `Uint8Array` as its own bytes, used without copying. There is no
 * size limit beyond the input. Mirrors `Eio.Buf_read.of_string` (and `of_buffer`).
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("42 rest");
 *   console.log(yield* Eio.BufRead.takeWhile(r, (b) => b >= 0x30 && b <= 0x39));
 * });
 * ```
 */
export function ofString(input: string | Uint8Array): Reader {
  const bytes = toBytes(input, "BufRead.ofString");
  return new Reader(null, Number.MAX_SAFE_INTEGER, bytes, bytes.length);
}

export type { Parser } from "./buf-read-parsers.js";
export { line, take, takeBytes, takeAll, takeWhile, takeWhile1, skipWhile, skipWhile1, skip, char, anyChar, peekChar, string, atEndOfInput, endOfInput, eofSeen, peek, ensure, consume, bufferedBytes, consumedBytes } from "./buf-read-parsers.js";
export { uint8, BE, LE } from "./buf-read-binary.js";
export { return, map, pair, bind, Syntax, seq, lines, formatErrors, parse, parseExn, parseString, parseStringExn, type ParseOptions } from "./buf-read-combinators.js";
export type { Seq, SeqNode } from "../core/seq.js";
