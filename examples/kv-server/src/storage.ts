/**
 * The durable store: the table plus its append-only log in a data directory. Changes are
 * applied to the table first and journaled; {@link append} writes the journal as one write and
 * {@link sync} fsyncs once, which is the group commit: only after it is done may replies go out.
 *
 * On {@link open} the log is replayed; a record cut short by a crash (or failing its checksum)
 * ends the log and is truncated away. When the log grows past `compactBytes` and to twice its
 * size after the last rewrite, it is rewritten from the table (a fresh file, fsynced, renamed).
 *
 * Writes are synchronous (they only reach the page cache); the fsync is not, so that while one
 * batch is being synced the next one gathers.
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as Log from "./log.js";
import * as Table from "./table.js";

/**
 * Options for {@link open}.
 *
 * @example
 * ```ts
 * const store = Storage.open("data", { compactBytes: 16 * 1024 * 1024 });
 * ```
 */
export interface OpenOptions {
  /** Rewrite the log once it is larger than this many bytes (and twice its last rewritten size). */
  compactBytes?: number;
  /** The clock, in ms since the epoch (tests pass their own). */
  now?: () => number;
}

/**
 * An open store (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const store: Storage.Store = Storage.open("data");
 * console.log(store.stats.recovered, "records replayed");
 * ```
 */
export interface Store {
  readonly table: Table.Table;
  /** @internal */ readonly file: string;
  /** @internal */ fd: number;
  /** @internal */ logBytes: number;
  /** @internal */ rewrittenBytes: number;
  /** @internal */ readonly compactBytes: number;
  /** What happened so far, for INFO, logs and tests. */
  readonly stats: { recovered: number; droppedBytes: number; commits: number; compactions: number };
}

/**
 * The log file's name inside the data directory.
 *
 * @example
 * ```ts
 * fs.statSync(path.join(dir, Storage.LOG_NAME)).size;
 * ```
 */
export const LOG_NAME = "kv.log";

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at, data.length - at);
}

/**
 * Opens (creating if needed) the store in `dir`, replaying its log. A torn last record is
 * dropped and reported in `stats.droppedBytes`; a file that is not a kv-server log is an error.
*
 * @example
 * ```ts
 * const store = Storage.open("data");
 * if (store.stats.droppedBytes > 0) console.log("dropped a torn tail");
 * ```
 */
export function open(dir: string, options: OpenOptions = {}): Store {
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError(`Storage.open: expected a directory path, got ${JSON.stringify(dir)}`);
  }
  const compactBytes = options.compactBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(compactBytes) || compactBytes <= 0) {
    throw new RangeError(`Storage.open: compactBytes must be a positive integer, got ${compactBytes}`);
  }
  const now = options.now ?? Date.now;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOG_NAME);
  const contents = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
  const table = Table.create();
  const { records, validBytes } = Log.replay(contents, (record) => Table.apply(table, record));
  Table.sweepExpired(table, now(), Infinity);
  if (validBytes < contents.length) fs.truncateSync(file, validBytes);
  const fd = fs.openSync(file, "a");
  let logBytes = validBytes;
  if (validBytes === 0) {
    writeAll(fd, Log.MAGIC);
    logBytes = Log.MAGIC.length;
  }
  fs.fsyncSync(fd);
  syncDirectory(dir);
  return {
    table, file, fd, logBytes, rewrittenBytes: logBytes, compactBytes,
    stats: { recovered: records, droppedBytes: contents.length - validBytes, commits: 0, compactions: 0 },
  };
}

/**
 * Appends every change journaled since the last call to the log file, as one write, without
 * syncing it. Returns the number of bytes written (0 when nothing changed).
*
 * @example
 * ```ts
 * Commands.execute(store.table, args, Date.now());
 * if (Storage.append(store) > 0) yield* Eio.Fiber.awaitNative(Storage.sync(store));
 * ```
 */
export function append(store: Store): number {
  const records = Table.takeJournal(store.table);
  if (records.length === 0) return 0;
  const data = records.length === 1 ? records[0]! : Buffer.concat(records);
  writeAll(store.fd, data);
  store.logBytes += data.length;
  return data.length;
}

/**
 * Waits until everything appended is on disk (fdatasync, on libuv's thread pool, so the
 * domain's other fibers keep running meanwhile), then compacts the log if it is due.
*
 * @example
 * ```ts
 * Storage.append(store);
 * await Storage.sync(store); // now the replies may go out
 * ```
 */
export function sync(store: Store): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(store.fd, (error) => {
      if (error) return reject(error);
      store.stats.commits++;
      try {
        compactIfDue(store);
      } catch (compactError) {
        return reject(compactError);
      }
      resolve();
    });
  });
}

/**
 * Makes every change applied to the table so far durable: one append, one fdatasync, all
 * synchronous. Returns the number of bytes written (0 when nothing changed, and then nothing is
 * synced). If the write or the sync fails the error is thrown, and the store must not be used
 * again.
*
 * @example
 * ```ts
 * Table.set(store.table, "k", Buffer.from("v"), 0);
 * Storage.commit(store); // durable from here on
 * ```
 */
export function commit(store: Store): number {
  const written = append(store);
  if (written === 0) return 0;
  fs.fdatasyncSync(store.fd);
  store.stats.commits++;
  compactIfDue(store);
  return written;
}

/**
 * Rewrites the log if it has grown past `compactBytes` and to twice its size after the last
 * rewrite. {@link sync} and {@link commit} call it; a store that is not synced after every
 * append (Redis's `appendfsync no`) calls it after appending.
 *
 * @example
 * ```ts
 * if (Storage.append(store) > 0) Storage.compactIfDue(store);
 * ```
 */
export function compactIfDue(store: Store): void {
  if (store.logBytes > store.compactBytes && store.logBytes > 2 * store.rewrittenBytes) compact(store);
}

/**
 * Rewrites the log as one `set` per live key, replacing the old file atomically.
 *
 * @example
 * ```ts
 * Storage.compact(store);
 * Storage.logSize(store); // about the size of the live data
 * ```
 */
export function compact(store: Store, now: number = Date.now()): void {
  const temporary = `${store.file}.rewrite`;
  const fd = fs.openSync(temporary, "w");
  let bytes = 0;
  try {
    const chunks: Buffer[] = [Log.MAGIC];
    let pending = Log.MAGIC.length;
    const flush = (): void => {
      const data = Buffer.concat(chunks);
      writeAll(fd, data);
      bytes += data.length;
      chunks.length = 0;
      pending = 0;
    };
    for (const key of Table.keys(store.table, now)) {
      const entry = Table.lookup(store.table, key, now)!;
      const record = Log.encode({ op: "set", key: Table.keyBytes(key), value: entry.value, expireAt: entry.expireAt });
      chunks.push(record);
      pending += record.length;
      if (pending > 1 << 20) flush();
    }
    flush();
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, store.file);
  syncDirectory(path.dirname(store.file));
  fs.closeSync(store.fd);
  store.fd = fs.openSync(store.file, "a");
  store.logBytes = store.rewrittenBytes = bytes;
  store.stats.compactions++;
}

/**
 * Size of the log file in bytes.
 *
 * @example
 * ```ts
 * if (Storage.logSize(store) > limit) Storage.compact(store);
 * ```
 */
export function logSize(store: Store): number {
  return store.logBytes;
}

/**
 * Syncs what was appended and not yet synced, blocking: the last sync before {@link close}
 * when replies did not wait for syncs (Redis's `appendfsync everysec` and `no`).
 *
 * @example
 * ```ts
 * Storage.syncNow(store);
 * Storage.close(store);
 * ```
 */
export function syncNow(store: Store): void {
  fs.fdatasyncSync(store.fd);
  store.stats.commits++;
}

/**
 * Closes the log file. Uncommitted changes are lost (they were never acknowledged).
 *
 * @example
 * ```ts
 * Storage.close(store);
 * ```
 */
export function close(store: Store): void {
  fs.closeSync(store.fd);
}
