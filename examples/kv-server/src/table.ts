/**
 * The in-memory table: string keys to values (byte strings, hashes, lists, sets and sorted sets)
 * with optional expiry times. Every
 * change is also encoded as a log record into the table's journal, which the storage loop
 * writes out (and fsyncs) before any reply about it is sent.
 *
 * Keys are kept as latin1 strings, one character per byte, so any binary key round-trips.
 * @module
 */
import * as Log from "./log.js";
import { Hash } from "./types/hash.js";
import { List } from "./types/list.js";
import { SetValue } from "./types/set.js";
import { ZSet } from "./types/zset.js";

/**
 * A stored value: a byte string (a Buffer) or one of the collections.
 *
 * @example
 * ```ts
 * const value: Table.Value = Buffer.from("v");
 * ```
 */
export type Value = Buffer | Hash | List | SetValue | ZSet;

/**
 * TYPE's name for a value.
 *
 * @example
 * ```ts
 * Table.typeOf(Buffer.from("v")); // "string"
 * ```
 */
export function typeOf(value: Value): "string" | "hash" | "list" | "set" | "zset" {
  return value instanceof Uint8Array ? "string" : value.kind;
}

/**
 * A stored value; `expireAt` is milliseconds since the epoch, 0 for no expiry.
 *
 * @example
 * ```ts
 * const entry: Table.Entry | undefined = Table.lookup(table, "k", Date.now());
 * ```
 */
export interface Entry {
  value: Value;
  expireAt: number;
  /** OBJECT ENCODING's answer for a string that Redis would not encode from its bytes alone. */
  hint?: "raw" | "embstr";
  /** @internal the key's place in scan order (see {@link scan}) */
  seq: number;
}

/**
 * The table (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const table: Table.Table = Table.create();
 * ```
 */
export interface Table {
  /** @internal */ entries: Map<string, Entry>;
  /** @internal keys that have an expiry, scanned a few at a time to reclaim expired ones */
  volatile: Set<string>;
  /** @internal */ sweep: Iterator<string> | null;
  /** @internal encoded records of changes not yet written to the log; null while replaying */
  journal: Buffer[] | null;
  /**
   * @internal keys in the order they were inserted, with `seqs` their numbers (ascending, never
   * reused) and holes (undefined) where keys were removed: a SCAN cursor is a number here.
   */
  order: (string | undefined)[];
  /** @internal */ seqs: number[];
  /** @internal */ holes: number;
  /** @internal */ nextSeq: number;
  /**
   * @internal called after each change of a key is journaled or an expired key is dropped, and
   * with null before a flush: WATCH's touched keys (watch.ts) set it while a key is watched.
   */
  onChange: ((key: string | null) => void) | null;
  /**
   * @internal how to take back the changes made since the last {@link settle}: inverse steps,
   * run last first by {@link rollback} (see there why). Nothing is recorded while replaying.
   */
  undo: Undo[];
  /** Counters for INFO: lookups by read commands that found a key or not, changes made, keys expired. */
  readonly counters: { hits: number; misses: number; changes: number; expired: number };
}

/**
 * An empty table that journals its changes.
 *
 * @example
 * ```ts
 * const table = Table.create();
 * Table.set(table, "k", Buffer.from("v"), 0);
 * ```
 */
export function create(): Table {
  return {
    entries: new Map(), volatile: new Set(), sweep: null, journal: [],
    order: [], seqs: [], holes: 0, nextSeq: 1, onChange: null, undo: [], counters: { hits: 0, misses: 0, changes: 0, expired: 0 },
  };
}

function insert(table: Table, key: string, value: Value, expireAt: number): void {
  const existing = table.entries.get(key);
  saveEntry(table, key, existing);
  if (existing !== undefined) {
    existing.value = value;
    existing.expireAt = expireAt;
    // delete is a call into the runtime even when there is nothing to delete (the common case).
    if (existing.hint !== undefined) delete existing.hint;
    return;
  }
  const seq = table.nextSeq++;
  table.entries.set(key, { value, expireAt, seq });
  table.order.push(key);
  table.seqs.push(seq);
}

/** The index in `order` of the first key numbered above `seq`. */
function indexAfter(table: Table, seq: number): number {
  let low = 0;
  let high = table.seqs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (table.seqs[mid]! <= seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

function unlink(table: Table, key: string): void {
  const entry = table.entries.get(key);
  if (entry === undefined) return;
  saveKey(table, key);
  table.entries.delete(key);
  table.volatile.delete(key);
  table.order[indexAfter(table, entry.seq - 1)] = undefined;
  // Compacted when half are holes: the numbers stay, so cursors keep their meaning.
  if (++table.holes > 1024 && table.holes * 2 > table.order.length) {
    let kept = 0;
    for (let i = 0; i < table.order.length; i++) {
      if (table.order[i] === undefined) continue;
      table.order[kept] = table.order[i];
      table.seqs[kept++] = table.seqs[i]!;
    }
    table.order.length = table.seqs.length = kept;
    table.holes = 0;
  }
}

/** Records how to put `key` back as it is now (absent, or its entry as it is), before it changes. */
function saveKey(table: Table, key: string): void {
  if (table.journal !== null) saveEntry(table, key, table.entries.get(key));
}

/** {@link saveKey} of `key`, whose entry (or its absence) the caller has already looked up. */
function saveEntry(table: Table, key: string, entry: Entry | undefined): void {
  if (table.journal === null) return;
  if (entry === undefined) table.undo.push(new Restore(key, undefined, undefined, 0, undefined, false));
  else table.undo.push(new Restore(key, entry, entry.value, entry.expireAt, entry.hint, table.volatile.size > 0 && table.volatile.has(key)));
}

/**
 * The undo step of a key's change (every SET, DEL, INCR ... writes one): a plain object of one
 * shape, not a closure, whose context would hold the same fields and cost twice the memory.
 * With no `entry` the key did not exist: it is removed.
 */
class Restore {
  constructor(
    readonly key: string,
    readonly entry: Entry | undefined,
    readonly value: Value | undefined,
    readonly expireAt: number,
    readonly hint: Entry["hint"],
    readonly volatile: boolean,
  ) {}
}

/** An inverse step: a {@link Restore}, or a closure for the rarer changes inside collections. */
type Undo = Restore | (() => void);

function restore(table: Table, step: Restore): void {
  const { key, entry } = step;
  if (entry === undefined) {
    unlink(table, key);
    return;
  }
  if (table.entries.get(key) !== entry) {
    unlink(table, key);
    relink(table, key, entry);
  }
  entry.value = step.value!;
  entry.expireAt = step.expireAt;
  if (step.hint !== undefined) entry.hint = step.hint;
  else if (entry.hint !== undefined) delete entry.hint;
  if (step.volatile) table.volatile.add(key);
  else table.volatile.delete(key);
}

/** Puts a removed entry back under its old number, so that SCAN finds it where it was. */
function relink(table: Table, key: string, entry: Entry): void {
  table.entries.set(key, entry);
  const at = indexAfter(table, entry.seq - 1);
  if (table.seqs[at] === entry.seq) {
    table.order[at] = key;
    table.holes--;
  } else {
    table.order.splice(at, 0, key);
    table.seqs.splice(at, 0, entry.seq);
  }
}

/**
 * Takes back every change made since the last {@link settle} (or {@link rollback}): the table is
 * as it was then, in its keys, values, expiry times and SCAN order (a hash's or set's restored
 * fields may come last in its own order, and a collection keeps the larger encoding OBJECT
 * ENCODING reports, as Redis never converts back either). The storage loop calls it when a batch's log write or
 * sync fails: none of the batch's clients was told OK, so no reader may see its changes.
 *
 * Why undo rather than apply the changes only once they are on disk: replies depend on the
 * changes before them in the batch (INCR after INCR), so the commands must run on the table as
 * it goes. Each change records the inverse of what it did, from what it already touches (a
 * field's old value, the elements popped), so a batch that succeeds pays a few closures, never a
 * copy of a large collection; the steps run last first, each putting back the state it saw.
 *
 * @example
 * ```ts
 * Table.set(table, "k", Buffer.from("new"), 0);
 * Table.rollback(table); // "k" as it was before
 * ```
 */
export function rollback(table: Table): void {
  const steps = table.undo;
  // The steps change the table through the same functions, which must record nothing now.
  const journal = table.journal;
  table.journal = null;
  try {
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i]!;
      if (step instanceof Restore) restore(table, step);
      else step();
    }
  } finally {
    table.journal = journal;
    table.undo = [];
  }
}

/**
 * Forgets how to take back the changes so far: they are in the log (or acknowledged).
 *
 * @example
 * ```ts
 * yield* Storage.append(store);
 * Table.settle(store.table);
 * ```
 */
export function settle(table: Table): void {
  if (table.undo.length > 0) table.undo = [];
}

/**
 * The table's key for `key`'s bytes.
 *
 * @example
 * ```ts
 * Table.keyOf(Buffer.from([0x68, 0xff])); // "h\u00ff"
 * ```
 */
export function keyOf(key: Uint8Array): string {
  // Buffer's own latin1Slice: no view to make, no encoding name to look up (every key is read so).
  return Buffer.isBuffer(key) ? (key as LatinBuffer).latin1Slice(0, key.length) : Buffer.from(key.buffer, key.byteOffset, key.length).toString("latin1");
}

/** Node's Buffer has `latin1Slice`, which `toString("latin1")` calls; its types do not say so. */
interface LatinBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

/**
 * The bytes of a table key.
 *
 * @example
 * ```ts
 * Table.keyBytes("h\u00ff"); // <Buffer 68 ff>
 * ```
 */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, "latin1");
}

function record(table: Table, entry: Log.Record): void {
  if (table.journal === null) return;
  table.counters.changes++;
  for (const part of Log.encodeParts(entry)) table.journal.push(part);
  if (table.onChange !== null && "key" in entry) table.onChange(keyOf(entry.key));
}

/**
 * Like {@link lookup}, counted in INFO's `keyspace_hits` or `keyspace_misses` (for read commands).
 *
 * @example
 * ```ts
 * Table.read(table, "k", Date.now())?.value;
 * ```
 */
export function read(table: Table, key: string, now: number): Entry | undefined {
  const entry = lookup(table, key, now);
  if (entry === undefined) table.counters.misses++;
  else table.counters.hits++;
  return entry;
}

/**
 * The live entry for `key` at time `now`, dropping it if it has expired.
 *
 * @example
 * ```ts
 * Table.lookup(table, "k", Date.now())?.value.toString();
 * ```
 */
export function lookup(table: Table, key: string, now: number): Entry | undefined {
  const entry = table.entries.get(key);
  if (entry === undefined) return undefined;
  if (entry.expireAt !== 0 && entry.expireAt <= now) {
    // No record: replaying the log drops it the same way, from its absolute expiry time.
    dropExpired(table, key);
    return undefined;
  }
  return entry;
}

function dropExpired(table: Table, key: string): void {
  if (table.journal !== null) {
    table.counters.expired++;
    // A collection's records change what is there, so its replay must not find the expired one.
    if (!(table.entries.get(key)!.value instanceof Uint8Array)) record(table, { op: "del", key: keyBytes(key) });
  }
  unlink(table, key);
  table.onChange?.(key);
}

/**
 * `value`'s bytes, copied unless the view fills nearly all of its memory (a big value received alone).
 * A short one is copied without a look at its memory: V8 keeps a typed array of up to 64 bytes
 * in its own object (a value received from another domain), and asking for its ArrayBuffer moves
 * the bytes out into one (a tenth of the storage domain's time under MSET).
 */
function own(value: Uint8Array): Buffer {
  if (value.length <= 64) {
    const copy = Buffer.allocUnsafeSlow(value.length);
    copy.set(value);
    return copy;
  }
  if (value.buffer.byteLength - value.byteLength <= value.byteLength / 8 && !(value.buffer instanceof SharedArrayBuffer)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return Buffer.from(value);
}

/**
 * Stores `value` under `key`. The bytes are copied, unless `value` fills nearly all of its own
 * memory (a large value received or read alone): then the table keeps it, and it must not be
 * changed afterwards.
 *
 * @example
 * ```ts
 * Table.set(table, "session", Buffer.from("abc"), Date.now() + 60_000);
 * ```
 */
export function set(table: Table, key: string, value: Uint8Array, expireAt: number, hint?: "raw" | "embstr"): void {
  const copy = own(value);
  insert(table, key, copy, expireAt);
  if (hint !== undefined) table.entries.get(key)!.hint = hint;
  if (expireAt !== 0) table.volatile.add(key);
  else if (table.volatile.size > 0) table.volatile.delete(key);
  if (table.journal === null) return;
  // As record() does, with the key written into the record as it is (no Buffer made for it).
  table.counters.changes++;
  for (const part of Log.encodeSet(key, copy, expireAt)) table.journal.push(part);
  table.onChange?.(key);
}

/**
 * Stores, with no expiry, each value of `args` under the key before it, from index `from` on
 * (MSET's `key value key value ...`), journaled as one transaction record
 * (`Log.encodeSets`): replayed all or nothing, as Redis's AOF replays MSET. Values are copied
 * as {@link set} copies them.
 *
 * @example
 * ```ts
 * Table.setPairs(table, ["MSET", "a", "1", "b", "2"].map((a) => Buffer.from(a)), 1);
 * ```
 */
export function setPairs(table: Table, args: readonly Uint8Array[], from: number): void {
  const keys: Uint8Array[] = [];
  const values: Buffer[] = [];
  for (let i = from; i + 1 < args.length; i += 2) {
    const key = keyOf(args[i]!);
    const copy = own(args[i + 1]!);
    insert(table, key, copy, 0);
    if (table.volatile.size > 0) table.volatile.delete(key);
    keys.push(args[i]!);
    values.push(copy);
  }
  if (table.journal === null) return;
  table.counters.changes += keys.length;
  for (const part of Log.encodeSets(keys, values)) table.journal.push(part);
  if (table.onChange !== null) for (const key of keys) table.onChange(keyOf(key));
}

/**
 * Removes `key`; true if it was there (and live).
 *
 * @example
 * ```ts
 * Table.remove(table, "k", Date.now()); // true if it existed
 * ```
 */
export function remove(table: Table, key: string, now: number): boolean {
  if (lookup(table, key, now) === undefined) return false;
  unlink(table, key);
  record(table, { op: "del", key: keyBytes(key) });
  return true;
}

/**
 * Sets or (with 0) clears the expiry of a live `key`; false if there is no such key.
 *
 * @example
 * ```ts
 * Table.setExpire(table, "k", 0, Date.now()); // PERSIST
 * ```
 */
export function setExpire(table: Table, key: string, expireAt: number, now: number): boolean {
  const entry = lookup(table, key, now);
  if (entry === undefined) return false;
  saveKey(table, key);
  entry.expireAt = expireAt;
  if (expireAt !== 0) table.volatile.add(key);
  else table.volatile.delete(key);
  record(table, { op: "expire", key: keyBytes(key), expireAt });
  return true;
}

/**
 * Removes every key.
 *
 * @example
 * ```ts
 * Table.clear(table);
 * ```
 */
export function clear(table: Table): void {
  table.onChange?.(null);
  if (table.journal !== null) {
    const entries = [...table.entries];
    const volatile = [...table.volatile];
    const { order, seqs, holes } = table;
    table.undo.push(() => {
      table.entries.clear();
      for (const [key, entry] of entries) table.entries.set(key, entry);
      table.volatile.clear();
      for (const key of volatile) table.volatile.add(key);
      table.sweep = null;
      Object.assign(table, { order, seqs, holes });
    });
  }
  table.entries.clear();
  table.volatile.clear();
  table.sweep = null;
  table.order = [];
  table.seqs = [];
  table.holes = 0;
  record(table, { op: "flush" });
}

/**
 * Number of keys, counting expired ones not yet reclaimed (as Redis's DBSIZE does).
 *
 * @example
 * ```ts
 * Table.size(table);
 * ```
 */
export function size(table: Table): number {
  return table.entries.size;
}

/**
 * Every live key at time `now`.
 *
 * @example
 * ```ts
 * for (const key of Table.keys(table, Date.now())) console.log(key);
 * ```
 */
export function* keys(table: Table, now: number): Generator<string> {
  for (const [key, entry] of table.entries) {
    if (entry.expireAt === 0 || entry.expireAt > now) yield key;
  }
}

/**
 * One step of a SCAN: up to `count` keys (live at `now`) after `cursor`, in insertion order, and
 * the cursor to continue from (0 when the scan is done). A key present for the whole scan is
 * returned by some step, since a key keeps its place until it is removed and cursors are numbers
 * that are never reused; a key added during the scan may or may not be returned, as in Redis.
 *
 * @example
 * ```ts
 * let cursor = 0;
 * do {
 *   const step = Table.scan(table, cursor, 10, Date.now());
 *   for (const key of step.keys) console.log(key);
 *   cursor = step.cursor;
 * } while (cursor !== 0);
 * ```
 */
export function scan(table: Table, cursor: number, count: number, now: number): { keys: string[]; cursor: number } {
  const keys: string[] = [];
  let i = indexAfter(table, cursor);
  // Holes count towards the work done, so a step is bounded even in a table of holes.
  for (let looked = 0; i < table.order.length && keys.length < count && looked < count * 10; i++, looked++) {
    const key = table.order[i];
    if (key !== undefined && lookup(table, key, now) !== undefined) keys.push(key);
  }
  return { keys, cursor: i >= table.order.length ? 0 : table.seqs[i - 1]! };
}

/**
 * Number of keys with an expiry, and their average time to live in ms at `now` (0 if none),
 * for INFO's keyspace line; the average is taken over at most `sample` of them.
 *
 * @example
 * ```ts
 * Table.expiryStats(table, Date.now()); // { expires: 2, avgTtl: 59000 }
 * ```
 */
export function expiryStats(table: Table, now: number, sample = 10_000): { expires: number; avgTtl: number } {
  let sum = 0;
  let seen = 0;
  for (const key of table.volatile) {
    if (seen >= sample) break;
    const entry = table.entries.get(key);
    if (entry === undefined || entry.expireAt <= now) continue;
    sum += entry.expireAt - now;
    seen++;
  }
  return { expires: table.volatile.size, avgTtl: seen === 0 ? 0 : Math.round(sum / seen) };
}

/**
 * Looks at up to `budget` keys that have an expiry, resuming where the last call stopped, and
 * drops the expired ones, so keys nobody reads again do not stay in memory forever.
 *
 * @example
 * ```ts
 * Table.sweepExpired(table, Date.now(), 20); // how many were dropped
 * ```
 */
export function sweepExpired(table: Table, now: number, budget: number): number {
  let dropped = 0;
  for (let i = 0; i < budget && table.volatile.size > 0; i++) {
    table.sweep ??= table.volatile.values();
    const step = table.sweep.next();
    if (step.done) {
      table.sweep = null;
      break;
    }
    const entry = table.entries.get(step.value);
    if (entry === undefined || (entry.expireAt !== 0 && entry.expireAt <= now)) {
      dropExpired(table, step.value);
      dropped++;
    }
  }
  return dropped;
}

/**
 * Applies a record read back from the log (journaling nothing).
 *
 * @example
 * ```ts
 * Table.apply(table, { op: "flush" });
 * ```
 */
export function apply(table: Table, entry: Log.Record): void {
  const journal = table.journal;
  table.journal = null;
  try {
    switch (entry.op) {
      case "set":
        set(table, keyOf(entry.key), entry.value, entry.expireAt);
        break;
      case "del":
        unlink(table, keyOf(entry.key));
        break;
      case "expire": {
        const existing = table.entries.get(keyOf(entry.key));
        if (existing !== undefined) {
          existing.expireAt = entry.expireAt;
          if (entry.expireAt !== 0) table.volatile.add(keyOf(entry.key));
          else table.volatile.delete(keyOf(entry.key));
        }
        break;
      }
      case "flush":
        clear(table);
        break;
      default:
        applyArgs(table, entry);
    }
  } finally {
    table.journal = journal;
  }
}

type Kind = "hash" | "list" | "set" | "zset";
type ValueOf<K extends Kind> = { hash: Hash; list: List; set: SetValue; zset: ZSet }[K];

/**
 * The `kind` collection under `key`, made (empty, without expiry) if there is none. Anything
 * else there is replaced: a change is only ever logged against its own type, so on replay that
 * can only be a string whose expiry had passed when the change was made.
 */
function ensure<K extends Kind>(table: Table, key: string, kind: K): ValueOf<K> {
  const entry = table.entries.get(key);
  if (entry !== undefined && !(entry.value instanceof Uint8Array) && entry.value.kind === kind) return entry.value as ValueOf<K>;
  const value = kind === "hash" ? new Hash() : kind === "list" ? new List() : kind === "set" ? new SetValue() : new ZSet();
  // Removed first, as the live table dropped the expired string: the new key goes last in scan order.
  if (entry !== undefined) unlink(table, key);
  insert(table, key, value, 0);
  table.volatile.delete(key);
  return value as ValueOf<K>;
}

function existing<K extends Kind>(table: Table, key: string, kind: K): ValueOf<K> | undefined {
  const value = table.entries.get(key)?.value;
  return value !== undefined && !(value instanceof Uint8Array) && value.kind === kind ? (value as ValueOf<K>) : undefined;
}

function sizeOf(value: Value): number {
  if (value instanceof Uint8Array) return 1;
  if (value.kind === "hash") return value.fields.size;
  if (value.kind === "set") return value.members.size;
  return value.kind === "list" ? value.length : value.size;
}

/**
 * Applies a collection change, the same way live and on replay; returns the count it reports.
 * The elements it keeps are copied ({@link own}): an argument may be a view of a larger buffer
 * (a parser's chunk, a frame of several requests from another domain, a chunk of the log read
 * at replay), which a short element kept as it is would keep alive whole.
 */
function applyArgs(table: Table, record: Extract<Log.Record, { args: Buffer[] }>): number {
  const key = keyOf(record.key);
  const args = record.args;
  const text = (i: number): string => keyOf(args[i]!);
  // Live changes record their inverse (see rollback); replayed ones do not.
  const undo = table.journal === null ? null : table.undo;
  let result = 0;
  switch (record.op) {
    case "hset": {
      const hash = ensure(table, key, "hash");
      for (let i = 0; i + 1 < args.length; i += 2) {
        const field = text(i);
        const before = hash.fields.get(field);
        if (hash.set(field, own(args[i + 1]!))) result++;
        undo?.push(() => (before === undefined ? hash.fields.delete(field) : hash.fields.set(field, before)));
      }
      break;
    }
    case "hdel": {
      const hash = existing(table, key, "hash");
      for (let i = 0; hash !== undefined && i < args.length; i++) {
        const field = text(i);
        const before = hash.fields.get(field);
        if (!hash.fields.delete(field)) continue;
        result++;
        undo?.push(() => hash.fields.set(field, before!));
      }
      break;
    }
    case "lpush":
    case "rpush": {
      const list = ensure(table, key, "list");
      for (const arg of args) {
        if (record.op === "lpush") list.pushFront(own(arg));
        else list.pushBack(own(arg));
      }
      result = list.length;
      const left = record.op === "lpush";
      undo?.push(() => {
        for (let n = 0; n < args.length; n++) left ? list.popFront() : list.popBack();
      });
      break;
    }
    case "lpop":
    case "rpop": {
      const list = existing(table, key, "list");
      const popped: Buffer[] = [];
      for (let n = Number(text(0)); list !== undefined && n > 0 && list.length > 0; n--, result++) {
        popped.push(record.op === "lpop" ? list.popFront()! : list.popBack()!);
      }
      const left = record.op === "lpop";
      if (list !== undefined && popped.length > 0) {
        undo?.push(() => {
          for (let i = popped.length - 1; i >= 0; i--) left ? list.pushFront(popped[i]!) : list.pushBack(popped[i]!);
        });
      }
      break;
    }
    case "lset": {
      const list = existing(table, key, "list");
      const index = Number(text(0));
      if (list !== undefined && index < list.length) {
        const before = list.get(index)!;
        list.set(index, own(args[1]!));
        undo?.push(() => list.set(index, before));
      }
      break;
    }
    case "ltrim": {
      // [start, end) to keep, already clamped.
      const list = existing(table, key, "list");
      if (list !== undefined) {
        const before = list.slice(0, list.length);
        list.replace(list.slice(Number(text(0)), Number(text(1))));
        undo?.push(() => list.replace(before));
      }
      break;
    }
    case "lrem": {
      // count as LREM's: > 0 from the head, < 0 from the tail, 0 all.
      const list = existing(table, key, "list");
      if (list === undefined) break;
      const count = Number(text(0));
      const element = args[1]!;
      const items = list.slice(0, list.length);
      const limit = count === 0 ? Infinity : Math.abs(count);
      const keep: boolean[] = items.map(() => true);
      for (let n = 0; n < items.length && result < limit; n++) {
        const i = count < 0 ? items.length - 1 - n : n;
        if (items[i]!.equals(element)) {
          keep[i] = false;
          result++;
        }
      }
      if (result > 0) {
        list.replace(items.filter((_, i) => keep[i]));
        undo?.push(() => list.replace(items));
      }
      break;
    }
    case "linsert": {
      const list = existing(table, key, "list");
      if (list === undefined) break;
      const items = list.slice(0, list.length);
      const at = items.findIndex((item) => item.equals(args[1]!));
      if (at < 0) {
        result = -1;
        break;
      }
      const before = items.slice();
      items.splice(text(0) === "before" ? at : at + 1, 0, own(args[2]!));
      list.replace(items);
      undo?.push(() => list.replace(before));
      result = list.length;
      break;
    }
    case "sadd": {
      const set = ensure(table, key, "set");
      for (let i = 0; i < args.length; i++) {
        const member = text(i);
        if (!set.add(member)) continue;
        result++;
        undo?.push(() => set.members.delete(member));
      }
      break;
    }
    case "srem": {
      const set = existing(table, key, "set");
      for (let i = 0; set !== undefined && i < args.length; i++) {
        const member = text(i);
        if (!set.members.delete(member)) continue;
        result++;
        undo?.push(() => set.members.add(member));
      }
      break;
    }
    case "zadd": {
      const zset = ensure(table, key, "zset");
      for (let i = 0; i + 1 < args.length; i += 2) {
        const member = text(i + 1);
        const before = zset.scores.get(member);
        if (zset.add(member, args[i]!.readDoubleLE(0))) result++;
        undo?.push(() => (before === undefined ? zset.remove(member) : zset.add(member, before)));
      }
      break;
    }
    case "zrem": {
      const zset = existing(table, key, "zset");
      for (let i = 0; zset !== undefined && i < args.length; i++) {
        const member = text(i);
        const before = zset.scores.get(member);
        if (!zset.remove(member)) continue;
        result++;
        undo?.push(() => zset.add(member, before!));
      }
      break;
    }
    case "rename": {
      const entry = table.entries.get(key);
      if (entry === undefined) break;
      const target = text(0);
      if (target === key) break;
      const { value, expireAt, hint } = entry;
      unlink(table, key);
      unlink(table, target);
      insert(table, target, value, expireAt);
      if (hint !== undefined) table.entries.get(target)!.hint = hint;
      if (expireAt !== 0) table.volatile.add(target);
      result = 1;
      break;
    }
  }
  // Redis never keeps an empty collection: the key goes with its last element.
  const entry = table.entries.get(key);
  if (entry !== undefined && sizeOf(entry.value) === 0) unlink(table, key);
  return result;
}

/** The changes whose count says whether they changed anything. */
const COUNTED: ReadonlySet<Log.ArgsOp> = new Set(["sadd", "srem", "hdel", "zrem", "lpop", "rpop", "lrem"]);

/**
 * Applies a change to a collection (or a RENAME) and journals it; returns the count it reports
 * (fields or members added or removed, the list's new length, elements popped or removed, -1
 * for a LINSERT whose pivot is missing). A collection left empty is removed with its key.
 *
 * @example
 * ```ts
 * Table.change(table, { op: "rpush", key: Buffer.from("q"), args: [Buffer.from("job")] }); // 1
 * ```
 */
export function change(table: Table, entry: Extract<Log.Record, { args: Buffer[] }>): number {
  const result = applyArgs(table, entry);
  // A change that changed nothing is neither logged nor seen by WATCH (Redis signals none).
  if ((result === 0 && COUNTED.has(entry.op)) || (entry.op === "linsert" && result === -1)) return result;
  record(table, entry);
  // RENAME changes its target too (WATCH sees both keys touched, as in Redis).
  if (entry.op === "rename" && table.journal !== null) table.onChange?.(keyOf(entry.args[0]!));
  return result;
}

/** Elements per record when a whole collection is written out. */
const CHUNK = 512;

/**
 * The records that make `value` under `key` with `expireAt` in a table that lacks the key: a
 * string's `set`, or a collection's additions in chunks followed by its `expire`.
 *
 * @example
 * ```ts
 * for (const record of Table.recordsOf("k", Buffer.from("v"), 0)) Log.encode(record);
 * ```
 */
export function* recordsOf(key: string, value: Value, expireAt: number): Generator<Log.Record> {
  const keyBuffer = keyBytes(key);
  if (value instanceof Uint8Array) {
    yield { op: "set", key: keyBuffer, value, expireAt };
    return;
  }
  let args: Buffer[] = [];
  const op = value.kind === "hash" ? "hset" : value.kind === "list" ? "rpush" : value.kind === "set" ? "sadd" : "zadd";
  const flush = function* (): Generator<Log.Record> {
    if (args.length > 0) yield { op, key: keyBuffer, args };
    args = [];
  };
  if (value.kind === "hash") {
    for (const [field, v] of value.fields) {
      args.push(keyBytes(field), v);
      if (args.length >= CHUNK * 2) yield* flush();
    }
  } else if (value.kind === "list") {
    for (let i = 0; i < value.length; i++) {
      args.push(value.get(i)!);
      if (args.length >= CHUNK) yield* flush();
    }
  } else if (value.kind === "set") {
    for (const member of value.members) {
      args.push(keyBytes(member));
      if (args.length >= CHUNK) yield* flush();
    }
  } else {
    for (const item of value.slice()) {
      const score = Buffer.allocUnsafe(8);
      score.writeDoubleLE(item.score, 0);
      args.push(score, keyBytes(item.member));
      if (args.length >= CHUNK * 2) yield* flush();
    }
  }
  yield* flush();
  if (expireAt !== 0) yield { op: "expire", key: keyBuffer, expireAt };
}

/**
 * A copy of `value` that later changes to the table do not touch (strings are never changed
 * in place, so they are shared).
 *
 * @example
 * ```ts
 * const copy = Table.cloneValue(entry.value);
 * ```
 */
export function cloneValue(value: Value): Value {
  return value instanceof Uint8Array ? value : value.clone();
}

/**
 * Stores the whole `value` under `key` (replacing what is there, of any type) and journals it.
 * The table keeps `value`: it must not be changed afterwards except through the table.
 *
 * @example
 * ```ts
 * const set = new SetValue();
 * set.add("a");
 * Table.put(table, "dest", set, 0); // SINTERSTORE's result
 * ```
 */
export function put(table: Table, key: string, value: Value, expireAt: number): void {
  if (value instanceof Uint8Array) return set(table, key, value, expireAt);
  if (table.entries.has(key)) {
    unlink(table, key);
    record(table, { op: "del", key: keyBytes(key) });
  }
  if (sizeOf(value) === 0) return;
  insert(table, key, value, expireAt);
  if (expireAt !== 0) table.volatile.add(key);
  for (const entry of recordsOf(key, value, expireAt)) record(table, entry);
}

/**
 * Every live key with a copy of its value and its expiry, as they are now: what a background
 * rewrite writes out while the table goes on changing.
 *
 * @example
 * ```ts
 * for (const [key, value, expireAt] of Table.snapshot(table, Date.now())) Table.recordsOf(key, value, expireAt);
 * ```
 */
export function snapshot(table: Table, now: number): [string, Value, number][] {
  const out: [string, Value, number][] = [];
  for (const [key, entry] of table.entries) {
    if (entry.expireAt !== 0 && entry.expireAt <= now) continue;
    out.push([key, cloneValue(entry.value), entry.expireAt]);
  }
  return out;
}

/**
 * Takes the journal: the encoded records of every change since the last call.
 *
 * @example
 * ```ts
 * fs.writeSync(fd, Buffer.concat(Table.takeJournal(table)));
 * ```
 */
export function takeJournal(table: Table): Buffer[] {
  const journal = table.journal ?? [];
  table.journal = [];
  return journal;
}
