/**
 * The storage loop's side of the blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
 * BZPOPMIN, BZPOPMAX, BZMPOP): the clients waiting for a key, first in, first out per key, as in
 * Redis. A client that finds every key empty is registered
 * here with the resolver of an `Eio.Promise` (shared, since its connection may be served by
 * another domain) and its connection waits on the promise under `Eio.Time.withTimeout`.
 *
 * After every command (a whole transaction counting as one, as Redis's
 * `handleClientsBlockedOnKeys`) the loop calls {@link serve}: each waiting key that now holds a
 * list (or sorted set) gives its elements to its waiters of that type in the order they came. The pop goes through
 * `Table.change`, so it is journaled with the batch of the push that woke it: the promise is
 * resolved only after that batch is committed, with the replies, and an element given to a
 * blocked client never comes back after a restart.
 *
 * A waiter is removed by {@link cancel} (its timeout passed, its client left): the loop runs
 * one request at a time, so a waiter is either still here and then takes nothing, or was
 * served before the cancel arrived and its connection knows it from the cancel's answer (and
 * puts the element back if its client has gone).
 * @module
 */
import type * as Eio from "eio-ts";
import { WRONG, typed } from "./data-command.js";
import { Errors } from "./errors.js";
import { formatDouble, parseInteger, parseLongDouble } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";

/**
 * What a served waiter is given: its reply, and the command that puts back what it took (to
 * run if its client left before the reply could be sent).
 *
 * @example
 * ```ts
 * const served: Blocking.Served = { reply: Resp.bulkArray(["q", "job"]), undo: ["LPUSH", "q", "job"].map((a) => Buffer.from(a)) };
 * ```
 */
export interface Served {
  reply: Uint8Array;
  /**
   * LPUSH, RPUSH or ZADD of what was taken, in the order that restores it; none for BLMOVE and
   * BRPOPLPUSH (the element is in its destination) or an error (nothing was taken).
   */
  undo?: Uint8Array[];
}

/**
 * What a blocking command waits for, read from its arguments.
 *
 * @example
 * ```ts
 * const spec: Blocking.Spec = { keys: [Buffer.from("q")], kind: "list", left: true, timeout: 0 };
 * ```
 */
export interface Spec {
  /** Its keys, in the order it named them. */
  keys: Buffer[];
  /** What it waits for: a list (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) or a sorted set (BZPOPMIN, BZPOPMAX, BZMPOP). */
  kind: "list" | "zset";
  /** From the head (BLPOP, LEFT) or the lowest score (BZPOPMIN, MIN); else the tail or the highest. */
  left: boolean;
  /** BLMPOP's and BZMPOP's: at most this many, replied as `[key, [...]]`. */
  count?: number;
  /** BLMOVE's and BRPOPLPUSH's destination and the side it pushes to. */
  target?: { key: Buffer; left: boolean };
  /** In milliseconds; 0: forever. */
  timeout: number;
}

/**
 * A blocked client.
 *
 * @example
 * ```ts
 * const waiter: Blocking.Waiter = { id: "1:7", keys: ["q"], spec, wake };
 * ```
 */
export interface Waiter {
  /** The client's id (unique across domains). */
  id: string;
  /** Its keys as the table names them, once each. */
  keys: string[];
  spec: Spec;
  /** Resolved, once the pop is committed, with what the client is given. */
  wake: Eio.Promise.Resolver<Served>;
}

/**
 * The waiting clients (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const blocked: Blocking.Blocked = Blocking.create();
 * ```
 */
export interface Blocked {
  /** @internal each key's waiters, first come first */ byKey: Map<string, Waiter[]>;
  /** @internal */ byId: Map<string, Waiter>;
  /** @internal served since the last {@link takeWakes} */ wakes: [Eio.Promise.Resolver<Served>, Served][];
}

/**
 * No client waits.
 *
 * @example
 * ```ts
 * const blocked = Blocking.create();
 * ```
 */
export function create(): Blocked {
  return { byKey: new Map(), byId: new Map(), wakes: [] };
}

/**
 * The reply that tells a connection its client is now blocked (no client can get it: it is
 * not RESP).
 *
 * @example
 * ```ts
 * if (Buffer.from(reply).equals(Blocking.BLOCKED)) yield* wait();
 * ```
 */
export const BLOCKED = Buffer.from("\0blocked");

const BLOCKING = new Set(["blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop"]);

/**
 * True for the commands that may block a client.
 *
 * @example
 * ```ts
 * Blocking.isBlocking("blpop"); // true
 * ```
 */
export function isBlocking(name: string): boolean {
  return BLOCKING.has(name);
}

/**
 * A blocking command's timeout as Redis 7.0 reads it (`getTimeoutFromObjectOrReply`, in
 * seconds): a long double, times 1000 and truncated to whole milliseconds (so 0.0009 is 0:
 * forever); below zero, or past a `long long` (as `inf`), is "timeout is negative". Returns
 * the milliseconds (0: forever), or the error's text.
 *
 * @example
 * ```ts
 * Blocking.parseTimeout(Buffer.from("1.5")); // 1500
 * Blocking.parseTimeout(Buffer.from("-1")); // "ERR timeout is negative"
 * ```
 */
export function parseTimeout(arg: Uint8Array): number | string {
  const value = parseLongDouble(arg);
  if (value === null) return "ERR timeout is not a float or out of range";
  if (value.infinite) return "ERR timeout is negative";
  // Multiplied as a double (rounded, as Redis's long double product is: 0.001 is 1 ms), then truncated.
  const ms = Math.trunc(Number(value.m) * 2 ** value.e * 1000);
  // (long long) of a value past its range is LLONG_MIN on x86: negative too.
  if (!Number.isFinite(ms) || ms >= 2 ** 63 || (value.negative && ms > 0)) return "ERR timeout is negative";
  return ms;
}

function side(arg: Buffer, left: string, right: string): boolean | null {
  const text = arg.toString("latin1").toUpperCase();
  return text === left ? true : text === right ? false : null;
}

/** Redis's `getRangeLongFromObjectOrReply(c, o, 1, LONG_MAX, &n, message)`: the number, or null. */
function atLeastOne(arg: Buffer): number | null {
  const n = parseInteger(arg);
  return n === null || n < 1n ? null : Number(n);
}

/**
 * LMPOP's, ZMPOP's, BLMPOP's and BZMPOP's arguments from `numkeysAt` on, checked in Redis 7.0's
 * order (`lmpopGenericCommand`, `zmpopGenericCommand`): numkeys, the side, COUNT (once); the
 * error's text, or the keys, the side and the count (1 if not given).
 */
function parseMpop(args: Buffer[], numkeysAt: number, kind: "list" | "zset"): { keys: Buffer[]; left: boolean; count: number } | string {
  const numkeys = atLeastOne(args[numkeysAt]!);
  if (numkeys === null) return "ERR numkeys should be greater than 0";
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= args.length) return Errors.syntax;
  const left = kind === "list" ? side(args[whereAt]!, "LEFT", "RIGHT") : side(args[whereAt]!, "MIN", "MAX");
  if (left === null) return Errors.syntax;
  let count = -1;
  for (let j = whereAt + 1; j < args.length; j++) {
    if (count === -1 && args[j]!.toString("latin1").toUpperCase() === "COUNT" && j + 1 < args.length) {
      const n = atLeastOne(args[++j]!);
      if (n === null) return "ERR count should be greater than 0";
      count = n;
    } else return Errors.syntax;
  }
  return { keys: args.slice(numkeysAt + 1, whereAt), left, count: count === -1 ? 1 : count };
}

/**
 * Reads blocking command `args` (its arity already checked) in Redis 7.0's order: what it
 * waits for, or the error's text.
 *
 * @example
 * ```ts
 * Blocking.parse(["BLPOP", "q", "1.5"].map((a) => Buffer.from(a))); // { keys: [q], kind: "list", left: true, timeout: 1500 }
 * ```
 */
export function parse(args: Buffer[]): Spec | string {
  const name = args[0]!.toString("latin1").toLowerCase();
  if (name === "blmpop" || name === "bzmpop") {
    const kind = name === "blmpop" ? "list" : "zset";
    const mpop = parseMpop(args, 2, kind);
    if (typeof mpop === "string") return mpop;
    const timeout = parseTimeout(args[1]!);
    return typeof timeout === "string" ? timeout : { ...mpop, kind, timeout };
  }
  let from = true;
  let to = true;
  if (name === "blmove") {
    const a = side(args[3]!, "LEFT", "RIGHT");
    const b = side(args[4]!, "LEFT", "RIGHT");
    if (a === null || b === null) return Errors.syntax;
    [from, to] = [a, b];
  }
  const timeout = parseTimeout(args[args.length - 1]!);
  if (typeof timeout === "string") return timeout;
  if (name === "blmove" || name === "brpoplpush") {
    // BRPOPLPUSH is BLMOVE source destination RIGHT LEFT.
    return { keys: [args[1]!], kind: "list", left: name === "blmove" && from, target: { key: args[2]!, left: name === "brpoplpush" || to }, timeout };
  }
  const left = name === "blpop" || name === "bzpopmin";
  return { keys: args.slice(1, -1), kind: name.startsWith("bz") ? "zset" : "list", left, timeout };
}

/**
 * A blocking command's timeout in milliseconds (0: forever), for a command {@link parse} took.
 *
 * @example
 * ```ts
 * Blocking.timeoutOf(["BLMPOP", "2", "1", "q", "LEFT"].map((a) => Buffer.from(a))); // 2000
 * ```
 */
export function timeoutOf(args: Buffer[]): number {
  const name = args[0]!.toString("latin1").toLowerCase();
  const timeout = parseTimeout(name === "blmpop" || name === "bzmpop" ? args[1]! : args[args.length - 1]!);
  if (typeof timeout === "string") throw new Error(`Blocking.timeoutOf: ${timeout}`);
  return timeout;
}

/** Pops up to `count` of the (non-empty) list or sorted set at `key` for `spec`, journaled; its reply in `spec`'s shape. */
function take(table: Table.Table, key: Buffer, spec: Spec, now: number): Served {
  const count = spec.count ?? 1;
  if (spec.kind === "zset") {
    const zset = typed(table, Table.keyOf(key), now, "zset");
    if (zset === undefined || zset === WRONG) throw new Error("Blocking.take: no sorted set");
    const n = Math.min(count, zset.size);
    const items = spec.left ? zset.slice(0, n) : zset.slice(zset.size - n).reverse();
    const taken = items.map((item) => [Table.keyBytes(item.member), formatDouble(item.score)] as const);
    Table.change(table, { op: "zrem", key, args: taken.map(([member]) => member) });
    const undo = [Buffer.from("ZADD"), key, ...taken.flatMap(([member, score]) => [Buffer.from(score), member])];
    // BZPOPMIN and BZPOPMAX: [key, member, score]; BZMPOP: [key, [[member, score] ...]].
    if (spec.count === undefined) return { reply: Resp.bulkArray([key, taken[0]![0], taken[0]![1]]), undo };
    return { reply: Resp.array([Resp.bulk(key), Resp.array(taken.map((pair) => Resp.bulkArray(pair)))]), undo };
  }
  const list = typed(table, Table.keyOf(key), now, "list");
  if (list === undefined || list === WRONG) throw new Error("Blocking.take: no list");
  const n = Math.min(count, list.length);
  const elements = spec.left ? list.slice(0, n) : list.slice(list.length - n, list.length).reverse();
  Table.change(table, { op: spec.left ? "lpop" : "rpop", key, args: [Buffer.from(String(n))] });
  // Pushed back in reverse, the elements are where they were.
  const undo = [Buffer.from(spec.left ? "LPUSH" : "RPUSH"), key, ...elements.slice().reverse()];
  if (spec.count === undefined) return { reply: Resp.bulkArray([key, elements[0]!]), undo };
  return { reply: Resp.array([Resp.bulk(key), Resp.bulkArray(elements)]), undo };
}

/**
 * What `spec` gets now, journaled: its reply, or null if it finds nothing to take. A key of
 * another type before the first that holds something is WRONGTYPE (for a move: its source,
 * then its destination), as in Redis 7.0.
 */
function attempt(table: Table.Table, spec: Spec, now: number): Served | null {
  const target = spec.target;
  if (target !== undefined) {
    const source = spec.keys[0]!;
    const list = typed(table, Table.keyOf(source), now, "list");
    if (list === WRONG) return { reply: Resp.error(Errors.wrongType) };
    if (list === undefined) return null;
    if (typed(table, Table.keyOf(target.key), now, "list") === WRONG) return { reply: Resp.error(Errors.wrongType) };
    const element = spec.left ? list.get(0)! : list.get(list.length - 1)!;
    Table.change(table, { op: spec.left ? "lpop" : "rpop", key: source, args: [Buffer.from("1")] });
    Table.change(table, { op: target.left ? "lpush" : "rpush", key: target.key, args: [element] });
    return { reply: Resp.bulk(element) };
  }
  for (const key of spec.keys) {
    const value = typed(table, Table.keyOf(key), now, spec.kind);
    if (value === WRONG) return { reply: Resp.error(Errors.wrongType) };
    if (value !== undefined) return take(table, key, spec, now);
  }
  return null;
}

/**
 * A blocking command run without blocking, as Redis runs it inside MULTI: what it finds, or
 * its null (a null bulk string for BLMOVE and BRPOPLPUSH, else a null array).
 *
 * @example
 * ```ts
 * Blocking.runAtOnce(table, ["BLPOP", "q", "0"].map((a) => Buffer.from(a)), Date.now());
 * ```
 */
export function runAtOnce(table: Table.Table, args: Buffer[], now: number): Buffer {
  const spec = parse(args);
  if (typeof spec === "string") return Resp.error(spec);
  const served = attempt(table, spec, now);
  if (served !== null) return Buffer.from(served.reply);
  return spec.target !== undefined ? Resp.NULL : Resp.NULL_ARRAY;
}

/**
 * LMPOP (`kind` list) or ZMPOP (zset): `numkeys key ... LEFT|RIGHT (MIN|MAX) [COUNT count]`,
 * with Redis 7.0's checks and replies: `[key, [...]]` from the first key that holds one, or a
 * null array. It never blocks; it is here for it shares BLMPOP's and BZMPOP's reading and popping.
 *
 * @example
 * ```ts
 * Blocking.mpop(table, ["LMPOP", "1", "q", "LEFT", "COUNT", "2"].map((a) => Buffer.from(a)), Date.now(), "list");
 * ```
 */
export function mpop(table: Table.Table, args: Buffer[], now: number, kind: "list" | "zset"): Buffer {
  const mpopped = parseMpop(args, 1, kind);
  if (typeof mpopped === "string") return Resp.error(mpopped);
  const served = attempt(table, { ...mpopped, kind, timeout: 0 }, now);
  return served === null ? Resp.NULL_ARRAY : Buffer.from(served.reply);
}

/**
 * Runs blocking command `args` for client `id`: its reply if it can be answered now (an
 * element, an error), else the client is registered as waiting on its keys and the reply is
 * {@link BLOCKED}.
 *
 * @example
 * ```ts
 * const reply = Blocking.run(blocked, table, args, Date.now(), "1:7", wake);
 * ```
 */
export function run(blocked: Blocked, table: Table.Table, args: Buffer[], now: number, id: string, wake: Eio.Promise.Resolver<Served>): Buffer {
  const spec = parse(args);
  if (typeof spec === "string") return Resp.error(spec);
  const served = attempt(table, spec, now);
  if (served !== null) return Buffer.from(served.reply);
  // A client has one blocking command at a time: a leftover of a lost connection is replaced.
  cancel(blocked, id);
  const keys = [...new Set(spec.keys.map((key) => Table.keyOf(key)))];
  const waiter: Waiter = { id, keys, spec, wake };
  blocked.byId.set(id, waiter);
  for (const key of keys) {
    let queue = blocked.byKey.get(key);
    if (queue === undefined) blocked.byKey.set(key, (queue = []));
    queue.push(waiter);
  }
  return BLOCKED;
}

function remove(blocked: Blocked, waiter: Waiter): void {
  blocked.byId.delete(waiter.id);
  for (const key of waiter.keys) {
    const queue = blocked.byKey.get(key)!;
    queue.splice(queue.indexOf(waiter), 1);
    if (queue.length === 0) blocked.byKey.delete(key);
  }
}

/**
 * Removes client `id`'s waiter: true if it was waiting (it took nothing), false if it was
 * not (served already, or never blocked).
 *
 * @example
 * ```ts
 * if (!Blocking.cancel(blocked, "1:7")) console.log("served before the cancel");
 * ```
 */
export function cancel(blocked: Blocked, id: string): boolean {
  const waiter = blocked.byId.get(id);
  if (waiter === undefined) return false;
  remove(blocked, waiter);
  return true;
}

/**
 * Gives each waiting key that holds a list its elements, one per waiter, first come first
 * served; each pop is journaled. Called after each command; cheap when no one waits.
 *
 * @example
 * ```ts
 * Commands.execute(table, args, now);
 * Blocking.serve(blocked, table, now);
 * ```
 */
export function serve(blocked: Blocked, table: Table.Table, now: number): void {
  // Again while a pass served someone: a BLMOVE may fill a list others wait for.
  for (let served = true; served && blocked.byKey.size > 0; ) {
    served = false;
    for (const [key, queue] of [...blocked.byKey]) {
      for (;;) {
        const entry = Table.lookup(table, key, now);
        if (entry === undefined) break;
        // Waiters for another type wait on (Redis 7.0 serves a key only to its own type's waiters).
        const type = Table.typeOf(entry.value);
        const waiter = queue.find((w) => w.spec.kind === type);
        if (waiter === undefined) break;
        remove(blocked, waiter);
        served = true;
        blocked.wakes.push([waiter.wake, give(table, Table.keyBytes(key), waiter, now)]);
      }
    }
  }
}

/** What `waiter` is given from `key` (which holds its type). */
function give(table: Table.Table, key: Buffer, waiter: Waiter, now: number): Served {
  const spec = waiter.spec;
  // A move serves from its one source: the key itself.
  if (spec.target === undefined) return take(table, key, spec, now);
  // A destination of another type: the client gets WRONGTYPE and the element stays, as in Redis 7.0.
  return attempt(table, spec, now)!;
}

/**
 * The waiters served since the last call, to wake once their pops are committed.
 *
 * @example
 * ```ts
 * for (const [wake, served] of Blocking.takeWakes(blocked)) Eio.Promise.resolve(wake, served);
 * ```
 */
export function takeWakes(blocked: Blocked): [Eio.Promise.Resolver<Served>, Served][] {
  if (blocked.wakes.length === 0) return [];
  const wakes = blocked.wakes;
  blocked.wakes = [];
  return wakes;
}

/**
 * How many clients wait (INFO's `blocked_clients`).
 *
 * @example
 * ```ts
 * Blocking.count(blocked); // 3
 * ```
 */
export function count(blocked: Blocked): number {
  return blocked.byId.size;
}
