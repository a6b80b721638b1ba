/**
 * What `Eio.BufWrite` can write: text, bytes, characters, formatted text, and binary numbers in
 * either byte order (Eio's `uint8`, `BE`, `LE`).
 * @module
 */
import { format } from "node:util";
import { checkWriter, type Writer } from "./buf-writer.js";

/**
 * Queues `text` (as UTF-8). Mirrors `Eio.Buf_write.string`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, (w) => Eio.BufWrite.string(w, "héllo"));
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function string(writer: Writer, text: string): void {
  const w = checkWriter(writer, "BufWrite.string");
  if (typeof text !== "string") throw new TypeError(`BufWrite.string: expected a string, got ${typeof text}`);
  writeText(w, text, "BufWrite.string");
}

/**
 * Queues a copy of `data`, so the caller may reuse it at once. Mirrors `Eio.Buf_write.bytes`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, (w) => Eio.BufWrite.bytes(w, new Uint8Array([104, 105])));
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function bytes(writer: Writer, data: Uint8Array): void {
  const w = checkWriter(writer, "BufWrite.bytes");
  if (!(data instanceof Uint8Array)) throw new TypeError(`BufWrite.bytes: expected a Uint8Array, got ${typeof data}`);
  const buf = w.reserve(data.length, "BufWrite.bytes");
  buf.set(data, w.writePos);
  w.advance(data.length);
}

/**
 * Queues one character as one byte (code 0-255). Mirrors `Eio.Buf_write.char`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, (w) => { Eio.BufWrite.char(w, "a"); Eio.BufWrite.char(w, "b"); });
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function char(writer: Writer, c: string): void {
  const w = checkWriter(writer, "BufWrite.char");
  if (typeof c !== "string" || c.length !== 1 || c.charCodeAt(0) > 255) {
    throw new TypeError(`BufWrite.char: expected a one-byte character (code 0-255), got ${JSON.stringify(c)}`);
  }
  const buf = w.reserve(1, "BufWrite.char");
  buf[w.writePos] = c.charCodeAt(0);
  w.advance(1);
}

/**
 * Queues `fmt` formatted with `args` (as UTF-8), the way Node's `util.format` does (`%s`, `%d`,
 * `%i`, `%f`, `%j`, `%o`, `%O`, `%%`). Mirrors `Eio.Buf_write.printf`, without OCaml's `Format`
 * boxes and explicit flushes: it never flushes the writer itself.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.printf(w, "%s has %d items\n", "cart", 3);
 * console.log(Eio.BufWrite.serializeToString(w));
 * ```
 */
export function printf(writer: Writer, fmt: string, ...args: unknown[]): void {
  const w = checkWriter(writer, "BufWrite.printf");
  if (typeof fmt !== "string") throw new TypeError(`BufWrite.printf: expected a format string, got ${typeof fmt}`);
  writeText(w, format(fmt, ...args), "BufWrite.printf");
}

function checkInteger(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw new TypeError(`${what}: expected an integer, got ${String(n)}`);
  return n;
}

function checkNumber(n: unknown, what: string): number {
  if (typeof n !== "number") throw new TypeError(`${what}: expected a number, got ${typeof n}`);
  return n;
}

function checkBigint(n: unknown, what: string): bigint {
  if (typeof n !== "bigint") throw new TypeError(`${what}: expected a bigint, got ${typeof n}`);
  return n;
}

const TWO_48 = 2 ** 48;

function put(writer: Writer, what: string, size: number, write: (buf: Buffer, at: number) => void): void {
  const w = checkWriter(writer, what);
  write(w.reserve(size, what), w.writePos);
  w.advance(size);
}

function writeText(w: Writer, text: string, what: string): void {
  const len = Buffer.byteLength(text);
  if (len === 0) return void w.reserve(0, what);
  w.reserve(len, what).write(text, w.writePos, len, "utf8");
  w.advance(len);
}

/**
 * Queues the lower 8 bits of `n` as one byte. Mirrors `Eio.Buf_write.uint8`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.uint8(w, 0x1a5);
 * console.log(Eio.BufWrite.serializeToBytes(w));
 * ```
 */
export function uint8(writer: Writer, n: number): void {
  const v = checkInteger(n, "BufWrite.uint8") & 0xff;
  put(writer, "BufWrite.uint8", 1, (b, at) => (b[at] = v));
}

function endian(name: "BE" | "LE"): typeof BE {
  const be = name === "BE";
  const what = (f: string) => `BufWrite.${name}.${f}`;
  return Object.freeze({
    uint16: (w: Writer, n: number) => {
      const v = checkInteger(n, what("uint16")) & 0xffff;
      put(w, what("uint16"), 2, (b, at) => (be ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at)));
    },
    uint32: (w: Writer, n: number) => {
      const v = checkInteger(n, what("uint32")) >>> 0;
      put(w, what("uint32"), 4, (b, at) => (be ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at)));
    },
    uint48: (w: Writer, n: number) => {
      const v = ((checkInteger(n, what("uint48")) % TWO_48) + TWO_48) % TWO_48;
      put(w, what("uint48"), 6, (b, at) => (be ? b.writeUIntBE(v, at, 6) : b.writeUIntLE(v, at, 6)));
    },
    uint64: (w: Writer, n: bigint) => {
      const v = BigInt.asUintN(64, checkBigint(n, what("uint64")));
      put(w, what("uint64"), 8, (b, at) => (be ? b.writeBigUInt64BE(v, at) : b.writeBigUInt64LE(v, at)));
    },
    float: (w: Writer, x: number) => {
      const v = checkNumber(x, what("float"));
      put(w, what("float"), 4, (b, at) => (be ? b.writeFloatBE(v, at) : b.writeFloatLE(v, at)));
    },
    double: (w: Writer, x: number) => {
      const v = checkNumber(x, what("double"));
      put(w, what("double"), 8, (b, at) => (be ? b.writeDoubleBE(v, at) : b.writeDoubleLE(v, at)));
    },
  });
}

/**
 * Big-endian writers (Eio's `Buf_write.BE`): `uint16`, `uint32`, `uint48` take numbers and
 * write their lower bits, `uint64` a `bigint`, `float` and `double` IEEE 754 numbers.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.BE.uint16(w, 0xa123);
 * Eio.BufWrite.BE.uint64(w, 1n);
 * console.log(Buffer.from(Eio.BufWrite.serializeToBytes(w)).toString("hex"));
 * ```
 */
export const BE: {
  /** Queues the lower 16 bits of `n`. */
  readonly uint16: (writer: Writer, n: number) => void;
  /** Queues the lower 32 bits of `n`. */
  readonly uint32: (writer: Writer, n: number) => void;
  /** Queues the lower 48 bits of `n`. */
  readonly uint48: (writer: Writer, n: number) => void;
  /** Queues the lower 64 bits of `n`. */
  readonly uint64: (writer: Writer, n: bigint) => void;
  /** Queues `x` as a 4-byte IEEE 754 float. */
  readonly float: (writer: Writer, x: number) => void;
  /** Queues `x` as an 8-byte IEEE 754 double. */
  readonly double: (writer: Writer, x: number) => void;
} = endian("BE");

/**
 * Little-endian writers (Eio's `Buf_write.LE`), as {@link BE}.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.LE.uint16(w, 5);
 * console.log(Eio.BufWrite.serializeToBytes(w));
 * ```
 */
export const LE: typeof BE = endian("LE");
