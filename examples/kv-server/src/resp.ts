/**
 * RESP2, the Redis wire protocol: an incremental parser for requests (arrays of bulk strings,
 * and the "inline" commands people type into telnet) and encoders for replies.
 *
 * The parser never throws on bad input: it reports a protocol error, and the connection
 * answers with it and closes, as Redis does. Limits are Redis's own (1M arguments, 512 MB bulk
 * strings by default, 64 KB for a header or an inline line), so a client cannot make us buffer forever.
 * @module
 */
import { splitInline } from "./resp-inline.js";

const CR = 13;
const LF = 10;
const MAX_HEADER = 64 * 1024;
const MAX_ARGS = 1024 * 1024;
const MAX_BULK = 512 * 1024 * 1024;

/**
 * What {@link next} found in the input.
 *
 * @example
 * ```ts
 * const parsed: Resp.Parsed = Resp.next(parser);
 * if (parsed.kind === "command") console.log(parsed.args.map(String));
 * ```
 */
export type Parsed =
  | { kind: "command"; args: Buffer[] }
  | { kind: "incomplete" }
  | { kind: "error"; message: string };

/**
 * An incremental request parser for one connection (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const parser: Resp.Parser = Resp.createParser();
 * ```
 */
export interface Parser {
  /** @internal */ buffer: Buffer;
  /** @internal */ position: number;
  /** @internal */ pending: Buffer[];
  /** @internal */ pendingBytes: number;
  /** @internal bytes from `position` needed before parsing can progress */ need: number;
  /** @internal arguments still expected in the current array (0: between commands) */ argsLeft: number;
  /** @internal */ args: Buffer[];
  /** @internal length of the bulk string being read, or -1 before its header */ bulkLength: number;
  /** @internal once set, every call to next returns it */ failure: string | null;
  /** @internal the longest bulk string accepted (Redis's proto-max-bulk-len) */ maxBulk: number;
  /** @internal true while the client must still AUTH: then Redis's smaller limits apply */ unauthenticated: () => boolean;
}

const INCOMPLETE: Parsed = { kind: "incomplete" };

/**
 * Options for {@link createParser}.
 *
 * @example
 * ```ts
 * const options: Resp.ParserOptions = { maxBulk: 1024 * 1024, unauthenticated: () => !session.authenticated };
 * ```
 */
export interface ParserOptions {
  /** The longest bulk string accepted (Redis's `proto-max-bulk-len`, 512 MB by default). */
  maxBulk?: number;
  /**
   * True while the client has still to AUTH: then, as in Redis, an array of more than 10
   * elements or a bulk string over 16 KB is a protocol error.
   */
  unauthenticated?: () => boolean;
}

/**
 * A parser with no input yet. A bulk string longer than `options.maxBulk` is a protocol error.
 *
 * @example
 * ```ts
 * const p = Resp.createParser();
 * Resp.feed(p, Buffer.from("*1\r\n$4\r\nPING\r\n"));
 * Resp.next(p); // { kind: "command", args: [<Buffer 50 49 4e 47>] }
 * Resp.createParser({ maxBulk: 1024 * 1024 }); // refuses bulk strings over 1 MiB
 * ```
 */
export function createParser(options: ParserOptions = {}): Parser {
  const maxBulk = options.maxBulk ?? MAX_BULK;
  if (!Number.isSafeInteger(maxBulk) || maxBulk < 0) {
    throw new RangeError(`Resp.createParser: maxBulk must be a non-negative integer, got ${maxBulk}`);
  }
  return {
    buffer: Buffer.alloc(0), position: 0, pending: [], pendingBytes: 0, need: 1,
    argsLeft: 0, args: [], bulkLength: -1, failure: null, maxBulk, unauthenticated: options.unauthenticated ?? (() => false),
  };
}

/**
 * Adds bytes received from the client. The chunk is kept, not copied: do not reuse it.
 *
 * @example
 * ```ts
 * Resp.feed(parser, Buffer.from("PING\r\n"));
 * ```
 */
export function feed(parser: Parser, chunk: Uint8Array): void {
  if (!(chunk instanceof Uint8Array)) {
    throw new TypeError(`Resp.feed: expected a Uint8Array chunk, got ${typeof chunk}`);
  }
  if (chunk.length === 0) return;
  const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  parser.pending.push(buffer);
  parser.pendingBytes += buffer.length;
}

/**
 * Bytes fed but not yet consumed by a complete command.
 *
 * @example
 * ```ts
 * Resp.feed(parser, Buffer.from("*1\r\n$4\r\nPI"));
 * Resp.next(parser);     // { kind: "incomplete" }
 * Resp.buffered(parser); // 12
 * ```
 */
export function buffered(parser: Parser): number {
  return parser.buffer.length - parser.position + parser.pendingBytes;
}

function incomplete(parser: Parser, need: number): Parsed {
  parser.need = need;
  return INCOMPLETE;
}

function fail(parser: Parser, message: string): Parsed {
  parser.failure = `ERR Protocol error: ${message}`;
  return { kind: "error", message: parser.failure };
}

/** Parses an integer header such as `*3` or `$-1`; NaN if it is not a plain decimal integer. */
function parseHeaderInt(buffer: Buffer, start: number, end: number): number {
  if (end - start > 19 || end === start) return NaN;
  let i = start;
  let negative = false;
  if (buffer[i] === 45 /* - */) {
    negative = true;
    i++;
    if (i === end) return NaN;
  }
  let n = 0;
  for (; i < end; i++) {
    const digit = buffer[i]! - 48;
    if (digit < 0 || digit > 9) return NaN;
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/** Where {@link wholeCommand}'s arguments start and how long they are, and where it ended. */
const STARTS = new Int32Array(4);
const LENGTHS = new Int32Array(4);
const END = { at: 0 };

/**
 * The common case, a short command wholly in the buffer (`SET k v`, `GET k`, a pipeline's every
 * command), read in one pass: its arguments as an array of exactly their number (an array grown
 * by push keeps room for 17, and most commands are all but that room: a third of a GET's
 * garbage), or null when anything is missing or unusual (a bulk string longer than 16 KB or
 * than `maxBulk`, a malformed header): then the general path below reads it, and says what is
 * wrong. `start` is just past the array's header; on success END.at is just past the command.
 */
function wholeCommand(buffer: Buffer, start: number, end: number, count: number, maxBulk: number): Buffer[] | null {
  // Lengths up to 16 KB: what an unauthenticated client may send too, so no need to ask.
  const most = maxBulk < 16384 ? maxBulk : 16384;
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at >= end || buffer[at] !== 36 /* $ */) return null;
    let j = at + 1;
    let length = 0;
    for (; j < end; j++) {
      const digit = buffer[j]! - 48;
      if (digit < 0 || digit > 9) break;
      length = length * 10 + digit;
      if (length > most) return null;
    }
    if (j === at + 1 || j + 1 >= end || buffer[j] !== CR || buffer[j + 1] !== LF) return null;
    const body = j + 2;
    if (body + length + 2 > end || buffer[body + length] !== CR || buffer[body + length + 1] !== LF) return null;
    STARTS[i] = body;
    LENGTHS[i] = length;
    at = body + length + 2;
  }
  END.at = at;
  const a = buffer.subarray(STARTS[0]!, STARTS[0]! + LENGTHS[0]!);
  if (count === 1) return [a];
  const b = buffer.subarray(STARTS[1]!, STARTS[1]! + LENGTHS[1]!);
  if (count === 2) return [a, b];
  const c = buffer.subarray(STARTS[2]!, STARTS[2]! + LENGTHS[2]!);
  if (count === 3) return [a, b, c];
  return [a, b, c, buffer.subarray(STARTS[3]!, STARTS[3]! + LENGTHS[3]!)];
}

/**
 * The next complete command, `incomplete` when more bytes are needed, or a protocol error
 * (after which the parser stays failed and the connection should be closed).
 *
 * @example
 * ```ts
 * const p = Resp.createParser();
 * Resp.feed(p, Buffer.from("GET a\r\n*x\r\n"));
 * Resp.next(p); // { kind: "command", args: [<Buffer 47 45 54>, <Buffer 61>] }
 * Resp.next(p); // { kind: "error", message: "ERR Protocol error: invalid multibulk length" }
 * ```
 */
export function next(parser: Parser): Parsed {
  if (parser.failure !== null) return { kind: "error", message: parser.failure };
  // Joining chunks only when they can complete the wanted piece keeps a large bulk string
  // that arrives in many chunks linear, not quadratic.
  if (parser.pendingBytes > 0 && parser.buffer.length - parser.position + parser.pendingBytes >= parser.need) {
    // A chunk after a fully parsed one (the usual case) is taken as it is, not copied.
    parser.buffer = parser.position === parser.buffer.length && parser.pending.length === 1
      ? parser.pending[0]!
      : Buffer.concat([parser.buffer.subarray(parser.position), ...parser.pending]);
    parser.position = 0;
    parser.pending = [];
    parser.pendingBytes = 0;
  }
  const buffer = parser.buffer;
  const end = buffer.length;
  for (;;) {
    let position = parser.position;
    if (parser.argsLeft === 0) {
      if (position >= end) return incomplete(parser, 1);
      if (buffer[position] === 42 /* * */) {
        const cr = buffer.indexOf(CR, position);
        if (cr < 0 || cr + 1 >= end) {
          if (end - position > MAX_HEADER) return fail(parser, "too big mbulk count string");
          return incomplete(parser, end - position + 1);
        }
        const count = parseHeaderInt(buffer, position + 1, cr);
        if (Number.isNaN(count) || count > MAX_ARGS || buffer[cr + 1] !== LF) {
          return fail(parser, "invalid multibulk length");
        }
        if (count > 10 && parser.unauthenticated()) return fail(parser, "unauthenticated multibulk length");
        parser.position = cr + 2;
        if (count <= 0) continue;
        if (count <= 4) {
          const args = wholeCommand(buffer, cr + 2, end, count, parser.maxBulk);
          if (args !== null) {
            parser.position = END.at;
            return { kind: "command", args };
          }
        }
        parser.argsLeft = count;
        parser.args = [];
        parser.bulkLength = -1;
      } else {
        const lf = buffer.indexOf(LF, position);
        if (lf < 0) {
          if (end - position > MAX_HEADER) return fail(parser, "too big inline request");
          return incomplete(parser, end - position + 1);
        }
        const lineEnd = lf > position && buffer[lf - 1] === CR ? lf - 1 : lf;
        const args = splitInline(buffer.subarray(position, lineEnd));
        parser.position = lf + 1;
        if (args === null) return fail(parser, "unbalanced quotes in request");
        if (args.length === 0) continue;
        return { kind: "command", args };
      }
    }
    while (parser.argsLeft > 0) {
      position = parser.position;
      if (parser.bulkLength < 0) {
        if (position >= end) return incomplete(parser, 1);
        if (buffer[position] !== 36 /* $ */) {
          return fail(parser, `expected '$', got '${String.fromCharCode(buffer[position]!)}'`);
        }
        const cr = buffer.indexOf(CR, position);
        if (cr < 0 || cr + 1 >= end) {
          if (end - position > MAX_HEADER) return fail(parser, "too big bulk count string");
          return incomplete(parser, end - position + 1);
        }
        const length = parseHeaderInt(buffer, position + 1, cr);
        if (Number.isNaN(length) || length < 0 || length > parser.maxBulk || buffer[cr + 1] !== LF) {
          return fail(parser, "invalid bulk length");
        }
        if (length > 16384 && parser.unauthenticated()) return fail(parser, "unauthenticated bulk length");
        parser.bulkLength = length;
        parser.position = position = cr + 2;
      }
      const length = parser.bulkLength;
      if (end - position < length + 2) return incomplete(parser, length + 2);
      if (buffer[position + length] !== CR || buffer[position + length + 1] !== LF) {
        return fail(parser, "expected CRLF after bulk string");
      }
      parser.args.push(buffer.subarray(position, position + length));
      parser.position = position + length + 2;
      parser.bulkLength = -1;
      parser.argsLeft--;
    }
    const args = parser.args;
    parser.args = [];
    return { kind: "command", args };
  }
}

// ---- Replies. Each encoder returns the bytes to send, so a batch of replies is one write.

/**
 * `+OK`.
 *
 * @example
 * ```ts
 * socket.write(Resp.OK); // "+OK\r\n"
 * ```
 */
export const OK: Buffer = Buffer.from("+OK\r\n");
/**
 * `+PONG`.
 *
 * @example
 * ```ts
 * socket.write(Resp.PONG); // "+PONG\r\n"
 * ```
 */
export const PONG: Buffer = Buffer.from("+PONG\r\n");
/**
 * The null bulk string, RESP2's "no value".
 *
 * @example
 * ```ts
 * socket.write(Resp.NULL); // "$-1\r\n"
 * ```
 */
export const NULL: Buffer = Buffer.from("$-1\r\n");
/**
 * The null array (RESP2's "no value" where an array was expected).
 *
 * @example
 * ```ts
 * socket.write(Resp.NULL_ARRAY); // "*-1\r\n"
 * ```
 */
export const NULL_ARRAY: Buffer = Buffer.from("*-1\r\n");
/**
 * An array with no elements.
 *
 * @example
 * ```ts
 * socket.write(Resp.EMPTY_ARRAY); // "*0\r\n"
 * ```
 */
export const EMPTY_ARRAY: Buffer = Buffer.from("*0\r\n");

const SMALL_INTEGERS: Buffer[] = Array.from({ length: 16 }, (_, i) => Buffer.from(`:${i}\r\n`));

/** Removes CR and LF, which would end a simple string or error early. */
function oneLine(text: string): string {
  // As Redis: each CR or LF becomes a space.
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, " ") : text;
}

/**
 * A simple string reply (`+text`).
 *
 * @example
 * ```ts
 * Resp.simple("string").toString(); // "+string\r\n"
 * ```
 */
export function simple(text: string): Buffer {
  return Buffer.from(`+${oneLine(text)}\r\n`);
}

/**
 * An error reply; `message` starts with the error code, e.g. `"ERR syntax error"`.
 *
 * @example
 * ```ts
 * Resp.error("ERR syntax error").toString(); // "-ERR syntax error\r\n"
 * ```
 */
export function error(message: string): Buffer {
  // Latin-1: messages quote the client's bytes (one character per byte) back as they came.
  return Buffer.from(`-${oneLine(message)}\r\n`, "latin1");
}

/**
 * An integer reply.
 *
 * @example
 * ```ts
 * Resp.integer(42).toString(); // ":42\r\n"
 * ```
 */
export function integer(n: number | bigint): Buffer {
  if (typeof n === "number" && n >= 0 && Number.isSafeInteger(n)) {
    if (n < 16) return SMALL_INTEGERS[n]!;
    // Counts and lengths (INCR, LPUSH, SADD ...): the digits written in place, no string made.
    const out = Buffer.allocUnsafe(digits(n) + 3);
    writeHeader(out, 0, 58 /* : */, n);
    return out;
  }
  return Buffer.from(`:${n}\r\n`, "latin1");
}

/** The number of decimal digits of a length (a non-negative integer). */
function digits(n: number): number {
  let count = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    count++;
  }
  return count;
}

/**
 * A bulk string reply; `null` is the null bulk string.
 *
 * @example
 * ```ts
 * Resp.bulk("hi").toString(); // "$2\r\nhi\r\n"
 * Resp.bulk(null).toString(); // "$-1\r\n"
 * ```
 */
export function bulk(value: Uint8Array | string | null): Buffer {
  if (value === null) return NULL;
  const body = typeof value === "string" ? Buffer.from(value) : value;
  const out = Buffer.allocUnsafe(bulkSize(body.length));
  writeBulk(out, 0, body);
  return out;
}

/** The bytes of a bulk string reply of `length` bytes: `$`, the digits, CRLF, the body, CRLF. */
function bulkSize(length: number): number {
  return digits(length) + length + 5;
}

/** Writes `body` as a bulk string reply at `at` in `out` (room made by {@link bulkSize}); returns the end. */
function writeBulk(out: Buffer, at: number, body: Uint8Array): number {
  at = writeHeader(out, at, 36 /* $ */, body.length);
  out.set(body, at);
  at += body.length;
  out[at] = CR;
  out[at + 1] = LF;
  return at + 2;
}

/** Writes `prefix`, `n`'s digits and CRLF at `at` in `out`; returns the end. */
function writeHeader(out: Buffer, at: number, prefix: number, n: number): number {
  const width = digits(n);
  out[at] = prefix;
  for (let i = at + width; i > at; i--, n = Math.floor(n / 10)) out[i] = 48 + (n % 10);
  out[at + width + 1] = CR;
  out[at + width + 2] = LF;
  return at + width + 3;
}

/**
 * An array reply whose elements are already-encoded replies.
 *
 * @example
 * ```ts
 * Resp.array([Resp.integer(1), Resp.OK]).toString(); // "*2\r\n:1\r\n+OK\r\n"
 * ```
 */
export function array(items: readonly Uint8Array[]): Buffer {
  let total = digits(items.length) + 3;
  for (const item of items) total += item.length;
  const out = Buffer.allocUnsafe(total);
  let at = writeHeader(out, 0, 42 /* * */, items.length);
  for (const item of items) {
    out.set(item, at);
    at += item.length;
  }
  return out;
}

/**
 * An array of bulk strings (`null` elements are null bulk strings).
 *
 * @example
 * ```ts
 * Resp.bulkArray(["a", null]).toString(); // "*2\r\n$1\r\na\r\n$-1\r\n"
 * ```
 */
export function bulkArray(values: readonly (Uint8Array | string | null)[]): Buffer {
  // One buffer, sized first (LRANGE, HGETALL ... build long ones): no reply per element.
  const bodies: (Uint8Array | null)[] = new Array(values.length);
  let total = digits(values.length) + 3;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const body = typeof value === "string" ? Buffer.from(value) : value;
    bodies[i] = body;
    total += body === null ? NULL.length : bulkSize(body.length);
  }
  const out = Buffer.allocUnsafe(total);
  let at = writeHeader(out, 0, 42 /* * */, values.length);
  for (const body of bodies) {
    if (body === null) at += NULL.copy(out, at);
    else at = writeBulk(out, at, body);
  }
  return out;
}

