/**
 * The binary readers of `Eio.BufRead`: `uint8`, and big- and little-endian numbers (`BE`, `LE`).
 * Each is a parser. Eio's `uint32` is an OCaml `int32` (signed); here it is the unsigned number
 * the name says, and 64-bit integers are `bigint`s.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import type { Reader } from "./buf-read.js";
import { checkReader } from "./buf-read-parsers.js";

function* fixed<T>(reader: Reader, what: string, size: number, read: (buf: Buffer, at: number) => T): Operation<T> {
  const r = checkReader(reader, what);
  if (r.len < size) yield* r.ensureSlow(size);
  const value = read(r.buf, r.pos);
  r.consume(size);
  return value;
}

/**
 * Reads one byte as a number 0-255. Mirrors `Eio.Buf_read.uint8`.
 *
 * Suspends: if no byte is buffered — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.uint8, new Uint8Array([0xa5])));
 * ```
 */
export function uint8(reader: Reader): Operation<number> {
  return fixed(reader, "BufRead.uint8", 1, (b, at) => b[at]!);
}

/**
 * Big-endian readers (Eio's `Buf_read.BE`): `uint16`, `uint32` and `uint48` give numbers,
 * `uint64` a `bigint`, `float` and `double` IEEE 754 numbers of 4 and 8 bytes.
 *
 * Suspends: until enough bytes arrived — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.BE.uint16, "\x01\x02"));
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.BE.uint64, new Uint8Array([0, 0, 0, 0, 0, 0, 1, 0])));
 * ```
 */
export const BE: {
  /** The next 2 bytes as an unsigned integer. */
  readonly uint16: (reader: Reader) => Operation<number>;
  /** The next 4 bytes as an unsigned integer. */
  readonly uint32: (reader: Reader) => Operation<number>;
  /** The next 6 bytes as an unsigned integer. */
  readonly uint48: (reader: Reader) => Operation<number>;
  /** The next 8 bytes as an unsigned `bigint`. */
  readonly uint64: (reader: Reader) => Operation<bigint>;
  /** The next 4 bytes as a single-precision float. */
  readonly float: (reader: Reader) => Operation<number>;
  /** The next 8 bytes as a double-precision float. */
  readonly double: (reader: Reader) => Operation<number>;
} = Object.freeze({
  uint16: (r: Reader) => fixed(r, "BufRead.BE.uint16", 2, (b, at) => b.readUInt16BE(at)),
  uint32: (r: Reader) => fixed(r, "BufRead.BE.uint32", 4, (b, at) => b.readUInt32BE(at)),
  uint48: (r: Reader) => fixed(r, "BufRead.BE.uint48", 6, (b, at) => b.readUIntBE(at, 6)),
  uint64: (r: Reader) => fixed(r, "BufRead.BE.uint64", 8, (b, at) => b.readBigUInt64BE(at)),
  float: (r: Reader) => fixed(r, "BufRead.BE.float", 4, (b, at) => b.readFloatBE(at)),
  double: (r: Reader) => fixed(r, "BufRead.BE.double", 8, (b, at) => b.readDoubleBE(at)),
});

/**
 * Little-endian readers (Eio's `Buf_read.LE`), as {@link BE}.
 *
 * Suspends: until enough bytes arrived — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufRead.parseStringExn(Eio.BufRead.LE.uint16, "\x01\x02"));
 * ```
 */
export const LE: typeof BE = Object.freeze({
  uint16: (r: Reader) => fixed(r, "BufRead.LE.uint16", 2, (b, at) => b.readUInt16LE(at)),
  uint32: (r: Reader) => fixed(r, "BufRead.LE.uint32", 4, (b, at) => b.readUInt32LE(at)),
  uint48: (r: Reader) => fixed(r, "BufRead.LE.uint48", 6, (b, at) => b.readUIntLE(at, 6)),
  uint64: (r: Reader) => fixed(r, "BufRead.LE.uint64", 8, (b, at) => b.readBigUInt64LE(at)),
  float: (r: Reader) => fixed(r, "BufRead.LE.float", 4, (b, at) => b.readFloatLE(at)),
  double: (r: Reader) => fixed(r, "BufRead.LE.double", 8, (b, at) => b.readDoubleLE(at)),
});
