/**
 * The set commands (SADD, SINTER with its STORE form and SINTERCARD, SPOP, SRANDMEMBER, SSCAN, ...), with
 * Redis 7.0's replies and errors. Every change goes through the table, which logs it.
 * @module
 */
import { bytes, type CommandTable, type DataCommand, long, parseCursor, positiveCount, scanReply, signedCount, typed, upper, WRONG, wrongType } from "./data-command.js";
import { Errors } from "./errors.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";
import { SetValue } from "./types/set.js";

function set(table: Table.Table, key: Buffer, now: number, read = false): SetValue | undefined | typeof WRONG {
  return typed(table, Table.keyOf(key), now, "set", read);
}

/** The sets under `keys` (undefined for missing ones), or WRONG if any has another type. */
function sets(table: Table.Table, keys: Buffer[], now: number): (SetValue | undefined)[] | typeof WRONG {
  const out: (SetValue | undefined)[] = [];
  for (const key of keys) {
    const value = set(table, key, now, true);
    if (value === WRONG) return WRONG;
    out.push(value);
  }
  return out;
}

function combine(op: "inter" | "union" | "diff", values: (SetValue | undefined)[]): Set<string> {
  if (op === "inter") {
    if (values.some((v) => v === undefined)) return new Set();
    const sorted = [...(values as SetValue[])].sort((a, b) => a.members.size - b.members.size);
    const out = new Set<string>();
    for (const member of sorted[0]!.members) if (sorted.every((v) => v.members.has(member))) out.add(member);
    return out;
  }
  if (op === "union") {
    const out = new Set<string>();
    for (const value of values) for (const member of value?.members ?? []) out.add(member);
    return out;
  }
  const out = new Set(values[0]?.members ?? []);
  for (const value of values.slice(1)) for (const member of value?.members ?? []) out.delete(member);
  return out;
}

function algebra(op: "inter" | "union" | "diff", store: boolean): DataCommand {
  return (table, args, now) => {
    const values = sets(table, args.slice(store ? 2 : 1), now);
    if (values === WRONG) return wrongType();
    const members = combine(op, values);
    if (!store) return Resp.bulkArray([...members].map(bytes));
    const result = new SetValue();
    for (const member of members) result.add(member);
    const destination = Table.keyOf(args[1]!);
    if (members.size === 0) Table.remove(table, destination, now);
    else Table.put(table, destination, result, 0);
    return Resp.integer(members.size);
  };
}

function pickRandom<T>(items: T[], count: number): T[] {
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (items.length - i));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, count);
}

function spop(table: Table.Table, args: Buffer[], now: number): Buffer {
  if (args.length > 3) return Resp.error(Errors.syntax);
  let count = -1;
  if (args.length === 3) {
    const n = positiveCount(args[2]!);
    if (n === null) return Resp.error(Errors.mustBePositive);
    count = n;
  }
  const value = set(table, args[1]!, now);
  if (value === undefined) return count === -1 ? Resp.NULL : Resp.EMPTY_ARRAY;
  if (value === WRONG) return wrongType();
  if (count === 0) return Resp.EMPTY_ARRAY;
  const chosen = pickRandom([...value.members], Math.min(count === -1 ? 1 : count, value.members.size)).map(bytes);
  // Logged as the members it took: replaying a random choice would choose again.
  Table.change(table, { op: "srem", key: args[1]!, args: chosen });
  return count === -1 ? Resp.bulk(chosen[0]!) : Resp.bulkArray(chosen);
}

function srandmember(table: Table.Table, args: Buffer[], now: number): Buffer {
  if (args.length > 3) return Resp.error(Errors.syntax);
  if (args.length === 2) {
    const value = set(table, args[1]!, now, true);
    if (value === undefined) return Resp.NULL;
    if (value === WRONG) return wrongType();
    return Resp.bulk(bytes(pickRandom([...value.members], 1)[0]!));
  }
  const n = signedCount(args[2]!);
  if (typeof n === "string") return Resp.error(n);
  const value = set(table, args[1]!, now, true);
  if (value === undefined) return Resp.EMPTY_ARRAY;
  if (value === WRONG) return wrongType();
  if (n === 0n) return Resp.EMPTY_ARRAY;
  const members = [...value.members];
  if (n < 0n) return Resp.bulkArray(Array.from({ length: Number(-n) }, () => bytes(members[Math.floor(Math.random() * members.length)]!)));
  return Resp.bulkArray(pickRandom(members, Math.min(Number(n), members.length)).map(bytes));
}

/**
 * SINTERCARD numkeys key [key ...] [LIMIT limit] (Redis 7.0's `sinterCardCommand`): how many
 * members the sets share, counting no further than a non-zero limit; every key is type-checked
 * before a missing one makes the answer 0.
 */
function sintercard(table: Table.Table, args: Buffer[], now: number): Buffer {
  const numkeys = long(args[1]!);
  if (numkeys === null || numkeys < 1) return Resp.error("ERR numkeys should be greater than 0");
  if (numkeys > args.length - 2) return Resp.error("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let i = 2 + numkeys; i < args.length; i++) {
    if (upper(args[i]!) !== "LIMIT" || i + 1 >= args.length) return Resp.error(Errors.syntax);
    const n = long(args[++i]!);
    if (n === null || n < 0) return Resp.error("ERR LIMIT can't be negative");
    limit = n;
  }
  const values = sets(table, args.slice(2, 2 + numkeys), now);
  if (values === WRONG) return wrongType();
  if (values.some((v) => v === undefined)) return Resp.integer(0);
  const sorted = [...(values as SetValue[])].sort((a, b) => a.members.size - b.members.size);
  let count = 0;
  for (const member of sorted[0]!.members) {
    if (!sorted.every((v) => v.members.has(member))) continue;
    if (++count === limit) break;
  }
  return Resp.integer(count);
}

function smove(table: Table.Table, args: Buffer[], now: number): Buffer {
  const source = set(table, args[1]!, now);
  const destination = set(table, args[2]!, now);
  if (source === undefined) return Resp.integer(0);
  if (source === WRONG || destination === WRONG) return wrongType();
  const member = Table.keyOf(args[3]!);
  if (source === destination) return Resp.integer(source.members.has(member) ? 1 : 0);
  if (!source.members.has(member)) return Resp.integer(0);
  Table.change(table, { op: "srem", key: args[1]!, args: [args[3]!] });
  Table.change(table, { op: "sadd", key: args[2]!, args: [args[3]!] });
  return Resp.integer(1);
}

function sscan(table: Table.Table, args: Buffer[], now: number): Buffer {
  const cursor = parseCursor(args[2]!);
  if (cursor === null) return Resp.error(Errors.invalidCursor);
  const value = set(table, args[1]!, now, true);
  if (value === undefined) return Resp.array([Resp.bulk("0"), Resp.EMPTY_ARRAY]);
  if (value === WRONG) return wrongType();
  return scanReply(args, cursor, value.encoding() === "intset", () => [...value.members].map((m) => [m, [bytes(m)]]));
}

/**
 * The set commands.
 *
 * @example
 * ```ts
 * setCommands.sadd!.arity; // -3
 * ```
 */
export const setCommands: CommandTable = {
  sadd: { arity: -3, run(t, a, now) {
    if (set(t, a[1]!, now) === WRONG) return wrongType();
    return Resp.integer(Table.change(t, { op: "sadd", key: a[1]!, args: a.slice(2) }));
  } },
  srem: { arity: -3, run(t, a, now) {
    const value = set(t, a[1]!, now);
    if (value === WRONG) return wrongType();
    return Resp.integer(value === undefined ? 0 : Table.change(t, { op: "srem", key: a[1]!, args: a.slice(2) }));
  } },
  smembers: { arity: 2, run: algebra("inter", false) },
  sismember: { arity: 3, run(t, a, now) {
    const value = set(t, a[1]!, now, true);
    return value === WRONG ? wrongType() : Resp.integer(value?.members.has(Table.keyOf(a[2]!)) ? 1 : 0);
  } },
  smismember: { arity: -3, run(t, a, now) {
    const value = set(t, a[1]!, now, true);
    if (value === WRONG) return wrongType();
    return Resp.array(a.slice(2).map((m) => Resp.integer(value?.members.has(Table.keyOf(m)) ? 1 : 0)));
  } },
  scard: { arity: 2, run(t, a, now) {
    const value = set(t, a[1]!, now, true);
    return value === WRONG ? wrongType() : Resp.integer(value?.members.size ?? 0);
  } },
  sinter: { arity: -2, run: algebra("inter", false) },
  sintercard: { arity: -3, run: sintercard },
  sunion: { arity: -2, run: algebra("union", false) },
  sdiff: { arity: -2, run: algebra("diff", false) },
  sinterstore: { arity: -3, run: algebra("inter", true) },
  sunionstore: { arity: -3, run: algebra("union", true) },
  sdiffstore: { arity: -3, run: algebra("diff", true) },
  smove: { arity: 4, run: smove },
  spop: { arity: -2, run: spop },
  srandmember: { arity: -2, run: srandmember },
  sscan: { arity: -3, run: sscan },
};
