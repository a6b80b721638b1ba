/**
 * The hash commands (HSET, HGET, HINCRBY, HRANDFIELD, HSCAN, ...), with Redis 7.0's replies
 * and errors. Every change goes through `Table.change`, which logs it.
 * @module
 */
import { bytes, type CommandTable, pairs, parseCursor, randomCount, randomPick, scanReply, typed, WRONG, wrongType } from "./data-command.js";
import { Errors } from "./errors.js";
import { addLongDouble, formatLongDouble, inInt64, isInfinite, parseInteger, parseLongDouble } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";
import type { Hash } from "./types/hash.js";

function hash(table: Table.Table, key: Buffer, now: number, read = false): Hash | undefined | typeof WRONG {
  return typed(table, Table.keyOf(key), now, "hash", read);
}

function hset(replyOk: boolean, name: string) {
  return (table: Table.Table, args: Buffer[], now: number): Buffer => {
    if (args.length % 2 === 1) return Resp.error(Errors.arity(name));
    if (hash(table, args[1]!, now) === WRONG) return wrongType();
    const added = Table.change(table, { op: "hset", key: args[1]!, args: args.slice(2) });
    return replyOk ? Resp.OK : Resp.integer(added);
  };
}

function hincrby(table: Table.Table, args: Buffer[], now: number): Buffer {
  const by = parseInteger(args[3]!);
  if (by === null) return Resp.error(Errors.notInteger);
  const value = hash(table, args[1]!, now);
  if (value === WRONG) return wrongType();
  const old = value?.fields.get(Table.keyOf(args[2]!));
  const current = old === undefined ? 0n : parseInteger(old);
  if (current === null) return Resp.error("ERR hash value is not an integer");
  const result = current + by;
  if (!inInt64(result)) return Resp.error(Errors.overflow);
  Table.change(table, { op: "hset", key: args[1]!, args: [args[2]!, Buffer.from(result.toString())] });
  return Resp.integer(result);
}

function hincrbyfloat(table: Table.Table, args: Buffer[], now: number): Buffer {
  const by = parseLongDouble(args[3]!);
  if (by === null) return Resp.error(Errors.notFloat);
  if (isInfinite(by)) return Resp.error("ERR value is NaN or Infinity");
  const value = hash(table, args[1]!, now);
  if (value === WRONG) return wrongType();
  const old = value?.fields.get(Table.keyOf(args[2]!));
  const current = parseLongDouble(old ?? Buffer.from("0"));
  if (current === null) return Resp.error("ERR hash value is not a float");
  const result = addLongDouble(current, by);
  if (isInfinite(result)) return Resp.error(Errors.nanOrInfinity);
  const text = Buffer.from(formatLongDouble(result));
  Table.change(table, { op: "hset", key: args[1]!, args: [args[2]!, text] });
  return Resp.bulk(text);
}

function hrandfield(table: Table.Table, args: Buffer[], now: number): Buffer {
  if (args.length === 2) {
    const value = hash(table, args[1]!, now, true);
    if (value === undefined) return Resp.NULL;
    if (value === WRONG) return wrongType();
    const fields = [...value.fields.keys()];
    return Resp.bulk(bytes(fields[Math.floor(Math.random() * fields.length)]!));
  }
  const parsed = randomCount(args, "WITHVALUES");
  if (typeof parsed === "string") return Resp.error(parsed);
  const value = hash(table, args[1]!, now, true);
  if (value === undefined) return Resp.EMPTY_ARRAY;
  if (value === WRONG) return wrongType();
  if (parsed.count === 0) return Resp.EMPTY_ARRAY;
  const chosen = randomPick([...value.fields], parsed.count);
  return Resp.bulkArray(parsed.with ? pairs(chosen.map(([f, v]) => [bytes(f), v])) : chosen.map(([f]) => bytes(f)));
}

function hscan(table: Table.Table, args: Buffer[], now: number): Buffer {
  const cursor = parseCursor(args[2]!);
  if (cursor === null) return Resp.error(Errors.invalidCursor);
  const value = hash(table, args[1]!, now, true);
  if (value === undefined) return Resp.array([Resp.bulk("0"), Resp.EMPTY_ARRAY]);
  if (value === WRONG) return wrongType();
  return scanReply(args, cursor, value.encoding() === "listpack", () => [...value.fields].map(([f, v]) => [f, [bytes(f), v]]));
}

/** A read of the hash under args[1]: the reply for a missing key, or what `then` makes of it. */
function reading(missing: Buffer, then: (value: Hash, args: Buffer[]) => Buffer) {
  return (table: Table.Table, args: Buffer[], now: number): Buffer => {
    const value = hash(table, args[1]!, now, true);
    if (value === WRONG) return wrongType();
    return value === undefined ? missing : then(value, args);
  };
}

/**
 * The hash commands.
 *
 * @example
 * ```ts
 * hashCommands.hset!.arity; // -4
 * ```
 */
export const hashCommands: CommandTable = {
  hset: { arity: -4, run: hset(false, "hset") },
  hmset: { arity: -4, run: hset(true, "hmset") },
  hsetnx: { arity: 4, run(t, a, now) {
    const value = hash(t, a[1]!, now);
    if (value === WRONG) return wrongType();
    if (value?.fields.has(Table.keyOf(a[2]!))) return Resp.integer(0);
    Table.change(t, { op: "hset", key: a[1]!, args: [a[2]!, a[3]!] });
    return Resp.integer(1);
  } },
  hget: { arity: 3, run: reading(Resp.NULL, (h, a) => Resp.bulk(h.fields.get(Table.keyOf(a[2]!)) ?? null)) },
  hmget: { arity: -3, run(t, a, now) {
    const value = hash(t, a[1]!, now, true);
    if (value === WRONG) return wrongType();
    return Resp.bulkArray(a.slice(2).map((f) => value?.fields.get(Table.keyOf(f)) ?? null));
  } },
  hdel: { arity: -3, run(t, a, now) {
    const value = hash(t, a[1]!, now);
    if (value === WRONG) return wrongType();
    if (value === undefined) return Resp.integer(0);
    return Resp.integer(Table.change(t, { op: "hdel", key: a[1]!, args: a.slice(2) }));
  } },
  hgetall: { arity: 2, run: reading(Resp.EMPTY_ARRAY, (h) => Resp.bulkArray(pairs([...h.fields].map(([f, v]) => [bytes(f), v])))) },
  hkeys: { arity: 2, run: reading(Resp.EMPTY_ARRAY, (h) => Resp.bulkArray([...h.fields.keys()].map(bytes))) },
  hvals: { arity: 2, run: reading(Resp.EMPTY_ARRAY, (h) => Resp.bulkArray([...h.fields.values()])) },
  hlen: { arity: 2, run: reading(Resp.integer(0), (h) => Resp.integer(h.fields.size)) },
  hexists: { arity: 3, run: reading(Resp.integer(0), (h, a) => Resp.integer(h.fields.has(Table.keyOf(a[2]!)) ? 1 : 0)) },
  hstrlen: { arity: 3, run: reading(Resp.integer(0), (h, a) => Resp.integer(h.fields.get(Table.keyOf(a[2]!))?.length ?? 0)) },
  hincrby: { arity: 4, run: hincrby },
  hincrbyfloat: { arity: 4, run: hincrbyfloat },
  hrandfield: { arity: -2, run: hrandfield },
  hscan: { arity: -3, run: hscan },
};
