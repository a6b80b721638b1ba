/**
 * The in-memory table: string keys to byte-string values with optional expiry times. Every
 * change is also encoded as a log record into the table's journal, which the storage loop
 * writes out (and fsyncs) before any reply about it is sent.
 *
 * Keys are kept as latin1 strings, one character per byte, so any binary key round-trips.
 * @module
 */
import * as Log from "./log.js";

/**
 * A stored value; `expireAt` is milliseconds since the epoch, 0 for no expiry.
 *
 * @example
 * ```ts
 * const entry: Table.Entry | undefined = Table.lookup(table, "k", Date.now());
 * ```
 */
export interface Entry {
  value: Buffer;
  expireAt: number;
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
    order: [], seqs: [], holes: 0, nextSeq: 1, onChange: null, counters: { hits: 0, misses: 0, changes: 0, expired: 0 },
  };
}

function insert(table: Table, key: string, value: Buffer, expireAt: number): void {
  const existing = table.entries.get(key);
  if (existing !== undefined) {
    existing.value = value;
    existing.expireAt = expireAt;
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

/**
 * The table's key for `key`'s bytes.
 *
 * @example
 * ```ts
 * Table.keyOf(Buffer.from([0x68, 0xff])); // "h\u00ff"
 * ```
 */
export function keyOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString("latin1");
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
  if (table.journal !== null) table.counters.expired++;
  unlink(table, key);
  table.onChange?.(key);
}

/** `value`'s bytes, copied unless the view fills nearly all of its memory (a big value received alone). */
function own(value: Uint8Array): Buffer {
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
export function set(table: Table, key: string, value: Uint8Array, expireAt: number): void {
  const copy = own(value);
  insert(table, key, copy, expireAt);
  if (expireAt !== 0) table.volatile.add(key);
  else table.volatile.delete(key);
  record(table, { op: "set", key: keyBytes(key), value: copy, expireAt });
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
    }
  } finally {
    table.journal = journal;
  }
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
