/**
 * The data commands, run by the storage loop against the table: each takes the request's
 * arguments and returns the encoded reply. Unknown names and wrong arity are answered on the
 * connection side (`session.ts`), with Redis's exact messages, before anything is queued.
 *
 * Connection commands (PING, HELLO, CLIENT, ...) live in `session.ts`: they touch no data.
 * @module
 */
import * as Glob from "./glob.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";

/**
 * A data command: arguments (including the name) to the reply bytes.
 *
 * @example
 * ```ts
 * const get: DataCommand = (table, args, now) => Resp.bulk(Table.lookup(table, Table.keyOf(args[1]!), now)?.value ?? null);
 * ```
 */
export type DataCommand = (table: Table.Table, args: Buffer[], now: number, context: Context) => Buffer;

/**
 * What the commands that report on the server need besides the table: INFO's text.
 *
 * @example
 * ```ts
 * const context: Commands.Context = { info: (sections) => Info.render(facts(), sections) };
 * ```
 */
export interface Context {
  /** INFO's reply text for the sections asked for (lower case; empty: the default ones). */
  info(sections: string[]): string;
  /** BGREWRITEAOF: starts a background rewrite of the log; the reply. */
  bgrewriteaof?(): Buffer;
}

const NO_CONTEXT: Context = { info: () => "" };

/**
 * The longest string a value may grow to, as Redis's default `proto-max-bulk-len` (512 MB).
 *
 * @example
 * ```ts
 * Buffer.alloc(Commands.MAX_STRING + 1); // APPEND refuses to make this
 * ```
 */
export const MAX_STRING = 512 * 1024 * 1024;

/**
 * Redis's error replies, word for word.
 *
 * @example
 * ```ts
 * Resp.error(Errors.arity("get")); // -ERR wrong number of arguments for 'get' command
 * ```
 */
export const Errors = {
  syntax: "ERR syntax error",
  notInteger: "ERR value is not an integer or out of range",
  overflow: "ERR increment or decrement would overflow",
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  arity: (name: string) => `ERR wrong number of arguments for '${name}' command`,
  expireTime: (name: string) => `ERR invalid expire time in '${name}' command`,
  unknown(args: Buffer[]): string {
    let rest = "";
    for (let i = 1; i < args.length && rest.length < 128; i++) {
      rest += `'${args[i]!.toString("latin1").slice(0, 128 - rest.length)}' `;
    }
    return `ERR unknown command '${args[0]!.toString("latin1").slice(0, 128)}', with args beginning with: ${rest}`;
  },
} as const;

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * The 64-bit integer spelled by `bytes` (no sign `+`, spaces or leading zeros), or null.
 *
 * @example
 * ```ts
 * parseInteger(Buffer.from("-42")); // -42n
 * parseInteger(Buffer.from("042")); // null
 * ```
 */
export function parseInteger(bytes: Uint8Array): bigint | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  if (!/^(0|-?[1-9][0-9]{0,19})$/.test(text)) return null;
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? null : n;
}

function upper(arg: Buffer): string {
  return arg.toString("latin1").toUpperCase();
}

function get(table: Table.Table, args: Buffer[], now: number): Buffer {
  return Resp.bulk(Table.read(table, Table.keyOf(args[1]!), now)?.value ?? null);
}

/**
 * An expiry argument as an absolute time in ms, with Redis 7.0's bounds (64-bit milliseconds),
 * or null when out of them. `positive` is SET's rule: zero and negative times are refused too.
 */
function absoluteMs(n: bigint, unitMs: number, absolute: boolean, now: number, positive: boolean): number | null {
  if (positive && n <= 0n) return null;
  if (unitMs === 1000 && (n > INT64_MAX / 1000n || n < INT64_MIN / 1000n)) return null;
  const ms = n * BigInt(unitMs);
  if (absolute) return Number(ms);
  if (ms > INT64_MAX - BigInt(now)) return null;
  return Number(ms) + now;
}

/** Turns SET's relative or absolute expiry argument into an absolute time in ms, or an error. */
function expiryTime(arg: Buffer, unitMs: number, absolute: boolean, now: number, name: string): number | string {
  const n = parseInteger(arg);
  if (n === null) return Errors.notInteger;
  return absoluteMs(n, unitMs, absolute, now, true) ?? Errors.expireTime(name);
}

function set(table: Table.Table, args: Buffer[], now: number): Buffer {
  let condition: "NX" | "XX" | null = null;
  let returnOld = false;
  let keepTtl = false;
  let expireAt = 0;
  let expirySeen = false;
  for (let i = 3; i < args.length; i++) {
    const option = upper(args[i]!);
    if ((option === "NX" || option === "XX") && condition === null) condition = option;
    else if (option === "GET") returnOld = true;
    else if (option === "KEEPTTL" && !expirySeen) keepTtl = expirySeen = true;
    else if (["EX", "PX", "EXAT", "PXAT"].includes(option) && !expirySeen && i + 1 < args.length) {
      const time = expiryTime(args[++i]!, option.startsWith("E") ? 1000 : 1, option.endsWith("AT"), now, "set");
      if (typeof time === "string") return Resp.error(time);
      expireAt = time;
      expirySeen = true;
    } else return Resp.error(Errors.syntax);
  }
  const key = Table.keyOf(args[1]!);
  const old = Table.lookup(table, key, now);
  const reply = returnOld ? Resp.bulk(old?.value ?? null) : Resp.OK;
  if ((condition === "NX" && old !== undefined) || (condition === "XX" && old === undefined)) {
    return returnOld ? reply : Resp.NULL;
  }
  Table.set(table, key, args[2]!, keepTtl ? old?.expireAt ?? 0 : expireAt);
  return reply;
}

function incrementBy(table: Table.Table, key: string, by: bigint, now: number): Buffer {
  const old = Table.lookup(table, key, now);
  const current = old === undefined ? 0n : parseInteger(old.value);
  if (current === null) return Resp.error(Errors.notInteger);
  const result = current + by;
  if (result > INT64_MAX || result < INT64_MIN) return Resp.error(Errors.overflow);
  Table.set(table, key, Buffer.from(result.toString()), old?.expireAt ?? 0);
  return Resp.integer(result);
}

function incrBy(sign: 1n | -1n, fixed: bigint | null): DataCommand {
  return (table, args, now) => {
    const by = fixed ?? parseInteger(args[2]!);
    if (by === null) return Resp.error(Errors.notInteger);
    if (sign === -1n && by === INT64_MIN) return Resp.error("ERR decrement would overflow");
    return incrementBy(table, Table.keyOf(args[1]!), sign * by, now);
  };
}

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

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type], with Redis's errors. */
function scan(table: Table.Table, args: Buffer[], now: number): Buffer {
  // As Redis's strtoul: a sign is allowed (a negative cursor wraps around), out of range is not.
  const text = args[1]!.toString("latin1");
  if (!/^[+-]?[0-9]{1,20}$/.test(text)) return Resp.error("ERR invalid cursor");
  const magnitude = BigInt(text.replace(/^[+-]/, ""));
  if (magnitude > 2n ** 64n - 1n) return Resp.error("ERR invalid cursor");
  // Cursors past what this table ever numbered mean nothing is left (Redis never errs on them).
  const cursor = text.startsWith("-") && magnitude !== 0n ? Number.MAX_SAFE_INTEGER : Math.min(Number(magnitude), Number.MAX_SAFE_INTEGER);
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
  // Every key is a string: TYPE anything else matches none (Redis 7.0 does not check the name).
  const keys = type !== null && type !== "string" ? [] : step.keys.filter((key) => matches === null || matches(key));
  return Resp.array([Resp.bulk(String(step.cursor)), Resp.bulkArray(keys.map(Table.keyBytes))]);
}

function append(table: Table.Table, args: Buffer[], now: number): Buffer {
  const key = Table.keyOf(args[1]!);
  const old = Table.lookup(table, key, now);
  const length = (old?.value.length ?? 0) + args[2]!.length;
  if (length > MAX_STRING) return Resp.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  const value = old === undefined ? args[2]! : Buffer.concat([old.value, args[2]!], length);
  Table.set(table, key, value, old?.expireAt ?? 0);
  return Resp.integer(value.length);
}

function flush(table: Table.Table, args: Buffer[]): Buffer {
  if (args.length > 2 || (args.length === 2 && !["ASYNC", "SYNC"].includes(upper(args[1]!)))) {
    return Resp.error(Errors.syntax);
  }
  Table.clear(table);
  return Resp.OK;
}

/**
 * The data commands by lower-case name, with Redis's arity (negative: at least that many).
 *
 * @example
 * ```ts
 * dataCommands.get("set")?.arity; // -3: SET key value [options...]
 * ```
 */
export const dataCommands: ReadonlyMap<string, { arity: number; run: DataCommand }> = new Map<string, { arity: number; run: DataCommand }>([
  ["get", { arity: 2, run: get }],
  ["set", { arity: -3, run: set }],
  ["del", { arity: -2, run: (t, a, now) => Resp.integer(a.slice(1).filter((k) => Table.remove(t, Table.keyOf(k), now)).length) }],
  ["exists", { arity: -2, run: (t, a, now) => Resp.integer(a.slice(1).filter((k) => Table.read(t, Table.keyOf(k), now)).length) }],
  ["incr", { arity: 2, run: incrBy(1n, 1n) }],
  ["decr", { arity: 2, run: incrBy(-1n, 1n) }],
  ["incrby", { arity: 3, run: incrBy(1n, null) }],
  ["decrby", { arity: 3, run: incrBy(-1n, null) }],
  ["append", { arity: 3, run: append }],
  ["strlen", { arity: 2, run: (t, a, now) => Resp.integer(Table.read(t, Table.keyOf(a[1]!), now)?.value.length ?? 0) }],
  ["mget", { arity: -2, run: (t, a, now) => Resp.bulkArray(a.slice(1).map((k) => Table.read(t, Table.keyOf(k), now)?.value ?? null)) }],
  ["mset", { arity: -3, run(t, a) {
    if (a.length % 2 !== 1) return Resp.error(Errors.arity("mset"));
    for (let i = 1; i < a.length; i += 2) Table.set(t, Table.keyOf(a[i]!), a[i + 1]!, 0);
    return Resp.OK;
  } }],
  ["keys", { arity: 2, run(t, a, now) {
    const matches = Glob.compile(a[1]!.toString("latin1"));
    const found: Buffer[] = [];
    for (const key of Table.keys(t, now)) if (matches(key)) found.push(Table.keyBytes(key));
    return Resp.bulkArray(found);
  } }],
  ["scan", { arity: -2, run: scan }],
  ["dbsize", { arity: 1, run: (t) => Resp.integer(Table.size(t)) }],
  // Here rather than with the connection commands: most of what it reports is the store's.
  ["info", { arity: -1, run: (_t, a, _now, context) => Resp.bulk(context.info(a.slice(1).map((s) => s.toString("latin1").toLowerCase()))) }],
  ["bgrewriteaof", { arity: 1, run: (_t, _a, _now, context) => context.bgrewriteaof?.() ?? Resp.error("ERR BGREWRITEAOF is not available here") }],
  ["flushdb", { arity: -1, run: flush }],
  ["flushall", { arity: -1, run: flush }],
  ["expire", { arity: -3, run: expire(1000, false, "expire") }],
  ["pexpire", { arity: -3, run: expire(1, false, "pexpire") }],
  ["expireat", { arity: -3, run: expire(1000, true, "expireat") }],
  ["pexpireat", { arity: -3, run: expire(1, true, "pexpireat") }],
  ["ttl", { arity: 2, run: ttl(1000) }],
  ["pttl", { arity: 2, run: ttl(1) }],
  ["persist", { arity: 2, run(t, a, now) {
    const key = Table.keyOf(a[1]!);
    const entry = Table.lookup(t, key, now);
    return Resp.integer(entry !== undefined && entry.expireAt !== 0 && Table.setExpire(t, key, 0, now) ? 1 : 0);
  } }],
  ["type", { arity: 2, run: (t, a, now) => (Table.read(t, Table.keyOf(a[1]!), now) ? Resp.simple("string") : Resp.simple("none")) }],
]);

/**
 * True when `args` has the number of arguments that `arity` allows (Redis's convention).
 *
 * @example
 * ```ts
 * arityOk(-3, ["SET", "k"]); // false
 * arityOk(2, ["GET", "k"]);  // true
 * ```
 */
export function arityOk(arity: number, args: readonly unknown[]): boolean {
  return arity >= 0 ? args.length === arity : args.length >= -arity;
}

/**
 * Runs one data command and returns the reply bytes. The storage loop calls it; a command that
 * throws (a bug, or a reply too large to build) becomes an error reply, not a crash of the
 * storage domain.
*
 * @example
 * ```ts
 * const args = ["INCR", "n"].map((a) => Buffer.from(a));
 * execute(table, args, Date.now()).toString(); // ":1\r\n"
 * ```
 */
export function execute(table: Table.Table, args: Buffer[], now: number, context: Context = NO_CONTEXT): Buffer {
  const command = dataCommands.get(args[0]!.toString("latin1").toLowerCase());
  if (command === undefined) return Resp.error(Errors.unknown(args));
  if (!arityOk(command.arity, args)) return Resp.error(Errors.arity(args[0]!.toString("latin1").toLowerCase()));
  try {
    return command.run(table, args, now, context);
  } catch (error) {
    return Resp.error(`ERR internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
