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
  return { entries: new Map(), volatile: new Set(), sweep: null, journal: [] };
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
  table.journal?.push(Log.encode(entry));
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
  table.entries.delete(key);
  table.volatile.delete(key);
}

/**
 * Stores `value` (copied) under `key`.
 *
 * @example
 * ```ts
 * Table.set(table, "session", Buffer.from("abc"), Date.now() + 60_000);
 * ```
 */
export function set(table: Table, key: string, value: Uint8Array, expireAt: number): void {
  const copy = Buffer.from(value);
  table.entries.set(key, { value: copy, expireAt });
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
  table.entries.delete(key);
  table.volatile.delete(key);
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
  table.entries.clear();
  table.volatile.clear();
  table.sweep = null;
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
        table.entries.delete(keyOf(entry.key));
        table.volatile.delete(keyOf(entry.key));
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
