/**
 * The list commands (LPUSH, RPOP, LRANGE, LPOS, LMOVE, ...), with Redis 7.0's replies and
 * errors. Every change goes through `Table.change`, which logs it as a deterministic effect
 * (indexes already made non-negative).
 * @module
 */
import * as Blocking from "./blocking.js";
import { type CommandTable, type DataCommand, long, positiveCount, typed, upper, WRONG, wrongType } from "./data-command.js";
import { Errors } from "./errors.js";
import { parseInteger } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";
import type { List } from "./types/list.js";

function list(table: Table.Table, key: Buffer, now: number, read = false): List | undefined | typeof WRONG {
  return typed(table, Table.keyOf(key), now, "list", read);
}

function push(op: "lpush" | "rpush", onlyExisting: boolean): DataCommand {
  return (table, args, now) => {
    const value = list(table, args[1]!, now);
    if (value === WRONG) return wrongType();
    if (value === undefined && onlyExisting) return Resp.integer(0);
    return Resp.integer(Table.change(table, { op, key: args[1]!, args: args.slice(2) }));
  };
}

/** Pops `count` elements from one end, logged, returning them in pop order. */
function popElements(table: Table.Table, key: Buffer, value: List, left: boolean, count: number): Buffer[] {
  const n = Math.min(count, value.length);
  const popped = n === 1 ? [value.get(left ? 0 : value.length - 1)!] : left ? value.slice(0, n) : value.slice(value.length - n, value.length).reverse();
  Table.change(table, { op: left ? "lpop" : "rpop", key, args: [countBytes(n)] });
  return popped;
}

/** The counts logged most (a pop of one), made once. */
const SMALL_COUNTS = Array.from({ length: 16 }, (_, n) => Buffer.from(String(n)));

/** A pop's count as its record's argument: the log keeps it, so it is never changed. */
function countBytes(n: number): Buffer {
  return n < SMALL_COUNTS.length ? SMALL_COUNTS[n]! : Buffer.from(String(n));
}

function pop(left: boolean, name: string): DataCommand {
  return (table, args, now) => {
    if (args.length > 3) return Resp.error(Errors.arity(name));
    let count = -1;
    if (args.length === 3) {
      const n = positiveCount(args[2]!);
      if (n === null) return Resp.error(Errors.mustBePositive);
      count = n;
    }
    const value = list(table, args[1]!, now);
    if (value === undefined) return count === -1 ? Resp.NULL : Resp.NULL_ARRAY;
    if (value === WRONG) return wrongType();
    if (count === 0) return Resp.EMPTY_ARRAY;
    if (count === -1) return Resp.bulk(popElements(table, args[1]!, value, left, 1)[0]!);
    return Resp.bulkArray(popElements(table, args[1]!, value, left, count));
  };
}

function lrange(table: Table.Table, args: Buffer[], now: number): Buffer {
  let start = long(args[2]!);
  let end = long(args[3]!);
  if (start === null || end === null) return Resp.error(Errors.notInteger);
  const value = list(table, args[1]!, now, true);
  if (value === undefined) return Resp.EMPTY_ARRAY;
  if (value === WRONG) return wrongType();
  const length = value.length;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start >= length || start > end) return Resp.EMPTY_ARRAY;
  if (end >= length) end = length - 1;
  return Resp.bulkArray(value.slice(start, end + 1));
}

function lindex(table: Table.Table, args: Buffer[], now: number): Buffer {
  const value = list(table, args[1]!, now, true);
  if (value === undefined) return Resp.NULL;
  if (value === WRONG) return wrongType();
  const index = long(args[2]!);
  if (index === null) return Resp.error(Errors.notInteger);
  return Resp.bulk(value.get(index < 0 ? value.length + index : index) ?? null);
}

function lset(table: Table.Table, args: Buffer[], now: number): Buffer {
  const value = list(table, args[1]!, now);
  if (value === undefined) return Resp.error(Errors.noKey);
  if (value === WRONG) return wrongType();
  let index = long(args[2]!);
  if (index === null) return Resp.error(Errors.notInteger);
  if (index < 0) index += value.length;
  if (index < 0 || index >= value.length) return Resp.error(Errors.indexOutOfRange);
  Table.change(table, { op: "lset", key: args[1]!, args: [Buffer.from(String(index)), args[3]!] });
  return Resp.OK;
}

function ltrim(table: Table.Table, args: Buffer[], now: number): Buffer {
  let start = long(args[2]!);
  let end = long(args[3]!);
  if (start === null || end === null) return Resp.error(Errors.notInteger);
  const value = list(table, args[1]!, now);
  if (value === undefined) return Resp.OK;
  if (value === WRONG) return wrongType();
  const length = value.length;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  let keep: [number, number];
  if (start > end || start >= length) keep = [0, 0];
  else keep = [start, Math.min(end, length - 1) + 1];
  // Logged even when it keeps everything: Redis signals the key as modified all the same (WATCH).
  Table.change(table, { op: "ltrim", key: args[1]!, args: keep.map((n) => Buffer.from(String(n))) });
  return Resp.OK;
}

function lrem(table: Table.Table, args: Buffer[], now: number): Buffer {
  const count = long(args[2]!);
  if (count === null) return Resp.error(Errors.notInteger);
  const value = list(table, args[1]!, now);
  if (value === undefined) return Resp.integer(0);
  if (value === WRONG) return wrongType();
  return Resp.integer(Table.change(table, { op: "lrem", key: args[1]!, args: [Buffer.from(String(count)), args[3]!] }));
}

function linsert(table: Table.Table, args: Buffer[], now: number): Buffer {
  const where = upper(args[2]!);
  if (where !== "BEFORE" && where !== "AFTER") return Resp.error(Errors.syntax);
  const value = list(table, args[1]!, now);
  if (value === undefined) return Resp.integer(0);
  if (value === WRONG) return wrongType();
  return Resp.integer(Table.change(table, { op: "linsert", key: args[1]!, args: [Buffer.from(where.toLowerCase()), args[3]!, args[4]!] }));
}

function lpos(table: Table.Table, args: Buffer[], now: number): Buffer {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let i = 3; i < args.length; i++) {
    const option = upper(args[i]!);
    const more = i + 1 < args.length;
    if (option === "RANK" && more) {
      const n = parseInteger(args[++i]!);
      if (n === null) return Resp.error(Errors.notInteger);
      if (n === 0n) {
        return Resp.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      }
      // -LONG_MIN overflows to itself in Redis: from the tail, and every match is past the rank.
      rank = n === -(2n ** 63n) ? -1 : Number(n);
    } else if (option === "COUNT" && more) {
      const n = positiveCount(args[++i]!);
      if (n === null) return Resp.error("ERR COUNT can't be negative");
      count = n;
    } else if (option === "MAXLEN" && more) {
      const n = positiveCount(args[++i]!);
      if (n === null) return Resp.error("ERR MAXLEN can't be negative");
      maxlen = n;
    } else return Resp.error(Errors.syntax);
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const value = list(table, args[1]!, now, true);
  if (value === undefined) return count !== -1 ? Resp.EMPTY_ARRAY : Resp.NULL;
  if (value === WRONG) return wrongType();
  const element = args[2]!;
  const found: number[] = [];
  let matches = 0;
  for (let n = 0; n < value.length && (maxlen === 0 || n < maxlen); n++) {
    const index = fromTail ? value.length - 1 - n : n;
    if (!value.get(index)!.equals(element)) continue;
    matches++;
    if (matches < rank) continue;
    found.push(index);
    if (count === -1 || (count !== 0 && matches - rank + 1 >= count)) break;
  }
  if (count !== -1) return Resp.array(found.map((i) => Resp.integer(i)));
  return found.length > 0 ? Resp.integer(found[0]!) : Resp.NULL;
}

function side(arg: Buffer): "LEFT" | "RIGHT" | null {
  const text = upper(arg);
  return text === "LEFT" || text === "RIGHT" ? text : null;
}

function move(table: Table.Table, source: Buffer, destination: Buffer, from: "LEFT" | "RIGHT", to: "LEFT" | "RIGHT", now: number): Buffer {
  const value = list(table, source, now);
  if (value === undefined) return Resp.NULL;
  if (value === WRONG) return wrongType();
  if (list(table, destination, now) === WRONG) return wrongType();
  const [element] = popElements(table, source, value, from === "LEFT", 1);
  Table.change(table, { op: to === "LEFT" ? "lpush" : "rpush", key: destination, args: [element!] });
  return Resp.bulk(element!);
}

/**
 * The list commands.
 *
 * @example
 * ```ts
 * listCommands.lpush!.arity; // -3
 * ```
 */
export const listCommands: CommandTable = {
  lpush: { arity: -3, run: push("lpush", false) },
  rpush: { arity: -3, run: push("rpush", false) },
  lpushx: { arity: -3, run: push("lpush", true) },
  rpushx: { arity: -3, run: push("rpush", true) },
  lpop: { arity: -2, run: pop(true, "lpop") },
  rpop: { arity: -2, run: pop(false, "rpop") },
  lrange: { arity: 4, run: lrange },
  llen: { arity: 2, run(t, a, now) {
    const value = list(t, a[1]!, now, true);
    return value === WRONG ? wrongType() : Resp.integer(value?.length ?? 0);
  } },
  lindex: { arity: 3, run: lindex },
  lset: { arity: 4, run: lset },
  lrem: { arity: 4, run: lrem },
  ltrim: { arity: 4, run: ltrim },
  linsert: { arity: 5, run: linsert },
  lpos: { arity: -3, run: lpos },
  lmove: { arity: 5, run(t, a, now) {
    const from = side(a[3]!);
    const to = side(a[4]!);
    if (from === null || to === null) return Resp.error(Errors.syntax);
    return move(t, a[1]!, a[2]!, from, to, now);
  } },
  // Without blocking (inside MULTI); a client that may block is served by blocking.ts.
  blpop: { arity: -3, run: Blocking.runAtOnce },
  brpop: { arity: -3, run: Blocking.runAtOnce },
  blmove: { arity: 6, run: Blocking.runAtOnce },
  brpoplpush: { arity: 4, run: Blocking.runAtOnce },
  blmpop: { arity: -5, run: Blocking.runAtOnce },
  rpoplpush: { arity: 3, run: (t, a, now) => move(t, a[1]!, a[2]!, "RIGHT", "LEFT", now) },
  lmpop: { arity: -4, run: (t, a, now) => Blocking.mpop(t, a, now, "list") },
};
