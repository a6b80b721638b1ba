/**
 * The string commands (GET, SET and its variants, INCR and its kin, APPEND, GETRANGE,
 * SETRANGE, MGET, MSET, MSETNX), with Redis 7.0's replies and errors.
 * @module
 */
import { type CommandTable, type DataCommand, long, typed, upper, WRONG, wrongType } from "./data-command.js";
import { Errors, MAX_STRING } from "./errors.js";
import { addLongDouble, formatLongDouble, inInt64, isInfinite, parseInteger, parseLongDouble, smallInteger } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * An expiry argument as an absolute time in ms, with Redis 7.0's bounds (64-bit milliseconds),
 * or null when out of them. `positive` is SET's rule: zero and negative times are refused too.
 *
 * @example
 * ```ts
 * absoluteMs(10n, 1000, false, Date.now(), true); // ten seconds from now
 * ```
 */
export function absoluteMs(n: bigint, unitMs: number, absolute: boolean, now: number, positive: boolean): number | null {
  if (positive && n <= 0n) return null;
  if (unitMs === 1000 && (n > INT64_MAX / 1000n || n < INT64_MIN / 1000n)) return null;
  const ms = n * BigInt(unitMs);
  if (absolute) return Number(ms);
  if (ms > INT64_MAX - BigInt(now)) return null;
  return Number(ms) + now;
}

/** Turns an EX/PX/EXAT/PXAT argument into an absolute time in ms, or an error. */
function expiryTime(arg: Buffer, unitMs: number, absolute: boolean, now: number, name: string): number | string {
  const n = parseInteger(arg);
  if (n === null) return Errors.notInteger;
  return absoluteMs(n, unitMs, absolute, now, true) ?? Errors.expireTime(name);
}

interface Extended {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expiry: { option: string; arg: Buffer } | null;
}

/** Redis's `parseExtendedStringArgumentsOrReply`: SET's options (`forSet`) or GETEX's. */
function parseExtended(args: Buffer[], from: number, forSet: boolean): Extended | string {
  const o: Extended = { nx: false, xx: false, get: false, keepTtl: false, persist: false, expiry: null };
  for (let i = from; i < args.length; i++) {
    const option = upper(args[i]!);
    const next = i + 1 < args.length;
    const expiry = o.expiry?.option;
    if (option === "NX" && !o.xx && forSet) o.nx = true;
    else if (option === "XX" && !o.nx && forSet) o.xx = true;
    else if (option === "GET" && forSet) o.get = true;
    else if (option === "KEEPTTL" && !o.persist && expiry === undefined && forSet) o.keepTtl = true;
    else if (option === "PERSIST" && !forSet && expiry === undefined && !o.keepTtl) o.persist = true;
    else if (["EX", "PX", "EXAT", "PXAT"].includes(option) && !o.keepTtl && !o.persist && (expiry === undefined || expiry === option) && next) {
      o.expiry = { option, arg: args[++i]! };
    } else return Errors.syntax;
  }
  return o;
}

function expiryOf(o: Extended, now: number, name: string): number | string {
  if (o.expiry === null) return 0;
  const { option, arg } = o.expiry;
  return expiryTime(arg, option.startsWith("E") ? 1000 : 1, option.endsWith("AT"), now, name);
}

/** The live string under `key`, undefined, or WRONG. */
function str(table: Table.Table, key: string, now: number, read = false): Buffer | undefined | typeof WRONG {
  return typed(table, key, now, "string", read);
}

function get(table: Table.Table, args: Buffer[], now: number): Buffer {
  const value = str(table, Table.keyOf(args[1]!), now, true);
  return value === WRONG ? wrongType() : Resp.bulk(value ?? null);
}

function set(table: Table.Table, args: Buffer[], now: number): Buffer {
  const o = parseExtended(args, 3, true);
  if (typeof o === "string") return Resp.error(o);
  const expireAt = expiryOf(o, now, "set");
  if (typeof expireAt === "string") return Resp.error(expireAt);
  const key = Table.keyOf(args[1]!);
  let reply = Resp.OK;
  if (o.get) {
    const old = str(table, key, now, true);
    if (old === WRONG) return wrongType();
    reply = Resp.bulk(old ?? null);
  }
  const old = Table.lookup(table, key, now);
  if ((o.nx && old !== undefined) || (o.xx && old === undefined)) return o.get ? reply : Resp.NULL;
  Table.set(table, key, args[2]!, o.keepTtl ? old?.expireAt ?? 0 : expireAt);
  return reply;
}

function getex(table: Table.Table, args: Buffer[], now: number): Buffer {
  const o = parseExtended(args, 2, false);
  if (typeof o === "string") return Resp.error(o);
  const key = Table.keyOf(args[1]!);
  const value = str(table, key, now, true);
  if (value === undefined) return Resp.NULL;
  if (value === WRONG) return wrongType();
  const expireAt = expiryOf(o, now, "getex");
  if (typeof expireAt === "string") return Resp.error(expireAt);
  if (o.expiry !== null && expireAt <= now) Table.remove(table, key, now);
  else if (o.expiry !== null) Table.setExpire(table, key, expireAt, now);
  else if (o.persist && Table.lookup(table, key, now)!.expireAt !== 0) Table.setExpire(table, key, 0, now);
  return Resp.bulk(value);
}

/** SETEX and PSETEX: SET with an EX or PX that must be valid. */
function setex(unitMs: number, name: string): DataCommand {
  return (table, args, now) => {
    const expireAt = expiryTime(args[2]!, unitMs, false, now, name);
    if (typeof expireAt === "string") return Resp.error(expireAt);
    Table.set(table, Table.keyOf(args[1]!), args[3]!, expireAt);
    return Resp.OK;
  };
}

/** `n`'s decimal digits as a value's bytes (a safe integer), written in place: no string made. */
function integerBytes(n: number): Buffer {
  const negative = n < 0;
  let magnitude = negative ? -n : n;
  let width = 1;
  for (let rest = magnitude; rest >= 10; rest = Math.floor(rest / 10)) width++;
  const sign = negative ? 1 : 0;
  const out = Buffer.allocUnsafe(sign + width);
  if (negative) out[0] = 0x2d;
  for (let i = sign + width - 1; i >= sign; i--, magnitude = Math.floor(magnitude / 10)) out[i] = 0x30 + (magnitude % 10);
  return out;
}

/**
 * The common case of INCR and its kin in plain numbers (no BigInt, no string parsed): `by` has
 * at most 15 digits, and so has the current value (else {@link incrementByBig} is asked); a
 * result that stays exact is inside the 64-bit range too.
 */
function incrementBy(table: Table.Table, key: string, by: number, now: number): Buffer {
  const entry = Table.lookup(table, key, now);
  const old = entry?.value;
  if (old !== undefined && !(old instanceof Uint8Array)) return wrongType();
  const small = old === undefined ? 0 : smallInteger(old);
  if (small !== null) {
    const result = small + by;
    if (Number.isSafeInteger(result)) {
      Table.set(table, key, integerBytes(result), entry?.expireAt ?? 0);
      return Resp.integer(result);
    }
  }
  return incrementByBig(table, key, BigInt(by), now);
}

function incrementByBig(table: Table.Table, key: string, by: bigint, now: number): Buffer {
  const old = str(table, key, now);
  if (old === WRONG) return wrongType();
  const current = old === undefined ? 0n : parseInteger(old);
  if (current === null) return Resp.error(Errors.notInteger);
  const result = current + by;
  if (!inInt64(result)) return Resp.error(Errors.overflow);
  Table.set(table, key, Buffer.from(result.toString()), Table.lookup(table, key, now)?.expireAt ?? 0);
  return Resp.integer(result);
}

function incrBy(sign: 1 | -1, fixed: 1 | null): DataCommand {
  return (table, args, now) => {
    const key = Table.keyOf(args[1]!);
    const quick = fixed ?? smallInteger(args[2]!);
    // 0 - 0 is -0, which would not be a safe integer's spelling: DECRBY k 0 adds 0.
    if (quick !== null) return incrementBy(table, key, quick === 0 ? 0 : sign * quick, now);
    const by = parseInteger(args[2]!);
    if (by === null) return Resp.error(Errors.notInteger);
    if (sign === -1 && by === INT64_MIN) return Resp.error("ERR decrement would overflow");
    return incrementByBig(table, key, BigInt(sign) * by, now);
  };
}

function incrbyfloat(table: Table.Table, args: Buffer[], now: number): Buffer {
  const key = Table.keyOf(args[1]!);
  const old = str(table, key, now);
  if (old === WRONG) return wrongType();
  const value = old === undefined ? parseLongDouble(Buffer.from("0")) : parseLongDouble(old);
  const by = parseLongDouble(args[2]!);
  if (value === null || by === null) return Resp.error(Errors.notFloat);
  const result = addLongDouble(value, by);
  if (isInfinite(result)) return Resp.error(Errors.nanOrInfinity);
  const text = Buffer.from(formatLongDouble(result));
  Table.set(table, key, text, Table.lookup(table, key, now)?.expireAt ?? 0, text.length <= 44 ? "embstr" : "raw");
  return Resp.bulk(text);
}

function append(table: Table.Table, args: Buffer[], now: number): Buffer {
  const key = Table.keyOf(args[1]!);
  const old = str(table, key, now);
  if (old === WRONG) return wrongType();
  const length = (old?.length ?? 0) + args[2]!.length;
  if (length > MAX_STRING) return Resp.error(Errors.tooLong);
  if (old === undefined) {
    Table.set(table, key, args[2]!, 0);
    return Resp.integer(length);
  }
  Table.set(table, key, Buffer.concat([old, args[2]!], length), Table.lookup(table, key, now)!.expireAt, "raw");
  return Resp.integer(length);
}

function getrange(table: Table.Table, args: Buffer[], now: number): Buffer {
  let start = long(args[2]!);
  let end = long(args[3]!);
  if (start === null || end === null) return Resp.error(Errors.notInteger);
  const value = str(table, Table.keyOf(args[1]!), now, true);
  if (value === WRONG) return wrongType();
  if (value === undefined) return Resp.bulk("");
  const length = value.length;
  if (start < 0 && end < 0 && start > end) return Resp.bulk("");
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return Resp.bulk("");
  return Resp.bulk(value.subarray(start, end + 1));
}

function setrange(table: Table.Table, args: Buffer[], now: number): Buffer {
  const offset = long(args[2]!);
  if (offset === null) return Resp.error(Errors.notInteger);
  if (offset < 0) return Resp.error("ERR offset is out of range");
  const key = Table.keyOf(args[1]!);
  const old = str(table, key, now);
  if (old === WRONG) return wrongType();
  const patch = args[3]!;
  if (patch.length === 0) return Resp.integer(old?.length ?? 0);
  if (offset + patch.length > MAX_STRING) return Resp.error(Errors.tooLong);
  const length = Math.max(old?.length ?? 0, offset + patch.length);
  // A new buffer: stored strings are never changed in place (a log rewrite may be writing them).
  const value = Buffer.alloc(length);
  old?.copy(value);
  patch.copy(value, offset);
  Table.set(table, key, value, old === undefined ? 0 : Table.lookup(table, key, now)!.expireAt, "raw");
  return Resp.integer(length);
}

function mset(nx: boolean): DataCommand {
  return (table, args, now) => {
    if (args.length % 2 !== 1) return Resp.error(Errors.arity(nx ? "msetnx" : "mset"));
    if (nx) {
      for (let i = 1; i < args.length; i += 2) if (Table.lookup(table, Table.keyOf(args[i]!), now) !== undefined) return Resp.integer(0);
    }
    Table.setPairs(table, args, 1);
    return nx ? Resp.integer(1) : Resp.OK;
  };
}

/**
 * The string commands.
 *
 * @example
 * ```ts
 * stringCommands.get!.arity; // 2
 * ```
 */
export const stringCommands: CommandTable = {
  get: { arity: 2, run: get },
  set: { arity: -3, run: set },
  setnx: { arity: 3, run(t, a, now) {
    const key = Table.keyOf(a[1]!);
    if (Table.lookup(t, key, now) !== undefined) return Resp.integer(0);
    Table.set(t, key, a[2]!, 0);
    return Resp.integer(1);
  } },
  setex: { arity: 4, run: setex(1000, "setex") },
  psetex: { arity: 4, run: setex(1, "psetex") },
  getset: { arity: 3, run(t, a, now) {
    const key = Table.keyOf(a[1]!);
    const old = str(t, key, now, true);
    if (old === WRONG) return wrongType();
    Table.set(t, key, a[2]!, 0);
    return Resp.bulk(old ?? null);
  } },
  getdel: { arity: 2, run(t, a, now) {
    const key = Table.keyOf(a[1]!);
    const old = str(t, key, now, true);
    if (old === WRONG) return wrongType();
    if (old !== undefined) Table.remove(t, key, now);
    return Resp.bulk(old ?? null);
  } },
  getex: { arity: -2, run: getex },
  incr: { arity: 2, run: incrBy(1, 1) },
  decr: { arity: 2, run: incrBy(-1, 1) },
  incrby: { arity: 3, run: incrBy(1, null) },
  decrby: { arity: 3, run: incrBy(-1, null) },
  incrbyfloat: { arity: 3, run: incrbyfloat },
  append: { arity: 3, run: append },
  strlen: { arity: 2, run(t, a, now) {
    const value = str(t, Table.keyOf(a[1]!), now, true);
    return value === WRONG ? wrongType() : Resp.integer(value?.length ?? 0);
  } },
  getrange: { arity: 4, run: getrange },
  substr: { arity: 4, run: getrange },
  setrange: { arity: 4, run: setrange },
  mget: { arity: -2, run: (t, a, now) => Resp.bulkArray(a.slice(1).map((k) => {
    const value = str(t, Table.keyOf(k), now, true);
    return value === WRONG ? null : value ?? null;
  })) },
  mset: { arity: -3, run: mset(false) },
  msetnx: { arity: -3, run: mset(true) },
};
