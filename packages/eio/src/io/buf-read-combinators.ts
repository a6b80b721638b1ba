/**
 * Combining `Eio.BufRead` parsers, and running one over a whole flow or string: Eio's `map`,
 * `pair`, `bind`, `return`, `Syntax`, `seq`, `lines`, `format_errors` and `parse*`.
 * @module
 */
import type { Result } from "../core/result.js";
import { type Operation, runBody } from "../core/scheduler.js";
import type { Seq } from "../core/seq.js";
import { EndOfFile, type Source } from "./flow.js";
import { BufferLimitExceeded, of, ParseError, Reader } from "./buf-read.js";
import { checkReader, endOfInput, line, atEndOfInput, toBytes, type Parser } from "./buf-read-parsers.js";

function checkParser(p: unknown, what: string): Parser<unknown> {
  if (typeof p !== "function") throw new TypeError(`${what}: expected a parser (reader) => Operation, got ${typeof p}`);
  return p as Parser<unknown>;
}

function checkFunction(f: unknown, what: string): (...args: never[]) => unknown {
  if (typeof f !== "function") throw new TypeError(`${what}: expected a function, got ${typeof f}`);
  return f as (...args: never[]) => unknown;
}

/**
 * The parser that consumes nothing and returns `value`. Mirrors `Eio.Buf_read.return`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.return(7), ""));
 * ```
 */
function returnParser<T>(value: T): Parser<T> {
  // eslint-disable-next-line require-yield
  return function* () {
    return value;
  };
}
export { returnParser as return };

/**
 * The parser that runs `p` and returns `f` of its value. Mirrors `Eio.Buf_read.map`.
 *
 * Suspends: as `p` does.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const upper = Eio.BufRead.map((s: string) => s.toUpperCase(), Eio.BufRead.take(2));
 * console.log(Eio.BufRead.parseStringExn(upper, "ab"));
 * ```
 */
export function map<A, B>(f: (value: A) => B, p: Parser<A>): Parser<B> {
  checkFunction(f, "BufRead.map");
  checkParser(p, "BufRead.map");
  return function* (r) {
    return f(yield* p(r));
  };
}

/**
 * The parser that runs `a`, then `b`, and returns both values. There is no backtracking: if
 * `b` fails, what `a` consumed is gone. Mirrors `Eio.Buf_read.pair`.
 *
 * Suspends: as `a` and `b` do.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.pair(Eio.BufRead.anyChar, Eio.BufRead.takeAll), "abc"));
 * ```
 */
export function pair<A, B>(a: Parser<A>, b: Parser<B>): Parser<[A, B]> {
  checkParser(a, "BufRead.pair");
  checkParser(b, "BufRead.pair");
  return function* (r) {
    const x = yield* a(r);
    const y = yield* b(r);
    return [x, y];
  };
}

/**
 * The parser that runs `p`, then the parser `f` makes from its value. Mirrors
 * `Eio.Buf_read.bind`.
 *
 * Suspends: as the parsers do.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * // A length byte, then that many bytes.
 * const counted = Eio.BufRead.bind(Eio.BufRead.uint8, (n) => Eio.BufRead.take(n));
 * console.log(Eio.BufRead.parseStringExn(counted, "\x03abc"));
 * ```
 */
export function bind<A, B>(p: Parser<A>, f: (value: A) => Parser<B>): Parser<B> {
  checkParser(p, "BufRead.bind");
  checkFunction(f, "BufRead.bind");
  return function* (r) {
    const next = f(yield* p(r));
    return yield* checkParser(next, "BufRead.bind (the parser returned by f)")(r) as Operation<B>;
  };
}

function keepFirst<A>(a: Parser<A>, b: Parser<unknown>): Parser<A> {
  checkParser(a, "BufRead.Syntax['<*']");
  checkParser(b, "BufRead.Syntax['<*']");
  return function* (r) {
    const x = yield* a(r);
    yield* b(r);
    return x;
  };
}

function keepSecond<B>(a: Parser<unknown>, b: Parser<B>): Parser<B> {
  checkParser(a, "BufRead.Syntax['*>']");
  checkParser(b, "BufRead.Syntax['*>']");
  return function* (r) {
    yield* a(r);
    return yield* b(r);
  };
}

/**
 * Eio's `Buf_read.Syntax` operators, as functions under their OCaml names: `"let+"` is
 * {@link map} with the arguments swapped, `"let*"` is {@link bind}, `"and+"`, `"and*"` and
 * `"<*>"` are {@link pair}, `"<*"` keeps the first of two results and `"*>"` the second.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const R = Eio.BufRead;
 * const { "*>": then, "<*": before } = R.Syntax;
 * const from = then(R.string("FROM:"), before(R.takeWhile((b) => b !== 0x0a), R.char("\n")));
 * console.log(R.parseStringExn(from, "FROM:alice\n"));
 * ```
 */
export const Syntax: {
  /** `(let+) p f` is `map(f, p)`. */
  readonly "let+": <A, B>(p: Parser<A>, f: (value: A) => B) => Parser<B>;
  /** `(let*)` is {@link bind}. */
  readonly "let*": <A, B>(p: Parser<A>, f: (value: A) => Parser<B>) => Parser<B>;
  /** `(and+)` is {@link pair}. */
  readonly "and+": <A, B>(a: Parser<A>, b: Parser<B>) => Parser<[A, B]>;
  /** `(and*)` is {@link pair}. */
  readonly "and*": <A, B>(a: Parser<A>, b: Parser<B>) => Parser<[A, B]>;
  /** `a <*> b` is `pair(a, b)`. */
  readonly "<*>": <A, B>(a: Parser<A>, b: Parser<B>) => Parser<[A, B]>;
  /** `a <* b` parses both and keeps the first. */
  readonly "<*": <A>(a: Parser<A>, b: Parser<unknown>) => Parser<A>;
  /** `a *> b` parses both and keeps the second. */
  readonly "*>": <B>(a: Parser<unknown>, b: Parser<B>) => Parser<B>;
} = Object.freeze({
  "let+": <A, B>(p: Parser<A>, f: (value: A) => B) => map(f, p),
  "let*": bind,
  "and+": pair,
  "and*": pair,
  "<*>": pair,
  "<*": keepFirst,
  "*>": keepSecond,
});


/**
 * The parser of a lazy sequence of items, each parsed with `p` when asked for, until `stop`
 * (default {@link atEndOfInput}) says the input is over. Each node may be used once, while the
 * reader is still where the node left it: a stale node throws `RangeError`. Mirrors
 * `Eio.Buf_read.seq`.
 *
 * Suspends: not to make the sequence; each step suspends as `p` does.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const pairs = yield* Eio.BufRead.seq(Eio.BufRead.take(2))(Eio.BufRead.ofString("abcd12"));
 *   for (let node = yield* pairs(); !node.done; node = yield* node.next()) console.log(node.value);
 * });
 * ```
 */
export function seq<T>(p: Parser<T>, options: { stop?: Parser<boolean> } = {}): Parser<Seq<T>> {
  checkParser(p, "BufRead.seq");
  const stop = options.stop ?? atEndOfInput;
  checkParser(stop, "BufRead.seq (options.stop)");
  // eslint-disable-next-line require-yield
  return function* (reader) {
    const r = checkReader(reader, "BufRead.seq");
    const at = (offset: number): Seq<T> =>
      function* () {
        if (offset !== r.consumed) {
          throw new RangeError(`Sequence is stale (expected to be used at offset ${offset}, but stream is now at ${r.consumed})`);
        }
        if (yield* stop(r)) return { done: true };
        const value = yield* p(r);
        return { done: false, value, next: at(r.consumed) };
      };
    return at(r.consumed);
  };
}

/**
 * The lines of the input, lazily: `seq(line)`. Mirrors `Eio.Buf_read.lines`.
 *
 * Suspends: not to make the sequence; each step suspends as {@link line} does.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const lines = yield* Eio.BufRead.lines(Eio.BufRead.ofString("one\ntwo"));
 *   for (let node = yield* lines(); !node.done; node = yield* node.next()) console.log(node.value);
 * });
 * ```
 */
export function lines(reader: Reader): Operation<Seq<string>> {
  return seq(line)(reader);
}

/**
 * The parser that runs `p` and returns its value as `{ ok: true, value }`, or a parse failure,
 * an early end of input or a full buffer as `{ ok: false, error }` with a message saying where
 * (Eio's `` `Msg ``). Other errors (cancellation, say) are thrown. Mirrors
 * `Eio.Buf_read.format_errors`.
 *
 * Suspends: as `p` does.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const r = Eio.BufRead.ofString("abc");
 *   console.log(yield* Eio.BufRead.formatErrors(Eio.BufRead.take(4))(r));
 * });
 * ```
 */
export function formatErrors<T>(p: Parser<T>): Parser<Result<T, string>> {
  checkParser(p, "BufRead.formatErrors");
  return function* (r) {
    try {
      return { ok: true, value: yield* p(r) };
    } catch (error) {
      if (error instanceof ParseError) return { ok: false, error: `${error.message} (at offset ${r.consumed})` };
      if (error instanceof EndOfFile) return { ok: false, error: `Unexpected end-of-file at offset ${r.consumed + r.len}` };
      if (error instanceof BufferLimitExceeded) return { ok: false, error: `Buffer size limit exceeded when reading at offset ${r.consumed}` };
      throw error;
    }
  };
}

/**
 * Options for {@link parse} and {@link parseExn}: those of `BufRead.of`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.BufRead.ParseOptions = { maxSize: 1024 };
 * console.log(options.maxSize);
 * ```
 */
export interface ParseOptions {
  /** The most bytes the reader may buffer at once. Required. */
  maxSize: number;
  /** The buffer's starting size (default 4096, or `maxSize` if smaller). */
  initialSize?: number;
}

function whole<T>(p: Parser<T>, what: string): Parser<Result<T, string>> {
  checkParser(p, what);
  return formatErrors(keepFirst(p, endOfInput));
}

/**
 * Parses all of `flow` with `p`: `{ ok: true, value }`, or `{ ok: false, error }` with a message
 * if `p` fails or input is left over. Mirrors `Eio.Buf_read.parse`.
 *
 * Suspends: while reading — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const R = Eio.BufRead;
 * await Eio.run(function* () {
 *   const p = R.Syntax["*>"](R.string("FROM:"), R.takeAll);
 *   console.log(yield* R.parse(p, Eio.Flow.stringSource("FROM:A"), { maxSize: 5 }));
 *   console.log(yield* R.parse(p, Eio.Flow.stringSource("TO:B"), { maxSize: 5 }));
 * });
 * ```
 */
export function parse<T>(p: Parser<T>, flow: Source, options: ParseOptions): Operation<Result<T, string>> {
  const parser = whole(p, "BufRead.parse");
  return parser(of(flow, options));
}

/**
 * Like {@link parse}, but returns the value and throws `ParseError` with the message. Mirrors
 * `Eio.Buf_read.parse_exn`.
 *
 * Suspends: while reading — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.parseExn(Eio.BufRead.line, Eio.Flow.stringSource("hi\n"), { maxSize: 10 }));
 * });
 * ```
 */
export function* parseExn<T>(p: Parser<T>, flow: Source, options: ParseOptions): Operation<T> {
  return orThrow(yield* runBody<Result<T, string>>(parse(p, flow, options)));
}

function orThrow<T>(result: Result<T, string>): T {
  if (result.ok) return result.value;
  throw new ParseError(result.error);
}

/**
 * Parses all of `input` with `p`, at once: a string is read as its UTF-8 bytes, a `Uint8Array`
 * as its own bytes (so pass bytes for binary data: the string `"\x80"` is two bytes in UTF-8).
 * Returns `{ ok: true, value }` or `{ ok: false, error }` with a message. `p` must only read:
 * a parser that suspends for anything else throws an `Error`. Mirrors
 * `Eio.Buf_read.parse_string`.
 *
 * Suspends: never; needs no fiber.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.parseString(Eio.BufRead.line, "foo\n"));
 * console.log(Eio.BufRead.parseString(Eio.BufRead.line, "foo\nbar\n"));
 * ```
 */
export function parseString<T>(p: Parser<T>, input: string | Uint8Array): Result<T, string> {
  const parser = whole(p, "BufRead.parseString");
  const bytes = toBytes(input, "BufRead.parseString");
  const op = parser(new Reader(null, Number.MAX_SAFE_INTEGER, bytes, bytes.length));
  const step = op.next();
  if (step.done) return step.value;
  op.return(undefined as never);
  throw new Error("BufRead.parseString: the parser tried to suspend; a parser of a string may only read (parse a flow with BufRead.parse instead)");
}

/**
 * Like {@link parseString}, but returns the value and throws `ParseError` with the message.
 * Mirrors `Eio.Buf_read.parse_string_exn`.
 *
 * Suspends: never; needs no fiber.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.BE.uint16, "\x01\x02"));
 * ```
 */
export function parseStringExn<T>(p: Parser<T>, input: string | Uint8Array): T {
  return orThrow(parseString(p, input));
}
