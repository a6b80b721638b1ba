/**
 * The commands about keys whatever their type (DEL, EXISTS, EXPIRE and its kin, TTL, TYPE,
 * RENAME, COPY, SCAN, OBJECT, ...) and about the whole keyspace (KEYS, DBSIZE, FLUSHDB, INFO).
 * @module
 */
import { type CommandTable, type DataCommand, parseCursor, upper } from "./data-command.js";
import { Errors } from "./errors.js";
import * as Glob from "./glob.js";
import { parseInteger } from "./numbers.js";
import * as Resp from "./resp.js";
import { absoluteMs } from "./string-commands.js";
import * as Table from "./table.js";

function expire(unitMs: number, absolute: boolean, name: string): DataCommand {
  return (table, args, now) => {
    // Redis's order: the options are checked before the time.
    const flags = new Set(args.slice(3).map(upper));
    for (const flag of flags) if (!["NX", "XX", "GT", "LT"].includes(flag)) return Resp.error(`ERR Unsupported option ${flag}`);
    if (flags.has("NX") && flags.size > 1) return Resp.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    if (flags.has("GT") && flags.has("LT")) return Resp.error("ERR GT and LT options at the same time are not compatible");
    const n = parseInteger(args[2]!);
    if (n === null) return Resp.error(Errors.notInteger);
    const at = absoluteMs(n, unitMs, absolute, now, false);
    if (at === null) return Resp.error(Errors.expireTime(name));
    const key = Table.keyOf(args[1]!);
    const entry = Table.lookup(table, key, now);
    if (entry === undefined) return Resp.integer(0);
    const current = entry.expireAt === 0 ? Infinity : entry.expireAt;
    if ((flags.has("NX") && entry.expireAt !== 0) || (flags.has("XX") && entry.expireAt === 0)) return Resp.integer(0);
    if ((flags.has("GT") && !(at > current)) || (flags.has("LT") && !(at < current))) return Resp.integer(0);
    if (at <= now) Table.remove(table, key, now);
    else Table.setExpire(table, key, at, now);
    return Resp.integer(1);
  };
}

function ttl(unitMs: number): DataCommand {
  return (table, args, now) => {
    const entry = Table.read(table, Table.keyOf(args[1]!), now);
    if (entry === undefined) return Resp.integer(-2);
    if (entry.expireAt === 0) return Resp.integer(-1);
    return Resp.integer(Math.round((entry.expireAt - now) / unitMs));
  };
}

/**
 * EXPIRETIME and PEXPIRETIME (Redis 7.0): when the key expires, in Unix seconds (rounded as
 * Redis rounds, `(ms + 500) / 1000`) or milliseconds; -1 without an expiry, -2 without the key.
 */
function expiretime(unitMs: number): DataCommand {
  return (table, args, now) => {
    const entry = Table.read(table, Table.keyOf(args[1]!), now);
    if (entry === undefined) return Resp.integer(-2);
    if (entry.expireAt === 0) return Resp.integer(-1);
    return Resp.integer(Math.floor((entry.expireAt + (unitMs === 1 ? 0 : 500)) / unitMs));
  };
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type], with Redis's errors. */
function scan(table: Table.Table, args: Buffer[], now: number): Buffer {
  // Cursors past what this table ever numbered mean nothing is left (Redis never errs on them).
  const cursor = parseCursor(args[1]!);
  if (cursor === null) return Resp.error(Errors.invalidCursor);
  let matches: ((key: string) => boolean) | null = null;
  let count = 10;
  let type: string | null = null;
  for (let i = 2; i < args.length; i++) {
    const option = upper(args[i]!);
    if (i + 1 >= args.length) return Resp.error(Errors.syntax);
    const value = args[++i]!;
    if (option === "MATCH") matches = Glob.compile(value.toString("latin1"));
    else if (option === "COUNT") {
      const n = parseInteger(value);
      if (n === null) return Resp.error(Errors.notInteger);
      if (n < 1n) return Resp.error(Errors.syntax);
      count = Number(n > 1_000_000n ? 1_000_000n : n);
    } else if (option === "TYPE") type = value.toString("latin1").toLowerCase();
    else return Resp.error(Errors.syntax);
  }
  const step = Table.scan(table, cursor, count, now);
  // An unknown TYPE matches nothing (Redis 7.0 does not check the name).
  const keys = step.keys.filter((key) => (matches === null || matches(key)) && (type === null || Table.typeOf(table.entries.get(key)!.value) === type));
  return Resp.array([Resp.bulk(String(step.cursor)), Resp.bulkArray(keys.map(Table.keyBytes))]);
}

function flush(table: Table.Table, args: Buffer[]): Buffer {
  if (args.length > 2 || (args.length === 2 && !["ASYNC", "SYNC"].includes(upper(args[1]!)))) {
    return Resp.error(Errors.syntax);
  }
  Table.clear(table);
  return Resp.OK;
}

function rename(nx: boolean): DataCommand {
  return (table, args, now) => {
    const key = Table.keyOf(args[1]!);
    const target = Table.keyOf(args[2]!);
    if (Table.lookup(table, key, now) === undefined) return Resp.error(Errors.noKey);
    if (key === target) return nx ? Resp.integer(0) : Resp.OK;
    if (nx && Table.lookup(table, target, now) !== undefined) return Resp.integer(0);
    Table.change(table, { op: "rename", key: args[1]!, args: [args[2]!] });
    return nx ? Resp.integer(1) : Resp.OK;
  };
}

function copy(table: Table.Table, args: Buffer[], now: number): Buffer {
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const option = upper(args[i]!);
    if (option === "REPLACE") replace = true;
    else if (option === "DB" && i + 1 < args.length) {
      const db = parseInteger(args[++i]!);
      if (db === null || db > 2147483647n || db < -2147483648n) return Resp.error(Errors.notInteger);
      if (db !== 0n) return Resp.error("ERR DB index is out of range");
    } else return Resp.error(Errors.syntax);
  }
  const key = Table.keyOf(args[1]!);
  const target = Table.keyOf(args[2]!);
  if (key === target) return Resp.error("ERR source and destination objects are the same");
  const entry = Table.read(table, key, now);
  if (entry === undefined) return Resp.integer(0);
  if (Table.lookup(table, target, now) !== undefined && !replace) return Resp.integer(0);
  Table.put(table, target, Table.cloneValue(entry.value), entry.expireAt);
  if (entry.hint !== undefined) Table.lookup(table, target, now)!.hint = entry.hint;
  return Resp.integer(1);
}

/** OBJECT ENCODING's answer for a string: as Redis's `tryObjectEncoding` would store it. */
function stringEncoding(entry: Table.Entry): string {
  const value = entry.value as Buffer;
  if (entry.hint !== undefined) return entry.hint;
  if (value.length <= 20 && parseInteger(value) !== null) return "int";
  return value.length <= 44 ? "embstr" : "raw";
}

function object(table: Table.Table, args: Buffer[], now: number): Buffer {
  const sub = args[1]!.toString("latin1").toLowerCase();
  const arity: Record<string, number> = { encoding: 3, refcount: 3, idletime: 3, freq: 3, help: 2 };
  if (arity[sub] === undefined) return Resp.error(Errors.unknownSubcommand(args[1]!, "object"));
  if (args.length !== arity[sub]) return Resp.error(Errors.arity(`object|${sub}`));
  if (sub === "help") {
    return Resp.bulkArray([
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Print this help.",
    ]);
  }
  const entry = Table.lookup(table, Table.keyOf(args[2]!), now);
  if (entry === undefined) return Resp.NULL;
  if (sub === "encoding") {
    const value = entry.value;
    return Resp.bulk(value instanceof Uint8Array ? stringEncoding(entry) : value.kind === "list" ? "quicklist" : value.encoding());
  }
  if (sub === "refcount") {
    // Redis shares the integers 0 to 9999 between all keys that hold them.
    const shared = entry.value instanceof Uint8Array && stringEncoding(entry) === "int" && Number(entry.value) >= 0 && Number(entry.value) < 10000;
    return Resp.integer(shared ? 2147483647 : 1);
  }
  if (sub === "idletime") return Resp.integer(0);
  return Resp.error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
}

function randomKey(table: Table.Table, _args: Buffer[], now: number): Buffer {
  // A few tries at a random place in the scan order, then a walk (expired keys are dropped on the way).
  const order = table.order;
  for (let tries = 0; tries < 16 && order.length > 0; tries++) {
    const key = order[Math.floor(Math.random() * order.length)];
    if (key !== undefined && Table.lookup(table, key, now) !== undefined) return Resp.bulk(Table.keyBytes(key));
  }
  for (const key of Table.keys(table, now)) return Resp.bulk(Table.keyBytes(key));
  return Resp.NULL;
}

/**
 * The key and keyspace commands.
 *
 * @example
 * ```ts
 * keyCommands.rename!.arity; // 3
 * ```
 */
export const keyCommands: CommandTable = {
  del: { arity: -2, run: (t, a, now) => Resp.integer(a.slice(1).filter((k) => Table.remove(t, Table.keyOf(k), now)).length) },
  unlink: { arity: -2, run: (t, a, now) => Resp.integer(a.slice(1).filter((k) => Table.remove(t, Table.keyOf(k), now)).length) },
  exists: { arity: -2, run: (t, a, now) => Resp.integer(a.slice(1).filter((k) => Table.read(t, Table.keyOf(k), now)).length) },
  touch: { arity: -2, run: (t, a, now) => Resp.integer(a.slice(1).filter((k) => Table.read(t, Table.keyOf(k), now)).length) },
  keys: { arity: 2, run(t, a, now) {
    const matches = Glob.compile(a[1]!.toString("latin1"));
    const found: Buffer[] = [];
    for (const key of Table.keys(t, now)) if (matches(key)) found.push(Table.keyBytes(key));
    return Resp.bulkArray(found);
  } },
  scan: { arity: -2, run: scan },
  randomkey: { arity: 1, run: randomKey },
  dbsize: { arity: 1, run: (t) => Resp.integer(Table.size(t)) },
  // Here rather than with the connection commands: most of what it reports is the store's.
  info: { arity: -1, run: (_t, a, _now, context) => Resp.bulk(context.info(a.slice(1).map((s) => s.toString("latin1").toLowerCase()))) },
  bgrewriteaof: { arity: 1, run: (_t, _a, _now, context) => context.bgrewriteaof?.() ?? Resp.error("ERR BGREWRITEAOF is not available here") },
  flushdb: { arity: -1, run: flush },
  flushall: { arity: -1, run: flush },
  expire: { arity: -3, run: expire(1000, false, "expire") },
  pexpire: { arity: -3, run: expire(1, false, "pexpire") },
  expireat: { arity: -3, run: expire(1000, true, "expireat") },
  pexpireat: { arity: -3, run: expire(1, true, "pexpireat") },
  ttl: { arity: 2, run: ttl(1000) },
  pttl: { arity: 2, run: ttl(1) },
  expiretime: { arity: 2, run: expiretime(1000) },
  pexpiretime: { arity: 2, run: expiretime(1) },
  persist: { arity: 2, run(t, a, now) {
    const key = Table.keyOf(a[1]!);
    const entry = Table.lookup(t, key, now);
    return Resp.integer(entry !== undefined && entry.expireAt !== 0 && Table.setExpire(t, key, 0, now) ? 1 : 0);
  } },
  type: { arity: 2, run(t, a, now) {
    const entry = Table.read(t, Table.keyOf(a[1]!), now);
    return Resp.simple(entry === undefined ? "none" : Table.typeOf(entry.value));
  } },
  rename: { arity: 3, run: rename(false) },
  renamenx: { arity: 3, run: rename(true) },
  copy: { arity: -3, run: copy },
  object: { arity: -2, run: object },
};
