/**
 * The storage loop's side of the blocking pops (BLPOP, BRPOP, BLMOVE, BZPOPMIN, BZPOPMAX): the
 * clients waiting for a key,
 * first in, first out per key, as in Redis. A client that finds every key empty is registered
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
import { formatDouble, parseLongDouble } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";

/**
 * What a served waiter is given: its reply, and what it took (to put it back if its client
 * left before the reply could be sent).
 *
 * @example
 * ```ts
 * const served: Blocking.Served = { reply: Resp.bulkArray(["q", "job"]), key: Buffer.from("q"), element: Buffer.from("job"), left: true };
 * ```
 */
export interface Served {
  reply: Uint8Array;
  key: Uint8Array;
  element: Uint8Array;
  /** Taken from the head (BLPOP), else from the tail. */
  left: boolean;
  /** BZPOPMIN's and BZPOPMAX's: the member's score, as replied (to put it back with ZADD). */
  score?: string;
  /** BLMOVE's: the element is in its destination list (nothing to put back), or was not taken (an error). */
  kept?: boolean;
}

/**
 * A blocked client.
 *
 * @example
 * ```ts
 * const waiter: Blocking.Waiter = { id: "1:7", keys: ["q"], left: true, kind: "list", wake };
 * ```
 */
export interface Waiter {
  /** The client's id (unique across domains). */
  id: string;
  /** Its keys, in the order it named them. */
  keys: string[];
  /** BLPOP (from the head) or BRPOP (from the tail); BLMOVE's source side. */
  left: boolean;
  /** What it waits for: a list (BLPOP, BRPOP, BLMOVE) or a sorted set (BZPOPMIN: `left`, BZPOPMAX). */
  kind: "list" | "zset";
  /** BLMOVE's destination and the side it pushes to. */
  target?: { key: Buffer; left: boolean };
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

/** The commands that block, by lower-case name: from the head or not. */
const POPS: ReadonlyMap<string, boolean> = new Map([["blpop", true], ["brpop", false], ["blmove", true], ["bzpopmin", true], ["bzpopmax", false]]);

/**
 * True for the commands that may block a client.
 *
 * @example
 * ```ts
 * Blocking.isBlocking("blpop"); // true
 * ```
 */
export function isBlocking(name: string): boolean {
  return POPS.has(name);
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

/**
 * BLPOP or BRPOP without blocking (as Redis runs it inside MULTI): the first key, in the order
 * given, holding a list gives its head (or tail); a key of another type before it is
 * WRONGTYPE; none: a null array.
 *
 * @example
 * ```ts
 * Blocking.pop(table, ["BLPOP", "q", "0"].map((a) => Buffer.from(a)), Date.now(), true);
 * ```
 */
export function pop(table: Table.Table, args: Buffer[], now: number, left: boolean, kind: "list" | "zset" = "list"): Buffer {
  const timeout = parseTimeout(args[args.length - 1]!);
  if (typeof timeout === "string") return Resp.error(timeout);
  for (let i = 1; i < args.length - 1; i++) {
    const value = typed(table, Table.keyOf(args[i]!), now, kind);
    if (value === WRONG) return Resp.error(Errors.wrongType);
    if (value !== undefined) return Buffer.from((kind === "list" ? take(table, args[i]!, left, now) : takeMember(table, args[i]!, left, now)).reply);
  }
  return Resp.NULL_ARRAY;
}

/** Pops the lowest (or highest) member of the (non-empty) sorted set at `key`, journaled. */
function takeMember(table: Table.Table, key: Uint8Array, min: boolean, now: number): Served {
  const keyBuffer = Buffer.from(key.buffer, key.byteOffset, key.length);
  const zset = typed(table, Table.keyOf(keyBuffer), now, "zset");
  if (zset === undefined || zset === WRONG) throw new Error("Blocking.takeMember: no sorted set");
  const item = min ? zset.items[0]! : zset.items[zset.items.length - 1]!;
  const member = Table.keyBytes(item.member);
  const score = formatDouble(item.score);
  Table.change(table, { op: "zrem", key: keyBuffer, args: [member] });
  return { reply: Resp.bulkArray([keyBuffer, member, score]), key: keyBuffer, element: member, left: min, score };
}

/** Pops one element of the (non-empty) list at `key`, journaled. */
function take(table: Table.Table, key: Uint8Array, left: boolean, now: number): Served {
  const keyBuffer = Buffer.from(key.buffer, key.byteOffset, key.length);
  const list = typed(table, Table.keyOf(keyBuffer), now, "list");
  if (list === undefined || list === WRONG) throw new Error("Blocking.take: no list");
  const element = left ? list.get(0)! : list.get(list.length - 1)!;
  Table.change(table, { op: left ? "lpop" : "rpop", key: keyBuffer, args: [Buffer.from("1")] });
  return { reply: Resp.bulkArray([keyBuffer, element]), key: keyBuffer, element, left };
}

function side(arg: Buffer): boolean | null {
  const text = arg.toString("latin1").toUpperCase();
  return text === "LEFT" ? true : text === "RIGHT" ? false : null;
}

/** Moves one element from the (non-empty) list at `source` to `destination` (a list or nothing), journaled. */
function moveOne(table: Table.Table, source: Buffer, destination: Buffer, from: boolean, to: boolean, now: number): Buffer {
  const list = typed(table, Table.keyOf(source), now, "list");
  if (list === undefined || list === WRONG) throw new Error("Blocking.moveOne: no list");
  const element = from ? list.get(0)! : list.get(list.length - 1)!;
  Table.change(table, { op: from ? "lpop" : "rpop", key: source, args: [Buffer.from("1")] });
  Table.change(table, { op: to ? "lpush" : "rpush", key: destination, args: [element] });
  return element;
}

/**
 * BLMOVE without blocking (as inside MULTI): the sides, then the timeout, then the source's
 * type are checked, as Redis 7.0 does; an empty source is a null bulk string; else LMOVE.
 *
 * @example
 * ```ts
 * Blocking.move(table, ["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"].map((a) => Buffer.from(a)), Date.now());
 * ```
 */
export function move(table: Table.Table, args: Buffer[], now: number): Buffer {
  const from = side(args[3]!);
  const to = side(args[4]!);
  if (from === null || to === null) return Resp.error(Errors.syntax);
  const timeout = parseTimeout(args[5]!);
  if (typeof timeout === "string") return Resp.error(timeout);
  const source = typed(table, Table.keyOf(args[1]!), now, "list");
  if (source === WRONG) return Resp.error(Errors.wrongType);
  if (source === undefined) return Resp.NULL;
  if (typed(table, Table.keyOf(args[2]!), now, "list") === WRONG) return Resp.error(Errors.wrongType);
  return Resp.bulk(moveOne(table, args[1]!, args[2]!, from, to, now));
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
  const name = args[0]!.toString("latin1").toLowerCase();
  const isMove = name === "blmove";
  const left = isMove ? side(args[3]!) === true : POPS.get(name)!;
  const kind = name.startsWith("bz") ? "zset" : "list";
  const reply = isMove ? move(table, args, now) : pop(table, args, now, left, kind);
  if (reply !== (isMove ? Resp.NULL : Resp.NULL_ARRAY)) return reply;
  // A client has one blocking command at a time: a leftover of a lost connection is replaced.
  cancel(blocked, id);
  const keys = isMove ? [Table.keyOf(args[1]!)] : [...new Set(args.slice(1, -1).map((key) => Table.keyOf(key)))];
  const waiter: Waiter = { id, keys, left, kind, wake };
  if (isMove) waiter.target = { key: args[2]!, left: side(args[4]!) === true };
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
        const waiter = queue.find((w) => w.kind === type);
        if (waiter === undefined) break;
        remove(blocked, waiter);
        served = true;
        blocked.wakes.push([waiter.wake, give(table, Table.keyBytes(key), waiter, now)]);
      }
    }
  }
}

function give(table: Table.Table, key: Buffer, waiter: Waiter, now: number): Served {
  const target = waiter.target;
  if (waiter.kind === "zset") return takeMember(table, key, waiter.left, now);
  if (target === undefined) return take(table, key, waiter.left, now);
  const empty = Buffer.alloc(0);
  // A destination of another type: the client gets WRONGTYPE and the element stays, as in Redis 7.0.
  if (typed(table, Table.keyOf(target.key), now, "list") === WRONG) return { reply: Resp.error(Errors.wrongType), key, element: empty, left: waiter.left, kept: true };
  const element = moveOne(table, key, target.key, waiter.left, target.left, now);
  return { reply: Resp.bulk(element), key, element, left: waiter.left, kept: true };
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
