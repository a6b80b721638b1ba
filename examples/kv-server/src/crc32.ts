/**
 * CRC-32 (zlib's, as `node:zlib`'s `crc32`) of a log record's payload. A record of a SET, an
 * INCR, an HSET or a list push is a few dozen bytes: summed here four bytes at a time from
 * tables ("slicing by 4"), it costs less than the call into zlib and the view that call needs
 * (most of the checksum's time per write); a longer one goes to zlib, which is faster per byte.
 * @module
 */
import { crc32 } from "node:zlib";

/** Up to this many bytes are summed in JavaScript (measured: zlib wins from about 200). */
const SHORT = 160;

/** T[0] is the byte-at-a-time table; T[k][n] is the CRC of byte n followed by k zero bytes. */
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T0[n] = c;
}
for (let n = 0; n < 256; n++) {
  T1[n] = T0[T0[n]! & 0xff]! ^ (T0[n]! >>> 8);
  T2[n] = T0[T1[n]! & 0xff]! ^ (T1[n]! >>> 8);
  T3[n] = T0[T2[n]! & 0xff]! ^ (T2[n]! >>> 8);
}

/**
 * The CRC-32 of `bytes` from index `start` to the end.
 *
 * @example
 * ```ts
 * crc32From(Buffer.from("__hello"), 2) === zlib.crc32("hello"); // true
 * ```
 */
export function crc32From(bytes: Buffer, start: number): number {
  const end = bytes.length;
  if (end - start > SHORT) return crc32(bytes.subarray(start));
  let c = -1;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = T3[c & 0xff]! ^ T2[(c >>> 8) & 0xff]! ^ T1[(c >>> 16) & 0xff]! ^ T0[c >>> 24]!;
  }
  for (; i < end; i++) c = T0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
