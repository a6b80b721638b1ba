/**
 * What every family of data commands shares: the shape of a command, the context some need,
 * and the typed lookup that answers WRONGTYPE as Redis does.
 * @module
 */
import { crc32 } from "node:zlib";
import { Errors } from "./errors.js";
import * as Glob from "./glob.js";
import { parseInteger } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";
import type { Hash } from "./types/hash.js";
import type { List } from "./types/list.js";
import type { SetValue } from "./types/set.js";
import type { ZSet } from "./types/zset.js";

/**
 * What the commands that report on the server need besides the table: INFO's text.
 *
 * @example
 * ```ts
 * const context: Context = { info: (sections) => Info.render(facts(), sections) };
 * ```
 */
export interface Context {
  /** INFO's reply text for the sections asked for (lower case; empty: the default ones). */
  info(sections: string[]): string;
  /** BGREWRITEAOF: starts a background rewrite of the log; the reply. */
  bgrewriteaof?(): Buffer;
}

/**
 * A data command: arguments (including the name) to the reply bytes.
 *
 * @example
 * ```ts
 * const echo: DataCommand = (_table, args) => Resp.bulk(args[1]!);
 * ```
 */
export type DataCommand = (table: Table.Table, args: Buffer[], now: number, context: Context) => Buffer;

/**
 * A family's commands: lower-case name to Redis's arity (negative: at least that many) and code.
 *
 * @example
 * ```ts
 * const table: CommandTable = { echo: { arity: 2, run: (_t, a) => Resp.bulk(a[1]!) } };
 * ```
 */
export type CommandTable = Record<string, { arity: number; run: DataCommand }>;

/**
 * An argument in upper case (for option names).
 *
 * @example
 * ```ts
 * upper(Buffer.from("nx")); // "NX"
 * ```
 */
export function upper(arg: Buffer): string {
  return arg.toString("latin1").toUpperCase();
}

/**
 * An argument as a number in Redis's `long` range (as `getLongFromObject`), or null.
 *
 * @example
 * ```ts
 * long(Buffer.from("-3")); // -3
 * ```
 */
export function long(arg: Buffer): number | null {
  const n = parseInteger(arg);
  return n === null ? null : Number(n);
}

type Kinds = { string: Buffer; hash: Hash; list: List; set: SetValue; zset: ZSet };

/** What {@link typed} answers for a key holding another type. */
export const WRONG = Symbol("wrong type");

/**
 * The live value of `kind` under `key`: undefined if there is none, {@link WRONG} if the key
 * holds another type. `read` counts the lookup in INFO's hits and misses.
 *
 * @example
 * ```ts
 * const hash = typed(table, "h", now, "hash");
 * if (hash === WRONG) return Resp.error(Errors.wrongType);
 * ```
 */
export function typed<K extends keyof Kinds>(table: Table.Table, key: string, now: number, kind: K, read = false): Kinds[K] | undefined | typeof WRONG {
  const entry = read ? Table.read(table, key, now) : Table.lookup(table, key, now);
  if (entry === undefined) return undefined;
  return Table.typeOf(entry.value) === kind ? (entry.value as Kinds[K]) : WRONG;
}

/**
 * The WRONGTYPE error reply.
 *
 * @example
 * ```ts
 * if (value === WRONG) return wrongType();
 * ```
 */
export function wrongType(): Buffer {
  return Resp.error(Errors.wrongType);
}

/**
 * An array reply of member/score style pairs flattened, as RESP2 sends them.
 *
 * @example
 * ```ts
 * Resp.bulkArray(pairs([["f", Buffer.from("v")]])); // *2 $1 f $1 v
 * ```
 */
export function pairs(entries: Iterable<[string | Buffer, string | Buffer]>): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  for (const [a, b] of entries) out.push(a, b);
  return out;
}

/**
 * A table key or member as the bytes it stands for.
 *
 * @example
 * ```ts
 * bytes("h\u00ff"); // <Buffer 68 ff>
 * ```
 */
export const bytes = Table.keyBytes;

/**
 * The reply to a step of HSCAN, SSCAN or ZSCAN, with Redis's errors: `items` are the
 * collection's entries (each its matchable name and the strings to reply with). A collection
 * in a small encoding is returned whole with cursor 0, as Redis does. A large one is walked in
 * the order of its names' CRC-32, about `COUNT` at a time, the cursor being the next hash to
 * look at: an element's place in that order never changes, so an element present for the whole
 * scan is returned, whatever is added or removed between steps (Redis's guarantee).
 *
 * @example
 * ```ts
 * scanReply(args, 3, hash.fields.size <= 128, items);
 * ```
 */
export function scanReply(args: Buffer[], cursor: number, small: boolean, items: () => [string, (string | Buffer)[]][]): Buffer {
  let pattern: ((name: string) => boolean) | null = null;
  let count = 10;
  for (let i = 3; i < args.length; ) {
    const option = upper(args[i]!);
    if (option === "COUNT" && i + 1 < args.length) {
      const n = parseInteger(args[i + 1]!);
      if (n === null) return Resp.error(Errors.notInteger);
      if (n < 1n) return Resp.error(Errors.syntax);
      count = Number(n > 1_000_000n ? 1_000_000n : n);
      i += 2;
    } else if (option === "MATCH" && i + 1 < args.length) {
      const text = args[i + 1]!.toString("latin1");
      pattern = text === "*" ? null : Glob.compile(text);
      i += 2;
    } else return Resp.error(Errors.syntax);
  }
  let step = items();
  let next = 0;
  if (!small) {
    const hashed = step.map((item) => ({ item, hash: crc32(Buffer.from(item[0], "latin1")) })).filter((h) => h.hash >= cursor);
    hashed.sort((a, b) => a.hash - b.hash);
    // Names that share a hash go in the same step, so that the cursor never splits them.
    let end = Math.min(count, hashed.length);
    while (end < hashed.length && hashed[end]!.hash === hashed[end - 1]!.hash) end++;
    step = hashed.slice(0, end).map((h) => h.item);
    next = end < hashed.length ? hashed[end - 1]!.hash + 1 : 0;
  }
  const out: (string | Buffer)[] = [];
  for (const [name, reply] of step) if (pattern === null || pattern(name)) out.push(...reply);
  return Resp.array([Resp.bulk(String(next)), Resp.bulkArray(out)]);
}

/**
 * A SCAN-family cursor as Redis's `parseScanCursorOrReply` reads it, or null.
 *
 * @example
 * ```ts
 * parseCursor(Buffer.from("0")); // 0
 * ```
 */
export function parseCursor(arg: Buffer): number | null {
  const text = arg.toString("latin1");
  if (!/^[+-]?[0-9]{1,20}$/.test(text)) return null;
  const magnitude = BigInt(text.replace(/^[+-]/, ""));
  if (magnitude > 2n ** 64n - 1n) return null;
  return text.startsWith("-") && magnitude !== 0n ? Number.MAX_SAFE_INTEGER : Math.min(Number(magnitude), Number.MAX_SAFE_INTEGER);
}

/**
 * A count that may be negative but not `LONG_MIN` (Redis's `getRangeLongFromObjectOrReply`
 * from -LONG_MAX to LONG_MAX), or the error to reply.
 *
 * @example
 * ```ts
 * signedCount(Buffer.from("-5")); // -5n
 * ```
 */
export function signedCount(arg: Buffer): bigint | string {
  const n = parseInteger(arg);
  if (n === null) return Errors.notInteger;
  if (n === -(2n ** 63n)) return "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
  return n;
}

/**
 * A count that must be 0 or more (Redis's `getPositiveLongFromObjectOrReply`), or null.
 *
 * @example
 * ```ts
 * positiveCount(Buffer.from("-1")); // null
 * ```
 */
export function positiveCount(arg: Buffer): number | null {
  const n = parseInteger(arg);
  return n === null || n < 0n ? null : Number(n);
}

/**
 * The count of HRANDFIELD and ZRANDMEMBER (`args[2]`) and whether their one option (`word`:
 * WITHVALUES, WITHSCORES) follows, with Redis's errors and its range for a count with the option
 * (so that the reply's size stays within bounds); or the error to reply.
 *
 * @example
 * ```ts
 * randomCount([Buffer.from("ZRANDMEMBER"), Buffer.from("z"), Buffer.from("-2")], "WITHSCORES"); // { count: -2, with: false }
 * ```
 */
export function randomCount(args: Buffer[], word: string): { count: number; with: boolean } | string {
  const n = signedCount(args[2]!);
  if (typeof n === "string") return n;
  if (args.length > 4 || (args.length === 4 && upper(args[3]!) !== word)) return Errors.syntax;
  const withOption = args.length === 4;
  if (withOption && (n < -(2n ** 62n) || n > 2n ** 62n - 1n)) return "ERR value is out of range";
  return { count: Number(n), with: withOption };
}

/**
 * Redis's random pick of HRANDFIELD and ZRANDMEMBER: for a negative count, that many items drawn
 * with repeats; else `count` distinct ones (all when there are fewer), by a partial Fisher-Yates
 * shuffle of `items`, which it reorders.
 *
 * @example
 * ```ts
 * randomPick(["a", "b", "c"], 2); // two distinct of them
 * ```
 */
export function randomPick<T>(items: T[], count: number): T[] {
  if (count < 0) return Array.from({ length: -count }, () => items[Math.floor(Math.random() * items.length)]!);
  const k = Math.min(count, items.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (items.length - i));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, k);
}
