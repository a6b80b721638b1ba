/**
 * CRC-32 (zlib's, as `node:zlib`'s `crc32`) of a log record's payload. A record of a SET, an
 * INCR or a list push is a few dozen bytes: summed here a byte at a time from a table, it costs
 * less than the call into zlib and the view that call needs (most of the checksum's time per
 * write); a longer one goes to zlib, which is faster per byte.
 * @module
 */
import { crc32 } from "node:zlib";

/** Up to this many bytes are summed in JavaScript (measured: zlib wins from about 80). */
const SHORT = 64;

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
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
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
