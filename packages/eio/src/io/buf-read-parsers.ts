/**
 * The parsers of `Eio.BufRead`: each takes a reader and consumes what it matched, following
 * Eio's `buf_read.ml` step for step (the same reads of the underlying flow, the same errors).
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { EndOfFile } from "./flow.js";
import { ParseError, Reader } from "./buf-read.js";

/**
 * A parser (Eio's `'a parser`): a function of the reader that consumes input and returns a
 * value. It throws `ParseError` if the input does not match, `EndOfFile` if the input ends too
 * soon, and `BufferLimitExceeded` if the item would not fit in the buffer.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const twoLines: Eio.BufRead.Parser<[string, string]> = Eio.BufRead.pair(Eio.BufRead.line, Eio.BufRead.line);
 * console.log(Eio.BufRead.parseStringExn(twoLines, "a\nb\n"));
 * ```
 */
export type Parser<T> = (reader: Reader) => Operation<T>;

const NEWLINE = 10;
const RETURN = 13;

/** How a JS value becomes the bytes Eio's strings are: a string as UTF-8, bytes as themselves. */
export function toBytes(input: unknown, what: string): Buffer {
  if (typeof input === "string") return Buffer.from(input);
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${what}: expected a string (read as UTF-8) or a Uint8Array, got ${input === null ? "null" : typeof input}`);
}

export function checkReader(r: unknown, what: string): Reader {
  if (!(r instanceof Reader)) throw new TypeError(`${what}: expected a reader from BufRead.of or BufRead.ofString, got ${String(r)}`);
  return r;
}

function checkCount(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`${what}: expected a byte count (integer >= 0), got ${String(n)}`);
  }
  return n;
}

function checkPredicate(p: unknown, what: string): (byte: number) => boolean {
  if (typeof p !== "function") throw new TypeError(`${what}: expected a predicate (byte: number) => boolean, got ${typeof p}`);
  return p as (byte: number) => boolean;
}

function checkByteChar(c: unknown, what: string): number {
  if (typeof c !== "string" || c.length !== 1 || c.charCodeAt(0) > 255) {
    throw new TypeError(`${what}: expected a one-byte character (code 0-255), got ${JSON.stringify(c)}`);
  }
  return c.charCodeAt(0);
}

function checkText(s: unknown, what: string): Buffer {
  if (typeof s !== "string") throw new TypeError(`${what}: expected a string, got ${typeof s}`);
  return Buffer.from(s);
}

/** Runs now when given the reader first, else makes the parser: `take(r, 3)` or `take(3)`. */
function runOrMake<A, T>(
  what: string,
  first: unknown,
  second: unknown,
  check: (arg: unknown, what: string) => A,
  op: (r: Reader, arg: A) => Operation<T>,
): Operation<T> | Parser<T> {
  if (first instanceof Reader) return op(first, check(second, what));
  if (second !== undefined) checkReader(first, what);
  const arg = check(first, what);
  return (r: Reader) => op(checkReader(r, what), arg);
}

/** OCaml's `%C`/`%S` escaping, so messages read as Eio's do. */
function escaped(bytes: Uint8Array, quote: number): string {
  let out = "";
  for (const b of bytes) {
    if (b === 92 || b === quote) out += "\\" + String.fromCharCode(b);
    else if (b === 10) out += "\\n";
    else if (b === 9) out += "\\t";
    else if (b === 13) out += "\\r";
    else if (b === 8) out += "\\b";
    else if (b >= 32 && b <= 126) out += String.fromCharCode(b);
    else out += "\\" + String(b).padStart(3, "0");
  }
  const q = String.fromCharCode(quote);
  return q + out + q;
}

function* ensure1(r: Reader, n: number): Operation<void> {
  if (r.len < n) yield* r.ensureSlow(n);
}

/**
 * Reads one line, without its `\n` or `\r\n`. Data at end of input without a newline is the last
 * line; at end of input throws `EndOfFile`. A line that does not fit in `maxSize` throws
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
  let at: number;
  for (;;) {
    at = scanned < r.len ? r.buf.indexOf(NEWLINE, r.pos + scanned) - r.pos : -1;
    if (at >= 0 && at < r.len) break;
    scanned = r.len;
    try {
      yield* r.ensureSlow(r.len + 1);
    } catch (error) {
      if (error instanceof EndOfFile && r.len > 0) return takeAllNow(r);
      throw error;
    }
  }
  const end = at > 0 && r.buf[r.pos + at - 1] === RETURN ? at - 1 : at;
  const text = r.buf.toString("utf8", r.pos, r.pos + end);
  r.consume(at + 1);
  return text;
}

function takeAllNow(r: Reader): string {
  const text = r.buf.toString("utf8", r.pos, r.pos + r.len);
  r.consume(r.len);
  return text;
}

function* takeOp(r: Reader, n: number): Operation<string> {
  yield* ensure1(r, n);
  const text = r.buf.toString("utf8", r.pos, r.pos + n);
  r.consume(n);
  return text;
}

/**
 * Reads exactly `n` bytes, decoded as UTF-8; throws `EndOfFile` if the input ends first.
 * `take(n)` alone is the parser (Eio's `take n`). Mirrors `Eio.Buf_read.take`.
 *
 * Suspends: until `n` bytes arrived — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.take(Eio.BufRead.ofString("abcdef"), 3));
 * });
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.take(2), "ab"));
 * ```
 */
export function take(reader: Reader, n: number): Operation<string>;
/** `take(n)`: the parser that reads `n` bytes (Eio's `take n`). @example `Eio.BufRead.take(3)` */
export function take(n: number): Parser<string>;
export function take(a: Reader | number, n?: number): Operation<string> | Parser<string> {
  return runOrMake("BufRead.take", a, n, checkCount, takeOp);
}

function* takeBytesOp(r: Reader, n: number): Operation<Uint8Array> {
  yield* ensure1(r, n);
  const bytes = Uint8Array.prototype.slice.call(r.buf, r.pos, r.pos + n);
  r.consume(n);
  return bytes;
}

/**
 * Reads exactly `n` bytes as a fresh byte array (Eio's `take` for binary data).
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
export function takeBytes(reader: Reader, n: number): Operation<Uint8Array>;
/** `takeBytes(n)`: the parser. @example `Eio.BufRead.takeBytes(4)` */
export function takeBytes(n: number): Parser<Uint8Array>;
export function takeBytes(a: Reader | number, n?: number): Operation<Uint8Array> | Parser<Uint8Array> {
  return runOrMake("BufRead.takeBytes", a, n, checkCount, takeBytesOp);
}

/**
 * Reads everything up to end of input ("" if already there). Throws `BufferLimitExceeded` if
 * that is `maxSize` bytes or more (one more byte's room is needed to see the end). Mirrors
 * `Eio.Buf_read.take_all`.
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
  try {
    for (;;) yield* r.ensureSlow(r.len + 1);
  } catch (error) {
    if (!(error instanceof EndOfFile)) throw error;
  }
  return takeAllNow(r);
}

/** How many bytes from the front satisfy `p`, reading more as needed (Eio's `count_while`). */
function* countWhile(r: Reader, p: (byte: number) => boolean): Operation<number> {
  let i = 0;
  for (;;) {
    while (i < r.len) {
      if (!p(r.buf[r.pos + i]!)) return i;
      i++;
    }
    try {
      yield* r.ensureSlow(r.len + 1);
    } catch (error) {
      if (error instanceof EndOfFile) return r.len;
      throw error;
    }
  }
}

function* takeWhileOp(r: Reader, p: (byte: number) => boolean): Operation<string> {
  const n = yield* countWhile(r, p);
  const text = r.buf.toString("utf8", r.pos, r.pos + n);
  r.consume(n);
  return text;
}

/**
 * Reads the bytes for which `predicate` holds, up to the first that fails it or end of input,
 * and returns them decoded as UTF-8 ("" if none). The predicate sees each byte as a number
 * 0-255, so a test such as `(b) => b !== 0x20` keeps every byte of a non-ASCII character.
 * Mirrors `Eio.Buf_read.take_while`.
 *
 * Suspends: while more input is needed — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("héllo wörld");
 *   console.log(yield* Eio.BufRead.takeWhile(r, (b) => b !== 0x20));
 * });
 * ```
 */
export function takeWhile(reader: Reader, predicate: (byte: number) => boolean): Operation<string>;
/** `takeWhile(predicate)`: the parser. @example `Eio.BufRead.takeWhile((b) => b >= 0x30 && b <= 0x39)` */
export function takeWhile(predicate: (byte: number) => boolean): Parser<string>;
export function takeWhile(a: Reader | ((byte: number) => boolean), p?: (byte: number) => boolean): Operation<string> | Parser<string> {
  return runOrMake("BufRead.takeWhile", a, p, checkPredicate, takeWhileOp);
}

function* takeWhile1Op(r: Reader, p: (byte: number) => boolean): Operation<string> {
  const n = yield* countWhile(r, p);
  if (n < 1) throw new ParseError("takeWhile1");
  const text = r.buf.toString("utf8", r.pos, r.pos + n);
  r.consume(n);
  return text;
}

/**
 * Like {@link takeWhile}, but throws `ParseError("takeWhile1")` unless at least one byte
 * matched. Mirrors `Eio.Buf_read.take_while1`.
 *
 * Suspends: while more input is needed — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const digits = Eio.BufRead.takeWhile1((b) => b >= 0x30 && b <= 0x39);
 * console.log(Eio.BufRead.parseString(digits, "42"), Eio.BufRead.parseString(digits, "x"));
 * ```
 */
export function takeWhile1(reader: Reader, predicate: (byte: number) => boolean): Operation<string>;
/** `takeWhile1(predicate)`: the parser. @example `Eio.BufRead.takeWhile1((b) => b === 0x61)` */
export function takeWhile1(predicate: (byte: number) => boolean): Parser<string>;
export function takeWhile1(a: Reader | ((byte: number) => boolean), p?: (byte: number) => boolean): Operation<string> | Parser<string> {
  return runOrMake("BufRead.takeWhile1", a, p, checkPredicate, takeWhile1Op);
}

function* skipWhileOp(r: Reader, p: (byte: number) => boolean): Operation<void> {
  // Consumes as it goes, so unlike takeWhile it is not limited by the buffer size.
  let i = 0;
  try {
    for (;;) {
      if (i < r.len) {
        if (p(r.buf[r.pos + i]!)) i++;
        else return r.consume(i);
      } else {
        r.consume(r.len);
        i = 0;
        yield* ensure1(r, 1);
      }
    }
  } catch (error) {
    if (!(error instanceof EndOfFile)) throw error;
  }
}

/**
 * Skips the bytes for which `predicate` holds (it sees numbers 0-255); not limited by the buffer
 * size. Mirrors `Eio.Buf_read.skip_while`.
 *
 * Suspends: while more input is needed — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("   x");
 *   yield* Eio.BufRead.skipWhile(r, (b) => b === 0x20);
 *   console.log(yield* Eio.BufRead.anyChar(r));
 * });
 * ```
 */
export function skipWhile(reader: Reader, predicate: (byte: number) => boolean): Operation<void>;
/** `skipWhile(predicate)`: the parser. @example `Eio.BufRead.skipWhile((b) => b === 0x20)` */
export function skipWhile(predicate: (byte: number) => boolean): Parser<void>;
export function skipWhile(a: Reader | ((byte: number) => boolean), p?: (byte: number) => boolean): Operation<void> | Parser<void> {
  return runOrMake("BufRead.skipWhile", a, p, checkPredicate, skipWhileOp);
}

function* skipWhile1Op(r: Reader, p: (byte: number) => boolean): Operation<void> {
  const n = yield* countWhile(r, p);
  if (n < 1) throw new ParseError("skipWhile1");
  r.consume(n);
}

/**
 * Like {@link skipWhile}, but throws `ParseError("skipWhile1")` unless at least one byte was
 * skipped. Mirrors `Eio.Buf_read.skip_while1`.
 *
 * Suspends: while more input is needed — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const { "*>": then } = Eio.BufRead.Syntax;
 * const afterSpaces = then(Eio.BufRead.skipWhile1((b) => b === 0x20), Eio.BufRead.takeAll);
 * console.log(Eio.BufRead.parseStringExn(afterSpaces, "  x"));
 * ```
 */
export function skipWhile1(reader: Reader, predicate: (byte: number) => boolean): Operation<void>;
/** `skipWhile1(predicate)`: the parser. @example `Eio.BufRead.skipWhile1((b) => b === 0x20)` */
export function skipWhile1(predicate: (byte: number) => boolean): Parser<void>;
export function skipWhile1(a: Reader | ((byte: number) => boolean), p?: (byte: number) => boolean): Operation<void> | Parser<void> {
  return runOrMake("BufRead.skipWhile1", a, p, checkPredicate, skipWhile1Op);
}

function* skipOp(r: Reader, n: number): Operation<void> {
  let left = n;
  try {
    for (;;) {
      if (left <= r.len) return r.consume(left);
      left -= r.len;
      r.consume(r.len);
      yield* ensure1(r, Math.min(left, r.buf.length));
    }
  } catch (error) {
    // Skipping is not atomic, so at end of input everything is consumed, as in Eio.
    if (error instanceof EndOfFile) r.consume(r.len);
    throw error;
  }
}

/**
 * Discards the next `n` bytes, which may be more than the buffer holds; throws `EndOfFile` (with
 * everything consumed) if the input ends first. Mirrors `Eio.Buf_read.skip`.
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
export function skip(reader: Reader, n: number): Operation<void>;
/** `skip(n)`: the parser. @example `Eio.BufRead.skip(2)` */
export function skip(n: number): Parser<void>;
export function skip(a: Reader | number, n?: number): Operation<void> | Parser<void> {
  return runOrMake("BufRead.skip", a, n, checkCount, skipOp);
}

function* charOp(r: Reader, expected: number): Operation<void> {
  yield* ensure1(r, 1);
  const got = r.buf[r.pos]!;
  if (got !== expected) throw new ParseError(`Expected ${escaped(Uint8Array.of(expected), 39)} but got ${escaped(r.buf.subarray(r.pos, r.pos + 1), 39)}`);
  r.consume(1);
}

/**
 * Consumes the byte `expected` (a one-character string, code 0-255), or throws `ParseError`
 * naming what was there; `EndOfFile` at end of input. Mirrors `Eio.Buf_read.char`.
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
export function char(reader: Reader, expected: string): Operation<void>;
/** `char(c)`: the parser. @example `Eio.BufRead.char("+")` */
export function char(expected: string): Parser<void>;
export function char(a: Reader | string, c?: string): Operation<void> | Parser<void> {
  return runOrMake("BufRead.char", a, c, checkByteChar, charOp);
}

/**
 * Reads one byte, as a one-character string (code 0-255); throws `EndOfFile` at end of input.
 * Mirrors `Eio.Buf_read.any_char`.
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
  yield* ensure1(r, 1);
  const byte = r.buf[r.pos]!;
  r.consume(1);
  return String.fromCharCode(byte);
}

/**
 * The next byte as a one-character string, without consuming it, or `undefined` at end of
 * input. Mirrors `Eio.Buf_read.peek_char`.
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
  const r = checkReader(reader, "BufRead.peekChar");
  try {
    yield* ensure1(r, 1);
  } catch (error) {
    if (error instanceof EndOfFile) return undefined;
    throw error;
  }
  return String.fromCharCode(r.buf[r.pos]!);
}

function* stringOp(r: Reader, want: Buffer): Operation<void> {
  for (let i = 0; i < want.length; ) {
    if (i < r.len) {
      if (r.buf[r.pos + i] !== want[i]) {
        const got = r.buf.subarray(r.pos, r.pos + Math.min(want.length, r.len));
        throw new ParseError(`Expected ${escaped(want, 34)} but got ${escaped(got, 34)}`);
      }
      i++;
    } else {
      yield* r.ensureSlow(r.len + 1);
    }
  }
  r.consume(want.length);
}

/**
 * Consumes exactly the text `expected` (its UTF-8 bytes), or throws `ParseError` naming what was
 * there; `EndOfFile` if the input ends first. Mirrors `Eio.Buf_read.string`.
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
export function string(reader: Reader, expected: string): Operation<void>;
/** `string(s)`: the parser. @example `Eio.BufRead.string("HTTP/")` */
export function string(expected: string): Parser<void>;
export function string(a: Reader | string, s?: string): Operation<void> | Parser<void> {
  return runOrMake("BufRead.string", a, s, checkText, stringOp);
}

/**
 * True at end of input, false if there is at least one more byte (waits to find out).
 * Mirrors `Eio.Buf_read.at_end_of_input`.
 *
 * Suspends: if nothing is buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("a");
 *   console.log(yield* Eio.BufRead.atEndOfInput(r));
 *   yield* Eio.BufRead.anyChar(r);
 *   console.log(yield* Eio.BufRead.atEndOfInput(r));
 * });
 * ```
 */
export function* atEndOfInput(reader: Reader): Operation<boolean> {
  const r = checkReader(reader, "BufRead.atEndOfInput");
  if (r.len > 0) return false;
  if (r.source === null) return true;
  try {
    yield* r.ensureSlow(1);
    return false;
  } catch (error) {
    if (error instanceof EndOfFile) return true;
    throw error;
  }
}

/**
 * Throws `ParseError("Unexpected data after parsing")` unless the input has ended. Mirrors
 * `Eio.Buf_read.end_of_input`.
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
  if (!(yield* atEndOfInput(checkReader(reader, "BufRead.endOfInput")))) throw new ParseError("Unexpected data after parsing");
}

/**
 * Whether the underlying flow has reported its end; if so, nothing will come beyond what
 * {@link peek} shows. False at the end when the reader has not yet tried to read past it (use
 * {@link atEndOfInput} to be sure). Mirrors `Eio.Buf_read.eof_seen`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.eofSeen(Eio.BufRead.ofString("x")));
 * ```
 */
export function eofSeen(reader: Reader): boolean {
  return checkReader(reader, "BufRead.eofSeen").source === null;
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
  return r.buf.subarray(r.pos, r.pos + r.len);
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
  return ensure1(r, checkCount(n, "BufRead.ensure"));
}

/**
 * Discards `n` buffered bytes (after {@link peek}); never reads. Mirrors `Eio.Buf_read.consume`.
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
  if (n > r.len) throw new RangeError(`BufRead.consume: cannot consume ${n} bytes of a ${r.len} byte buffer`);
  r.consume(n);
}

/**
 * How many bytes can be read without reading the underlying flow. Mirrors
 * `Eio.Buf_read.buffered_bytes`.
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
  return checkReader(reader, "BufRead.bufferedBytes").len;
}

/**
 * How many bytes have been consumed since the reader was made: the offset of the next byte to
 * parse. Mirrors `Eio.Buf_read.consumed_bytes`.
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
