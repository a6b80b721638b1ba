/**
 * The bitmap commands on strings (SETBIT, GETBIT, BITCOUNT and BITPOS with BYTE or BIT
 * ranges), with Redis 7.0's replies and errors. Bit 0 is the most significant bit of the first
 * byte. A SETBIT stores a new string (stored strings are never changed in place: a log rewrite
 * may be writing them), logged whole as SETRANGE's is.
 * @module
 */
import { type CommandTable, long, typed, upper, WRONG, wrongType } from "./data-command.js";
import { Errors, MAX_STRING } from "./errors.js";
import { parseInteger } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";

const BAD_OFFSET = "ERR bit offset is not an integer or out of range";

/** A bit offset (Redis's `getBitOffsetFromArgument`): 0 up to the longest string's last bit, or null. */
function bitOffset(arg: Buffer): number | null {
  const n = parseInteger(arg);
  if (n === null || n < 0n || n >> 3n >= BigInt(MAX_STRING)) return null;
  return Number(n);
}

function bitAt(bytes: Uint8Array, offset: number): number {
  const byte = offset >> 3;
  return byte < bytes.length ? (bytes[byte]! >> (7 - (offset & 7))) & 1 : 0;
}

function setbit(table: Table.Table, args: Buffer[], now: number): Buffer {
  const offset = bitOffset(args[2]!);
  if (offset === null) return Resp.error(BAD_OFFSET);
  const on = args[3]!.length === 1 ? args[3]![0]! - 0x30 : -1;
  if (on !== 0 && on !== 1) return Resp.error("ERR bit is not an integer or out of range");
  const key = Table.keyOf(args[1]!);
  const old = typed(table, key, now, "string");
  if (old === WRONG) return wrongType();
  const byte = offset >> 3;
  const value = Buffer.alloc(Math.max(old?.length ?? 0, byte + 1));
  old?.copy(value);
  const previous = bitAt(value, offset);
  const mask = 1 << (7 - (offset & 7));
  value[byte] = on === 1 ? value[byte]! | mask : value[byte]! & ~mask;
  Table.set(table, key, value, old === undefined ? 0 : Table.lookup(table, key, now)!.expireAt, "raw");
  return Resp.integer(previous);
}

function getbit(table: Table.Table, args: Buffer[], now: number): Buffer {
  const offset = bitOffset(args[2]!);
  if (offset === null) return Resp.error(BAD_OFFSET);
  const value = typed(table, Table.keyOf(args[1]!), now, "string", true);
  if (value === WRONG) return wrongType();
  return Resp.integer(value === undefined ? 0 : bitAt(value, offset));
}

/**
 * The bits `[first, last]` that a BITCOUNT or BITPOS range names in a string of `length`
 * bytes (Redis's index conversion: negative from the end, clamped), or null for an empty range.
 */
function bitRange(length: number, start: number, end: number, bit: boolean): [number, number] | null {
  const total = bit ? length * 8 : length;
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return null;
  return bit ? [start, end] : [start * 8, end * 8 + 7];
}

/** The range's unit (`BYTE`, the default, or `BIT`), or null for another word. */
function unit(arg: Buffer | undefined): boolean | null {
  if (arg === undefined) return false;
  const word = upper(arg);
  return word === "BIT" ? true : word === "BYTE" ? false : null;
}

function popcount(byte: number): number {
  let count = 0;
  for (let b = byte; b !== 0; b &= b - 1) count++;
  return count;
}

/** BITCOUNT key [start end [BYTE|BIT]]: Redis 7.0 looks the key up before it reads the range. */
function bitcount(table: Table.Table, args: Buffer[], now: number): Buffer {
  const value = typed(table, Table.keyOf(args[1]!), now, "string", true);
  if (value === undefined) return Resp.integer(0);
  if (value === WRONG) return wrongType();
  let range: [number, number] | null = [0, value.length * 8 - 1];
  if (args.length === 4 || args.length === 5) {
    const start = long(args[2]!);
    const end = long(args[3]!);
    if (start === null || end === null) return Resp.error(Errors.notInteger);
    if (start < 0 && end < 0 && start > end) return Resp.integer(0);
    const bit = unit(args[4]);
    if (bit === null) return Resp.error(Errors.syntax);
    range = bitRange(value.length, start, end, bit);
  } else if (args.length !== 2) {
    return Resp.error(Errors.syntax);
  }
  if (range === null || range[0] > range[1]) return Resp.integer(0);
  const [first, last] = range;
  let count = 0;
  let at = first;
  for (; at <= last && (at & 7) !== 0; at++) count += bitAt(value, at);
  for (; at + 7 <= last; at += 8) count += popcount(value[at >> 3]!);
  for (; at <= last; at++) count += bitAt(value, at);
  return Resp.integer(count);
}

/**
 * BITPOS key bit [start [end [BYTE|BIT]]]: the first bit set to `bit` in the range. A missing
 * key is all zeros; looking for a 0 without an end, the bit right after the string counts (the
 * string is taken as padded with zeros), and with an end it does not.
 */
function bitpos(table: Table.Table, args: Buffer[], now: number): Buffer {
  const wanted = long(args[2]!);
  if (wanted === null) return Resp.error(Errors.notInteger);
  if (wanted !== 0 && wanted !== 1) return Resp.error("ERR The bit argument must be 1 or 0.");
  const value = typed(table, Table.keyOf(args[1]!), now, "string", true);
  if (value === undefined) return Resp.integer(wanted === 1 ? -1 : 0);
  if (value === WRONG) return wrongType();
  if (args.length > 6) return Resp.error(Errors.syntax);
  let range: [number, number] | null = [0, value.length * 8 - 1];
  const endGiven = args.length >= 5;
  if (args.length >= 4) {
    const start = long(args[3]!);
    if (start === null) return Resp.error(Errors.notInteger);
    const bit = unit(args[5]);
    if (bit === null) return Resp.error(Errors.syntax);
    let end = bit ? value.length * 8 + 7 : value.length - 1;
    if (endGiven) {
      const given = long(args[4]!);
      if (given === null) return Resp.error(Errors.notInteger);
      end = given;
    }
    range = bitRange(value.length, start, end, bit);
  }
  if (range === null || range[0] > range[1]) return Resp.integer(-1);
  const [first, last] = range;
  for (let at = first; at <= last; at++) if (bitAt(value, at) === wanted) return Resp.integer(at);
  if (wanted === 1 || endGiven) return Resp.integer(-1);
  return Resp.integer(last + 1);
}

/**
 * The bitmap commands.
 *
 * @example
 * ```ts
 * bitmapCommands.setbit!.arity; // 4
 * ```
 */
export const bitmapCommands: CommandTable = {
  setbit: { arity: 4, run: setbit },
  getbit: { arity: 3, run: getbit },
  bitcount: { arity: -2, run: bitcount },
  bitpos: { arity: -3, run: bitpos },
};
