/**
 * The parsers of `Eio.BufRead`: each takes a reader and consumes what it matched.
 * Strings are decoded as UTF-8; use `takeBytes` for binary data.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { EndOfFile } from "./flow.js";
import { ParseError, Reader } from "./buf-read.js";

const NEWLINE = 10;
const RETURN = 13;

function checkReader(r: unknown, what: string): Reader {
  if (!(r instanceof Reader)) throw new TypeError(`${what}: expected a reader from BufRead.of, got ${String(r)}`);
  return r;
}

function checkCount(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`${what}: expected a byte count (integer >= 0), got ${String(n)}`);
  }
  return n;
}

/**
 * Reads one line, without its `\n` or `\r\n`. The last line may end at end of input instead;
 * at end of input throws `EndOfFile`. A line longer than `maxSize` throws
 * `BufferLimitExceeded`. Mirrors `Eio.Buf_read.line`.
 *
 * Suspends: while the line is incomplete — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("first\r\nsecond");
 *   console.log(yield* Eio.BufRead.line(r), yield* Eio.BufRead.line(r));
 * });
 * ```
 */
export function* line(reader: Reader): Operation<string> {
  const r = checkReader(reader, "BufRead.line");
  let scanned = 0;
  for (;;) {
    const at = r.buf.indexOf(NEWLINE, r.pos + scanned);
    if (at >= 0 && at < r.end) {
      let stop = at;
      if (stop > r.pos && r.buf[stop - 1] === RETURN) stop--;
      const text = r.buf.toString("utf8", r.pos, stop);
      r.consume(at + 1 - r.pos);
      return text;
    }
    scanned = r.available;
    if (!(yield* r.fill())) {
      if (r.available === 0) throw new EndOfFile();
      const text = r.buf.toString("utf8", r.pos, r.end);
      r.consume(r.available);
      return text;
    }
  }
}

/**
 * Reads exactly `n` bytes, decoded as UTF-8. Throws `EndOfFile` if the input ends first.
 * Mirrors `Eio.Buf_read.take`.
 *
 * Suspends: until `n` bytes arrived — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.take(Eio.BufRead.ofString("abcdef"), 3));
 * });
 * ```
 */
export function* take(reader: Reader, n: number): Operation<string> {
  const r = checkReader(reader, "BufRead.take");
  checkCount(n, "BufRead.take");
  yield* r.ensure(n);
  const text = r.buf.toString("utf8", r.pos, r.pos + n);
  r.consume(n);
  return text;
}

/**
 * Reads exactly `n` bytes as a fresh byte array. Mirrors `Eio.Buf_read.take` for binary data.
 *
 * Suspends: until `n` bytes arrived — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.takeBytes(Eio.BufRead.ofString("AB"), 2));
 * });
 * ```
 */
export function* takeBytes(reader: Reader, n: number): Operation<Uint8Array> {
  const r = checkReader(reader, "BufRead.takeBytes");
  checkCount(n, "BufRead.takeBytes");
  yield* r.ensure(n);
  const bytes = new Uint8Array(n);
  bytes.set(r.buf.subarray(r.pos, r.pos + n));
  r.consume(n);
  return bytes;
}

/**
 * Reads everything up to end of input. Throws `BufferLimitExceeded` if that is more than
 * `maxSize`. Mirrors `Eio.Buf_read.take_all`.
 *
 * Suspends: until the input ends — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.takeAll(Eio.BufRead.ofString("all of it")));
 * });
 * ```
 */
export function* takeAll(reader: Reader): Operation<string> {
  const r = checkReader(reader, "BufRead.takeAll");
  while (yield* r.fill());
  const text = r.buf.toString("utf8", r.pos, r.end);
  r.consume(r.available);
  return text;
}

function* peekByte(r: Reader): Operation<number | undefined> {
  if (r.available === 0 && !(yield* r.fill())) return undefined;
  return r.buf[r.pos];
}

/**
 * Reads bytes while `predicate` holds for each character (one byte, as a latin-1 character),
 * and returns them. Mirrors `Eio.Buf_read.take_while`.
 *
 * Suspends: while more input is needed — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("abc123");
 *   console.log(yield* Eio.BufRead.takeWhile(r, (c) => c >= "a" && c <= "z"));
 * });
 * ```
 */
export function* takeWhile(reader: Reader, predicate: (char: string) => boolean): Operation<string> {
  const r = checkReader(reader, "BufRead.takeWhile");
  if (typeof predicate !== "function") throw new TypeError(`BufRead.takeWhile: expected a predicate function, got ${typeof predicate}`);
  let i = 0;
  for (;;) {
    while (r.pos + i < r.end && predicate(String.fromCharCode(r.buf[r.pos + i]!))) i++;
    if (r.pos + i < r.end || !(yield* r.fill())) break;
  }
  const text = r.buf.toString("utf8", r.pos, r.pos + i);
  r.consume(i);
  return text;
}

/**
 * Skips bytes while `predicate` holds. Mirrors `Eio.Buf_read.skip_while`.
 *
 * Suspends: while more input is needed — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("   x");
 *   yield* Eio.BufRead.skipWhile(r, (c) => c === " ");
 *   console.log(yield* Eio.BufRead.anyChar(r));
 * });
 * ```
 */
export function* skipWhile(reader: Reader, predicate: (char: string) => boolean): Operation<void> {
  yield* takeWhile(checkReader(reader, "BufRead.skipWhile"), predicate);
}

/**
 * Skips exactly `n` bytes; throws `EndOfFile` if the input ends first. Mirrors
 * `Eio.Buf_read.skip`.
 *
 * Suspends: until `n` bytes arrived — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("xxdata");
 *   yield* Eio.BufRead.skip(r, 2);
 *   console.log(yield* Eio.BufRead.takeAll(r));
 * });
 * ```
 */
export function* skip(reader: Reader, n: number): Operation<void> {
  const r = checkReader(reader, "BufRead.skip");
  checkCount(n, "BufRead.skip");
  let left = n;
  while (left > 0) {
    if (r.available === 0 && !(yield* r.fill())) throw new EndOfFile();
    const step = Math.min(left, r.available);
    r.consume(step);
    left -= step;
  }
}

/**
 * Consumes the character `expected`, or throws `ParseError` naming what was there instead.
 * Mirrors `Eio.Buf_read.char`.
 *
 * Suspends: if no byte is buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("+OK");
 *   yield* Eio.BufRead.char(r, "+");
 *   console.log(yield* Eio.BufRead.takeAll(r));
 * });
 * ```
 */
export function* char(reader: Reader, expected: string): Operation<void> {
  const r = checkReader(reader, "BufRead.char");
  if (typeof expected !== "string" || expected.length !== 1 || expected.charCodeAt(0) > 255) {
    throw new TypeError(`BufRead.char: expected a one-byte character, got ${JSON.stringify(expected)}`);
  }
  const byte = yield* peekByte(r);
  if (byte === undefined) throw new ParseError(`Expected ${JSON.stringify(expected)} but got end of input`);
  if (byte !== expected.charCodeAt(0)) {
    throw new ParseError(`Expected ${JSON.stringify(expected)} but got ${JSON.stringify(String.fromCharCode(byte))}`);
  }
  r.consume(1);
}

/**
 * Reads one byte as a character; throws `EndOfFile` at end of input. Mirrors
 * `Eio.Buf_read.any_char`.
 *
 * Suspends: if no byte is buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.anyChar(Eio.BufRead.ofString("z")));
 * });
 * ```
 */
export function* anyChar(reader: Reader): Operation<string> {
  const r = checkReader(reader, "BufRead.anyChar");
  const byte = yield* peekByte(r);
  if (byte === undefined) throw new EndOfFile();
  r.consume(1);
  return String.fromCharCode(byte);
}

/**
 * The next character without consuming it, or `undefined` at end of input. Mirrors
 * `Eio.Buf_read.peek_char`.
 *
 * Suspends: if no byte is buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("q");
 *   console.log(yield* Eio.BufRead.peekChar(r), yield* Eio.BufRead.anyChar(r), yield* Eio.BufRead.peekChar(r));
 * });
 * ```
 */
export function* peekChar(reader: Reader): Operation<string | undefined> {
  const byte = yield* peekByte(checkReader(reader, "BufRead.peekChar"));
  return byte === undefined ? undefined : String.fromCharCode(byte);
}

/**
 * Consumes exactly the text `expected`, or throws `ParseError`. Mirrors `Eio.Buf_read.string`.
 *
 * Suspends: until enough bytes arrived — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("HTTP/1.1 200");
 *   yield* Eio.BufRead.string(r, "HTTP/");
 *   console.log(yield* Eio.BufRead.takeAll(r));
 * });
 * ```
 */
export function* string(reader: Reader, expected: string): Operation<void> {
  const r = checkReader(reader, "BufRead.string");
  if (typeof expected !== "string") throw new TypeError(`BufRead.string: expected a string, got ${typeof expected}`);
  const want = Buffer.from(expected);
  for (let i = 0; i < want.length; i++) {
    while (r.available <= i) {
      if (!(yield* r.fill())) throw new ParseError(`Expected ${JSON.stringify(expected)} but got end of input`);
    }
    if (r.buf[r.pos + i] !== want[i]) {
      const got = r.buf.toString("utf8", r.pos, r.pos + i + 1);
      throw new ParseError(`Expected ${JSON.stringify(expected)} but got ${JSON.stringify(got)}`);
    }
  }
  r.consume(want.length);
}

/**
 * True if there is no more input (waits to find out). Mirrors `Eio.Buf_read.at_end_of_input`.
 *
 * Suspends: if nothing is buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("a");
 *   console.log(yield* Eio.BufRead.atEnd(r));
 *   yield* Eio.BufRead.anyChar(r);
 *   console.log(yield* Eio.BufRead.atEnd(r));
 * });
 * ```
 */
export function* atEnd(reader: Reader): Operation<boolean> {
  const r = checkReader(reader, "BufRead.atEnd");
  return (yield* peekByte(r)) === undefined;
}

/**
 * Throws `ParseError` unless the input has ended. Mirrors `Eio.Buf_read.end_of_input`.
 *
 * Suspends: if nothing is buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.BufRead.endOfInput(Eio.BufRead.ofString(""));
 *   console.log("at end");
 * });
 * ```
 */
export function* endOfInput(reader: Reader): Operation<void> {
  if (!(yield* atEnd(checkReader(reader, "BufRead.endOfInput")))) throw new ParseError("Expected end of input but more data follows");
}

/**
 * The bytes buffered now, without consuming or reading (a view: copy it to keep it).
 * Mirrors `Eio.Buf_read.peek`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("abc");
 *   yield* Eio.BufRead.ensure(r, 2);
 *   console.log(Eio.BufRead.peek(r).length >= 2);
 * });
 * ```
 */
export function peek(reader: Reader): Uint8Array {
  const r = checkReader(reader, "BufRead.peek");
  return r.buf.subarray(r.pos, r.end);
}

/**
 * Waits until at least `n` bytes are buffered; throws `EndOfFile` if the input ends first, or
 * `BufferLimitExceeded` if `n` is more than `maxSize`. Mirrors `Eio.Buf_read.ensure`.
 *
 * Suspends: until `n` bytes are buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("abcd");
 *   yield* Eio.BufRead.ensure(r, 4);
 *   console.log(Eio.BufRead.bufferedBytes(r));
 * });
 * ```
 */
export function ensure(reader: Reader, n: number): Operation<void> {
  const r = checkReader(reader, "BufRead.ensure");
  checkCount(n, "BufRead.ensure");
  return r.ensure(n);
}

/**
 * Discards `n` buffered bytes (after {@link peek}). Mirrors `Eio.Buf_read.consume`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("abcd");
 *   yield* Eio.BufRead.ensure(r, 4);
 *   Eio.BufRead.consume(r, 3);
 *   console.log(yield* Eio.BufRead.takeAll(r));
 * });
 * ```
 */
export function consume(reader: Reader, n: number): void {
  const r = checkReader(reader, "BufRead.consume");
  checkCount(n, "BufRead.consume");
  if (n > r.available) throw new RangeError(`BufRead.consume: only ${r.available} bytes are buffered, cannot consume ${n}`);
  r.consume(n);
}

/**
 * How many bytes are buffered and not yet consumed. Mirrors `Eio.Buf_read.buffered_bytes`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.bufferedBytes(Eio.BufRead.ofString("abc")));
 * ```
 */
export function bufferedBytes(reader: Reader): number {
  return checkReader(reader, "BufRead.bufferedBytes").available;
}

/**
 * How many bytes have been consumed since the reader was made. Mirrors
 * `Eio.Buf_read.consumed_bytes`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("one\ntwo\n");
 *   yield* Eio.BufRead.line(r);
 *   console.log(Eio.BufRead.consumedBytes(r));
 * });
 * ```
 */
export function consumedBytes(reader: Reader): number {
  return checkReader(reader, "BufRead.consumedBytes").consumed;
}
