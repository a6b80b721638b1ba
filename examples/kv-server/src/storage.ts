/**
 * The durable store: the table plus its append-only log in a data directory. Changes are
 * applied to the table first and journaled; {@link append} writes the journal out and
 * {@link sync} fsyncs once, which is the group commit: only after it is done may replies go out.
 *
 * {@link open} locks the directory (one server per directory) and replays the log as a stream.
 * A torn tail (the last record cut short by a crash during an append: never acknowledged) is
 * truncated; damage before the end stops the start with an error naming the file and the
 * offset, and changes nothing, unless a `repair` was asked for.
 *
 * When the log grows past `compactBytes` and to twice its size after the last rewrite, it is
 * rewritten in the background ({@link rewrite}, as Redis's BGREWRITEAOF): the table is written
 * to a new file a slice at a time while commits go on to the old log; the changes committed
 * meanwhile are appended to the new file too, and it replaces the old one between two commits.
 * A rewrite that fails leaves the old log in use and fails no client.
 *
 * A served store appends through eio-ts's file API ({@link attach}, log-file.ts: `Eio.Path` and
 * `Eio.File`, with O_DSYNC or O_DIRECT if asked); opening, replaying, rewriting and the
 * synchronous {@link commit} use node:fs directly, on a descriptor of the same file.
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as Eio from "eio-ts";
import * as Log from "./log.js";
import * as LogFile from "./log-file.js";
import * as Table from "./table.js";

/**
 * Options for {@link open}.
 *
 * @example
 * ```ts
 * const store = Storage.open("data", { compactBytes: 16 * 1024 * 1024, repair: "skip" });
 * ```
 */
export interface OpenOptions {
  /** Rewrite the log once it is larger than this many bytes (and twice its last rewritten size). */
  compactBytes?: number;
  /** The clock, in ms since the epoch (tests pass their own). */
  now?: () => number;
  /**
   * What to do with a log damaged before its end (never needed for a torn tail). By default
   * {@link open} throws a {@link DamagedLogError} and changes nothing. `"skip"` drops only the
   * damaged bytes and keeps the valid records after them; `"truncate"` cuts the log at the
   * damage, as `redis-check-aof --fix` does. Either way the damaged log is first copied to
   * `kv.log.damaged`, and the repaired log is written and synced before the store opens.
   */
  repair?: "skip" | "truncate";
  /** Bytes read at a time while replaying (default 1 MiB). */
  readChunkBytes?: number;
  /** Bytes of the table written per slice of a background rewrite (default 1 MiB). */
  rewriteSliceBytes?: number;
  /** Where to report what happened (torn tails cut, repairs, replay progress, rewrites). */
  log?: (line: string) => void;
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
  /** @internal */ readonly lockFile: string;
  /** @internal */ fd: number;
  /** @internal the log open for appending through eio-ts, once {@link attach}ed */
  writer: LogFile.LogFile | null;
  /** @internal where {@link attach} opened the writer: a rewrite's new file is opened the same way */
  attached: { sw: Eio.Switch.Switch; path: Eio.Path.Path; flags: LogFile.Flags } | null;
  /** @internal a rewrite replaced the file under the writer: open the new one before the next write */
  reopen: boolean;
  /** @internal */ logBytes: number;
  /** @internal */ rewrittenBytes: number;
  /** @internal */ readonly compactBytes: number;
  /** @internal */ readonly sliceBytes: number;
  /** @internal */ readonly log: (line: string) => void;
  /** @internal writes and syncs in flight (the loop's, everysec's): the log file must not be switched meanwhile */
  syncing: number;
  /** @internal the rename of a rewrite is not known to be durable yet */
  directoryDirty: boolean;
  /** @internal */ rewrite: Rewrite | null;
  /** @internal */ closed: boolean;
  /** What happened so far, for INFO, logs and tests. */
  readonly stats: Stats;
}

/**
 * A store's counters and statuses (INFO's persistence section reads them).
 *
 * @example
 * ```ts
 * store.stats.lastRewriteStatus; // "ok", or "err" after a failed rewrite
 * ```
 */
export interface Stats {
  /** Records replayed at open. */
  recovered: number;
  /** Bytes of a torn tail cut at open, or of damage dropped by a repair. */
  droppedBytes: number;
  /** Successful fsyncs of the log. */
  commits: number;
  /** Completed rewrites. */
  compactions: number;
  /** When the last fsync completed (ms since the epoch, 0: never). */
  lastSyncAt: number;
  /** "ok" until a rewrite fails. */
  lastRewriteStatus: "ok" | "err";
  /** How long the last completed rewrite took, in ms (-1: none yet). */
  lastRewriteMs: number;
  /** "ok" until a write or sync of the log fails. */
  lastWriteStatus: "ok" | "err";
  /** Size of the log after the last rewrite (or at open). */
  baseBytes: number;
}

/** @internal A background rewrite in progress. */
interface Rewrite {
  readonly temporary: string;
  readonly fd: number;
  readonly startedAt: number;
  /** The table as it was when the rewrite began (see {@link Table.snapshot}), walked a slice at a time. */
  readonly entries: Iterator<[string, Table.Value, number]>;
  /** The records of the entry being written, when it takes more than one. */
  pending: Iterator<Log.Record> | null;
  /** Records appended to the old log since the rewrite began; they follow the snapshot. */
  readonly since: Buffer[];
  /** Records still in the table's journal when the snapshot was taken: the snapshot has them, `since` must not. */
  inSnapshot: number;
  sinceWritten: number;
  bytes: number;
  /** The snapshot is written and synced: switch at the next moment no sync is in flight. */
  ready: boolean;
  /** An operation on `fd` is in flight (so it may not be closed yet). */
  busy: boolean;
  cancelled: boolean;
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

/**
 * The lock file's name inside the data directory: it holds the pid of the server using it.
 *
 * @example
 * ```ts
 * fs.readFileSync(path.join(dir, Storage.LOCK_NAME), "utf8"); // "12345 678901\n"
 * ```
 */
export const LOCK_NAME = "kv.lock";

/**
 * Thrown by {@link open} for a log damaged before its end: starting would silently drop the
 * acknowledged writes after the damage. The message says where and how to repair it.
 *
 * @example
 * ```ts
 * try { Storage.open(dir); } catch (e) { if (e instanceof Storage.DamagedLogError) console.error(e.message, e.offset); }
 * ```
 */
export class DamagedLogError extends Error {
  constructor(
    message: string,
    /** The log file. */
    readonly file: string,
    /** Offset of the first bad byte. */
    readonly offset: number,
  ) {
    super(message);
    this.name = "DamagedLogError";
  }
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes all of `data`, at the file position, or from `position` when given. */
function writeAll(fd: number, data: Buffer, position: number | null = null): void {
  for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at, data.length - at, position === null ? null : position + at);
}

function writeAllAsync(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (at: number): void => {
      if (at >= data.length) return resolve();
      fs.write(fd, data, at, data.length - at, null, (error, written) => (error ? reject(error) : from(at + written)));
    };
    from(0);
  });
}

/** Small parts joined, large ones alone: few writes, and no copy of a large value. */
function coalesce(parts: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let small: Buffer[] = [];
  const flush = (): void => {
    if (small.length > 0) out.push(small.length === 1 ? small[0]! : Buffer.concat(small));
    small = [];
  };
  for (const part of parts) {
    if (part.length > 1 << 16) {
      flush();
      out.push(part);
    } else small.push(part);
  }
  flush();
  return out;
}

/** The start time of process `pid` in clock ticks since boot, from /proc ("" where unknown). */
function startTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

function alive(pid: number, started: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A pid can be reused (a container's server is often pid 1 again after a restart).
  const now = startTime(pid);
  return started === "" || now === "" || now === started;
}

/** Creates the lock file (O_EXCL), taking over a stale one whose process is gone. */
function lock(dir: string): string {
  const file = path.join(dir, LOCK_NAME);
  const mine = `${process.pid} ${startTime(process.pid)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: "wx" });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw error;
    }
    let holder: string;
    try {
      holder = fs.readFileSync(file, "latin1");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    const [pidText = "", started = ""] = holder.trim().split(" ");
    const pid = Number(pidText);
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid, started)) {
      const who = pid === process.pid ? `this process (${pid})` : `process ${pid}`;
      throw new Error(
        `kv-server: the data directory ${dir} is in use by ${who}: only one server may use it (lock file ${file}). ` +
          "Stop that server first, or give this one another --dir.",
      );
    }
    fs.rmSync(file, { force: true });
  }
}

function unlock(file: string): void {
  try {
    if (fs.readFileSync(file, "latin1").startsWith(`${process.pid} `)) fs.rmSync(file, { force: true });
  } catch {
    // Already gone.
  }
}

function damagedMessage(file: string, result: Log.ReplayResult, damage: Log.Damage): string {
  const after = damage.resumeAt !== null
    ? `valid records follow from byte ${damage.resumeAt}, so starting would lose the acknowledged writes after the damage`
    : "it is not a torn tail (a record cut short by a crash), so it may hold an acknowledged write";
  return (
    `kv-server: the log ${file} is damaged at byte ${damage.offset} of ${result.fileBytes} (${damage.reason}); ${after}. ` +
    "Nothing was changed and the server did not start. To start anyway, start it with --repair-log skip (drop only the " +
    `damaged bytes, keeping every valid record after them) or --repair-log truncate (cut the log at byte ${damage.offset}, ` +
    "as redis-check-aof --fix does); both keep a copy of the log as kv.log.damaged. By hand, with the server stopped: " +
    `cp '${file}' '${file}.damaged' && truncate -s ${damage.offset} '${file}'.`
  );
}

/**
 * Opens (creating if needed) the store in `dir`: locks the directory and replays its log as a
 * stream. A torn last record is cut off and reported in `stats.droppedBytes`; damage before the
 * end throws a {@link DamagedLogError} unless `options.repair` says what to do; a second open
 * of a directory in use (by a live process) throws; a file that is not a kv-server log throws.
 *
 * @example
 * ```ts
 * const store = Storage.open("data");
 * if (store.stats.droppedBytes > 0) console.log("cut a torn tail");
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
  const sliceBytes = options.rewriteSliceBytes ?? 1 << 20;
  if (!Number.isSafeInteger(sliceBytes) || sliceBytes <= 0) {
    throw new RangeError(`Storage.open: rewriteSliceBytes must be a positive integer, got ${sliceBytes}`);
  }
  if (options.repair !== undefined && options.repair !== "skip" && options.repair !== "truncate") {
    throw new RangeError(`Storage.open: repair must be "skip" or "truncate", got ${JSON.stringify(options.repair)}`);
  }
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(`kv-server: ${line}`));
  fs.mkdirSync(dir, { recursive: true });
  const lockFile = lock(dir);
  try {
    return openLocked(dir, lockFile, compactBytes, sliceBytes, now, log, options);
  } catch (error) {
    unlock(lockFile);
    throw error;
  }
}

function openLocked(
  dir: string, lockFile: string, compactBytes: number, sliceBytes: number, now: () => number,
  log: (line: string) => void, options: OpenOptions,
): Store {
  const file = path.join(dir, LOG_NAME);
  // A rewrite that a crash interrupted: the log itself is whole.
  fs.rmSync(`${file}.rewrite`, { force: true });
  const table = Table.create();
  const apply = (record: Log.Record): void => Table.apply(table, record);
  let recovered = 0;
  let droppedBytes = 0;
  let validBytes = 0;
  let repaired = false;
  if (fs.existsSync(file)) {
    const readFd = fs.openSync(file, "r");
    try {
      let lastReport = Date.now();
      const onProgress = (offset: number, size: number): void => {
        if (Date.now() - lastReport < 2000) return;
        lastReport = Date.now();
        log(`replaying ${file}: ${Math.floor((offset / size) * 100)}% of ${size} bytes`);
      };
      const chunkBytes = options.readChunkBytes;
      let result = Log.replayFile(readFd, apply, { chunkBytes, onProgress });
      recovered = result.records;
      validBytes = result.validBytes;
      let damage = result.damage;
      if (damage !== null && !damage.torn) {
        if (options.repair === undefined) throw new DamagedLogError(damagedMessage(file, result, damage), file, damage.offset);
        fs.copyFileSync(file, `${file}.damaged`);
        log(`${damagedMessage(file, result, damage).split(". ")[0]}; repairing it (${options.repair}), a copy is in ${file}.damaged`);
        repaired = true;
        while (options.repair === "skip" && damage !== null && damage.resumeAt !== null) {
          droppedBytes += damage.resumeAt - damage.offset;
          result = Log.replayFile(readFd, apply, { chunkBytes, from: damage.resumeAt, onProgress });
          recovered += result.records;
          damage = result.damage;
        }
      }
      if (damage !== null) {
        droppedBytes += result.fileBytes - damage.offset;
        if (damage.torn) log(`cut a torn tail of ${result.fileBytes - damage.offset} bytes at byte ${damage.offset} of ${file} (${damage.reason})`);
        validBytes = damage.offset;
      }
      if (damage !== null && !repaired) fs.truncateSync(file, damage.offset);
    } finally {
      fs.closeSync(readFd);
    }
  }
  Table.sweepExpired(table, now(), Infinity);
  const fd = fs.openSync(file, "a");
  let logBytes = validBytes;
  if (validBytes === 0 && !repaired) {
    writeAll(fd, Log.MAGIC);
    logBytes = Log.MAGIC.length;
  }
  fs.fsyncSync(fd);
  syncDirectory(dir);
  const store: Store = {
    table, file, lockFile, fd, writer: null, attached: null, reopen: false, logBytes, rewrittenBytes: logBytes, compactBytes, sliceBytes, log,
    syncing: 0, directoryDirty: false, rewrite: null, closed: false,
    stats: {
      recovered, droppedBytes, commits: 0, compactions: 0, lastSyncAt: 0,
      lastRewriteStatus: "ok", lastRewriteMs: -1, lastWriteStatus: "ok", baseBytes: logBytes,
    },
  };
  // A repaired log is rewritten from the table: the damaged bytes are gone from the new file.
  if (repaired) compact(store, now());
  return store;
}

/**
 * Opens the log for the appends of {@link append} and {@link sync} through eio-ts's file API
 * (`Eio.Path.openOut` on `fs`, env.fs), with `flags` (O_DSYNC, O_DIRECT); `sw` closes it. A
 * file system that refuses O_DIRECT fails here, with eio-ts's error saying so.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * const store = Storage.open(dir);
 * yield* Storage.attach(sw, store, env.fs, { dsync: true, direct: false });
 * ```
 */
export function* attach(sw: Eio.Switch.Switch, store: Store, fs: Eio.Path.Path, flags: LogFile.Flags): Eio.Operation<void> {
  const at = Eio.Path.join(fs, store.file);
  try {
    store.writer = yield* LogFile.open(sw, at, flags, store.logBytes);
  } catch (error) {
    if (error instanceof Eio.Io) Eio.Exn.addContext(error, `opening the log with --log-open-flags ${LogFile.formatFlags(flags)}`);
    throw error;
  }
  store.attached = { sw, path: at, flags };
}

/** The writer on the current log file: after a rewrite, the new file, opened now. */
function* writer(store: Store): Eio.Operation<LogFile.LogFile> {
  const attached = store.attached;
  if (attached === null || store.writer === null) throw new Error("Storage: the store is not attached (Storage.attach) for appending");
  if (store.reopen) {
    // Opened first: another fiber (everysec's sync) may come meanwhile, and open one too.
    const next = yield* LogFile.open(attached.sw, attached.path, attached.flags, store.logBytes);
    if (!store.reopen) LogFile.close(next);
    else {
      LogFile.close(store.writer!);
      store.writer = next;
      store.reopen = false;
    }
  }
  return store.writer!;
}

/**
 * Takes the table's journal for the log, and hands it to the rewrite in progress at once: a
 * rewrite that begins while these records are on their way into the old log has them in its
 * snapshot already (the table holds them), so they must be in `since` from now, not from when
 * the write returns (else a list push or an INCR is replayed twice after the switch).
 */
function takeJournal(store: Store): Buffer[] {
  const records = Table.takeJournal(store.table);
  const rewrite = store.rewrite;
  if (rewrite !== null && records.length > 0) {
    // The first `inSnapshot` records were journaled before the snapshot was taken: in it already.
    const skip = Math.min(rewrite.inSnapshot, records.length);
    rewrite.inSnapshot = 0;
    for (let i = skip; i < records.length; i++) rewrite.since.push(records[i]!);
  }
  return records;
}

/**
 * Appends every change journaled since the last call to the log file, through the attached
 * writer ({@link attach}), without syncing it (with O_DSYNC each write is durable already).
 * Returns the number of bytes written (0 when nothing changed). On failure the file is cut
 * back to where the batch began, and the error is thrown.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * Commands.execute(store.table, args, Date.now());
 * if ((yield* Storage.append(store)) > 0) yield* Storage.sync(store);
 * ```
 */
export function* append(store: Store): Eio.Operation<number> {
  const records = takeJournal(store);
  if (records.length === 0) return 0;
  const parts = coalesce(records);
  let bytes = 0;
  for (const part of parts) bytes += part.length;
  // No rewrite may switch files while the batch is on its way into the old one.
  store.syncing++;
  try {
    const log = yield* writer(store);
    try {
      yield* LogFile.write(log, parts);
    } catch (error) {
      store.stats.lastWriteStatus = "err";
      // A part of a batch left behind would sit in the middle of the log after the next append.
      try {
        yield* LogFile.truncate(log, store.logBytes);
      } catch {
        // The error above is the one to report.
      }
      throw error;
    }
  } finally {
    store.syncing--;
  }
  store.logBytes += bytes;
  if (store.rewrite?.ready && store.syncing === 0) finishRewrite(store);
  return bytes;
}

/**
 * Waits until everything appended is on disk: an `fdatasync` through eio-ts (on libuv's pool,
 * so the domain's other fibers keep running meanwhile), or nothing with O_DSYNC. A background
 * rewrite whose snapshot is ready switches files right after; its failure is reported in
 * `stats`, never thrown here.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Storage.append(store);
 * yield* Storage.sync(store); // now the replies may go out
 * ```
 */
export function* sync(store: Store): Eio.Operation<void> {
  store.syncing++;
  try {
    yield* LogFile.sync(yield* writer(store));
    // A rewrite's rename is part of what these writes need to be found again.
    if (store.directoryDirty) syncDirectory(path.dirname(store.file));
    store.directoryDirty = false;
  } catch (error) {
    if (!(error instanceof Eio.Cancel.Cancelled)) store.stats.lastWriteStatus = "err";
    throw error;
  } finally {
    store.syncing--;
  }
  store.stats.commits++;
  store.stats.lastSyncAt = Date.now();
  if (store.rewrite?.ready && store.syncing === 0) finishRewrite(store);
}

/**
 * True when {@link appendNow} and {@link syncNow} may stand for {@link append} and {@link sync}:
 * the log has no open flags (O_DSYNC's and O_DIRECT's writes go through the attached writer,
 * log-file.ts) and no rewrite is in progress (its writes and its switch of files come back
 * through the event loop, which a loop that never waits would not give a turn to).
 *
 * @example
 * ```ts
 * const bytes = Storage.canCommitNow(store) ? Storage.appendNow(store) : yield* Storage.append(store);
 * ```
 */
export function canCommitNow(store: Store): boolean {
  const flags = store.attached?.flags;
  return store.rewrite === null && !store.closed && (flags === undefined || (!flags.dsync && !flags.direct));
}

/**
 * Appends every change journaled since the last call to the log, in this thread, blocking, as
 * Redis's `write()` in `beforeSleep`: for a batch of small records a write is a few
 * microseconds, a round trip through libuv's pool ({@link append}) costs more than that, and
 * makes the loop wait for it anyway. Returns the number of bytes written (0 when nothing
 * changed). On failure the file is cut back to where the batch began, and the error is thrown.
 * Only when {@link canCommitNow}.
 *
 * @example
 * ```ts
 * if (Storage.appendNow(store) > 0) Storage.syncNow(store);
 * ```
 */
export function appendNow(store: Store): number {
  const records = takeJournal(store);
  if (records.length === 0) return 0;
  let bytes = 0;
  try {
    for (const data of coalesce(records)) {
      // At the log's end, by offset: the attached writer may have appended through a descriptor
      // of its own (this one's file position does not move with those writes).
      writeAll(store.fd, data, store.logBytes + bytes);
      bytes += data.length;
    }
  } catch (error) {
    store.stats.lastWriteStatus = "err";
    try {
      fs.ftruncateSync(store.fd, store.logBytes);
    } catch {
      // The error above is the one to report.
    }
    throw error;
  }
  store.logBytes += bytes;
  return bytes;
}

/**
 * Makes every change applied to the table so far durable: one append, one fdatasync, all
 * synchronous, then a (blocking) rewrite if one is due. Returns the number of bytes written (0
 * when nothing changed, and then nothing is synced). If the write or the sync fails the error
 * is thrown, and the store must not be used again.
 *
 * @example
 * ```ts
 * Table.set(store.table, "k", Buffer.from("v"), 0);
 * Storage.commit(store); // durable from here on
 * ```
 */
export function commit(store: Store): number {
  const written = appendNow(store);
  Table.settle(store.table);
  if (written === 0) return 0;
  fs.fdatasyncSync(store.fd);
  store.stats.commits++;
  store.stats.lastSyncAt = Date.now();
  if (store.rewrite?.ready) void finishRewrite(store);
  else if (rewriteDue(store)) compact(store);
  return written;
}

/**
 * True when the log has grown past `compactBytes` and to twice its size after the last rewrite,
 * and no rewrite is running.
 *
 * @example
 * ```ts
 * if (Storage.rewriteDue(store)) void Storage.rewrite(store);
 * ```
 */
export function rewriteDue(store: Store): boolean {
  return store.rewrite === null && !store.closed && store.logBytes > store.compactBytes && store.logBytes > 2 * store.rewrittenBytes;
}

function beginRewrite(store: Store): Rewrite {
  const temporary = `${store.file}.rewrite`;
  const fd = fs.openSync(temporary, "w");
  const rewrite: Rewrite = {
    temporary, fd, startedAt: Date.now(), entries: Table.snapshot(store.table, Date.now()).values(), pending: null, since: [], sinceWritten: 0,
    inSnapshot: store.table.journal?.length ?? 0,
    bytes: 0, ready: false, busy: false, cancelled: false,
  };
  store.rewrite = rewrite;
  return rewrite;
}

/** The next slice of the table as records (about `sliceBytes`), or null when it is all written. */
function nextSlice(store: Store, rewrite: Rewrite, now: number): Buffer[] | null {
  const parts: Buffer[] = rewrite.bytes === 0 ? [Log.MAGIC] : [];
  let bytes = 0;
  for (;;) {
    if (bytes >= store.sliceBytes) return parts;
    if (rewrite.pending === null) {
      const step = rewrite.entries.next();
      if (step.done) return parts.length > 0 ? parts : null;
      const [key, value, expireAt] = step.value;
      if (expireAt !== 0 && expireAt <= now) continue;
      rewrite.pending = Table.recordsOf(key, value, expireAt);
    }
    const record = rewrite.pending.next();
    if (record.done) {
      rewrite.pending = null;
      continue;
    }
    for (const part of Log.encodeParts(record.value)) {
      parts.push(part);
      bytes += part.length;
    }
  }
}

function abortRewrite(store: Store, rewrite: Rewrite, error: unknown): void {
  if (store.rewrite === rewrite) store.rewrite = null;
  try {
    fs.closeSync(rewrite.fd);
  } catch {
    // Closed already.
  }
  fs.rmSync(rewrite.temporary, { force: true });
  if (rewrite.cancelled) return;
  store.stats.lastRewriteStatus = "err";
  // Try again once the log has doubled again, not at every commit.
  store.rewrittenBytes = store.logBytes;
  store.log(`the log rewrite failed, the server goes on with the old log: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Writes what was committed since the snapshot began, syncs, and puts the new file in place.
 * Never throws: false if the rewrite failed (and was abandoned).
 */
function finishRewrite(store: Store): boolean {
  const rewrite = store.rewrite!;
  if (rewrite.cancelled) {
    abortRewrite(store, rewrite, new Error("abandoned"));
    return false;
  }
  try {
    for (const data of coalesce(rewrite.since.slice(rewrite.sinceWritten))) {
      writeAll(rewrite.fd, data);
      rewrite.bytes += data.length;
    }
    fs.fdatasyncSync(rewrite.fd);
    fs.renameSync(rewrite.temporary, store.file);
  } catch (error) {
    abortRewrite(store, rewrite, error);
    return false;
  }
  // From here on the new file is the log (renamed, whole and synced): no way back.
  const old = store.fd;
  store.fd = rewrite.fd;
  store.rewrite = null;
  store.reopen = store.writer !== null;
  try {
    fs.closeSync(old);
  } catch {
    // Nothing is lost: everything in it is in the new file.
  }
  try {
    syncDirectory(path.dirname(store.file));
  } catch {
    // The next sync retries, and fails its batch if it cannot: until then nothing relies on it.
    store.directoryDirty = true;
  }
  store.logBytes = store.rewrittenBytes = store.stats.baseBytes = rewrite.bytes;
  store.stats.compactions++;
  store.stats.lastRewriteStatus = "ok";
  store.stats.lastRewriteMs = Date.now() - rewrite.startedAt;
  return true;
}

/**
 * Rewrites the log in the background, as Redis's BGREWRITEAOF: the table is written to a new
 * file one slice (`rewriteSliceBytes`) at a time, each write on libuv's thread pool, so the
 * storage loop goes on committing to the old log between slices; what it commits meanwhile is
 * appended to the new file too. Once the new file is synced it replaces the old one, between
 * two syncs. Never rejects: a failure leaves the old log in use, sets
 * `stats.lastRewriteStatus` to "err" and is reported to `log`.
 *
 * @example
 * ```ts
 * if (Storage.rewriteDue(store)) await Storage.rewrite(store);
 * ```
 */
export async function rewrite(store: Store): Promise<void> {
  if (store.rewrite !== null || store.closed) return;
  let rewrite: Rewrite;
  try {
    rewrite = beginRewrite(store);
  } catch (error) {
    store.stats.lastRewriteStatus = "err";
    store.rewrittenBytes = store.logBytes;
    store.log(`the log rewrite failed, the server goes on with the old log: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const step = async (operation: () => Promise<void>): Promise<void> => {
    rewrite.busy = true;
    try {
      await operation();
    } finally {
      rewrite.busy = false;
    }
    if (rewrite.cancelled) throw new Error("cancelled");
  };
  try {
    for (let slice; (slice = nextSlice(store, rewrite, Date.now())) !== null; ) {
      for (const data of coalesce(slice)) {
        await step(() => writeAllAsync(rewrite.fd, data));
        rewrite.bytes += data.length;
      }
    }
    // Most of what was committed meanwhile, and the big sync, off the loop too. A few rounds at
    // most: commits that do not wait for an fsync (everysec, no) can append faster than these
    // writes catch up, and finishRewrite writes the rest between two commits anyway.
    for (let round = 0; round < 4 && rewrite.sinceWritten < rewrite.since.length; round++) {
      const end = rewrite.since.length;
      for (const data of coalesce(rewrite.since.slice(rewrite.sinceWritten, end))) {
        await step(() => writeAllAsync(rewrite.fd, data));
        rewrite.bytes += data.length;
      }
      rewrite.sinceWritten = end;
    }
    await step(() => new Promise<void>((resolve, reject) => fs.fdatasync(rewrite.fd, (error) => (error ? reject(error) : resolve()))));
  } catch (error) {
    abortRewrite(store, rewrite, error);
    return;
  }
  // Switching needs a moment with no sync in flight on the old file: now, or right after it.
  if (store.syncing > 0) rewrite.ready = true;
  else void finishRewrite(store);
}

/**
 * Abandons the background rewrite in progress, if any (its file is deleted once no operation on
 * it is in flight): after the log failed to be written, a rewrite begun before may lack changes
 * that never reached the log, so it must not replace it.
 *
 * @example
 * ```ts
 * Storage.abandonRewrite(store);
 * await Storage.rewrite(store); // a fresh one, from the table as it is now
 * ```
 */
export function abandonRewrite(store: Store): void {
  const rewrite = store.rewrite;
  if (rewrite === null) return;
  rewrite.cancelled = true;
  if (!rewrite.busy) abortRewrite(store, rewrite, new Error("abandoned"));
}

/**
 * Rewrites the log now, blocking, as the records that make each live key, and replaces the old file.
 *
 * @example
 * ```ts
 * Storage.compact(store);
 * Storage.logSize(store); // about the size of the live data
 * ```
 */
export function compact(store: Store, now: number = Date.now()): void {
  if (store.rewrite !== null) throw new Error("Storage.compact: a background rewrite is in progress");
  const rewrite = beginRewrite(store);
  try {
    for (let slice; (slice = nextSlice(store, rewrite, now)) !== null; ) {
      for (const data of coalesce(slice)) {
        writeAll(rewrite.fd, data);
        rewrite.bytes += data.length;
      }
    }
  } catch (error) {
    store.rewrite = null;
    fs.closeSync(rewrite.fd);
    fs.rmSync(rewrite.temporary, { force: true });
    throw error;
  }
  if (!finishRewrite(store)) throw new Error("Storage.compact: the rewrite failed, the old log is still in use");
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
 * True while a background rewrite runs (INFO's `aof_rewrite_in_progress`).
 *
 * @example
 * ```ts
 * Storage.rewriting(store); // false once the new log is in place
 * ```
 */
export function rewriting(store: Store): boolean {
  return store.rewrite !== null;
}

/**
 * Syncs what was appended and not yet synced, blocking: the last sync before {@link close}
 * when replies did not wait for syncs (Redis's `appendfsync everysec` and `no`). Throws if the
 * sync fails.
 *
 * @example
 * ```ts
 * Storage.syncNow(store);
 * Storage.close(store);
 * ```
 */
export function syncNow(store: Store): void {
  try {
    fs.fdatasyncSync(store.fd);
    if (store.directoryDirty) syncDirectory(path.dirname(store.file));
    store.directoryDirty = false;
  } catch (error) {
    store.stats.lastWriteStatus = "err";
    throw error;
  }
  store.stats.commits++;
  store.stats.lastSyncAt = Date.now();
}

/**
 * Closes the log file and releases the directory's lock. Uncommitted changes are lost (they
 * were never acknowledged); a background rewrite is abandoned (the old log is whole).
 *
 * @example
 * ```ts
 * Storage.close(store);
 * ```
 */
export function close(store: Store): void {
  if (store.closed) return;
  store.closed = true;
  const rewrite = store.rewrite;
  if (rewrite !== null) {
    rewrite.cancelled = true;
    // An operation in flight still uses its fd: the rewrite cleans up when it returns.
    if (!rewrite.busy) abortRewrite(store, rewrite, new Error("closed"));
  }
  try {
    // O_DIRECT's zero padding after the last record (on the file the writer had, if it still is the log).
    if (store.attached?.flags.direct === true && !store.reopen) fs.ftruncateSync(store.fd, store.logBytes);
    if (store.writer !== null) LogFile.close(store.writer);
    fs.closeSync(store.fd);
  } finally {
    unlock(store.lockFile);
  }
}
