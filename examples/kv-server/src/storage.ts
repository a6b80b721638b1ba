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
 * All of it runs on eio-ts's file API, in the fibers that call it: the log, the rewrite's file
 * and the directory through `Eio.Path` (opened under the switch given to {@link open}), reads,
 * writes and syncs through `Eio.File` and `Eio.Flow` on libuv's pool, except a batch's commit:
 * log-file.ts writes and syncs a batch of up to a MiB on the store's own thread, as the blog's
 * store and Redis do (on the pool too with O_DSYNC or O_DIRECT, if asked). Every step can be
 * cancelled; the few that must not be cut in the middle (switching to a rewritten log, the last
 * sync, closing) run under `Eio.Cancel.protect`.
 * @module
 */
import * as Eio from "eio-ts";
import * as Log from "./log.js";
import * as LogFile from "./log-file.js";
import * as Table from "./table.js";

/**
 * Options for {@link open}.
 *
 * @example
 * ```ts
 * const store = yield* Storage.open(sw, Eio.Path.join(env.fs, "data"), { compactBytes: 16 * 1024 * 1024, repair: "skip" });
 * ```
 */
export interface OpenOptions {
  /** How the log is opened for appending (`--log-open-flags`: O_DSYNC, O_DIRECT); default none. */
  logOpenFlags?: LogFile.Flags;
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
 * const store: Storage.Store = yield* Storage.open(sw, Eio.Path.join(env.fs, "data"));
 * console.log(store.stats.recovered, "records replayed");
 * ```
 */
export interface Store {
  readonly table: Table.Table;
  /** @internal the data directory */ readonly dir: Eio.Path.Path;
  /** @internal the log */ readonly path: Eio.Path.Path;
  /** @internal the log's name, for messages */ readonly file: string;
  /** @internal */ readonly lockFile: Eio.Path.Path;
  /** @internal the switch the store's files belong to */ readonly sw: Eio.Switch.Switch;
  /** @internal */ readonly flags: LogFile.Flags;
  /** @internal the log open for appending */
  writer: LogFile.LogFile;
  /** @internal a rewrite replaced the file under the writer: open the new one before the next write */
  reopen: boolean;
  /** @internal */ logBytes: number;
  /** @internal */ rewrittenBytes: number;
  /** @internal */ readonly compactBytes: number;
  /** @internal */ readonly sliceBytes: number;
  /** @internal */ readonly log: (line: string) => void;
  /** @internal writes and syncs in flight (the loop's, everysec's): the log file must not be switched meanwhile */
  syncing: number;
  /** @internal set while a rewrite switches files: appends and syncs wait for it */
  switching: Eio.Promise.Promise<void> | null;
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
  readonly temporary: Eio.Path.Path;
  /** The new file, once open. */
  file: Eio.File.File | null;
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
  /** A fiber is writing it (and cleans up itself if it is abandoned meanwhile). */
  running: boolean;
  cancelled: boolean;
}

/**
 * The log file's name inside the data directory.
 *
 * @example
 * ```ts
 * yield* Eio.Path.stat(Eio.Path.join(dir, Storage.LOG_NAME), { follow: true });
 * ```
 */
export const LOG_NAME = "kv.log";

/**
 * The lock file's name inside the data directory: it holds the pid of the server using it.
 *
 * @example
 * ```ts
 * yield* Eio.Path.load(Eio.Path.join(dir, Storage.LOCK_NAME)); // "12345 678901\n"
 * ```
 */
export const LOCK_NAME = "kv.lock";

/**
 * Thrown by {@link open} for a log damaged before its end: starting would silently drop the
 * acknowledged writes after the damage. The message says where and how to repair it.
 *
 * @example
 * ```ts
 * try { yield* Storage.open(sw, dir); } catch (e) { if (e instanceof Storage.DamagedLogError) console.error(e.message, e.offset); }
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

/** Makes the directory's entries (a created or renamed log) durable: an fsync of the directory. */
function syncDirectory(dir: Eio.Path.Path): Eio.Operation<void> {
  return Eio.Path.withOpenIn(dir, (entries) => Eio.File.sync(entries));
}

/** Removes `path`; nothing to do if it is not there. */
function* removeIfThere(path: Eio.Path.Path): Eio.Operation<void> {
  try {
    yield* Eio.Path.unlink(path);
  } catch (error) {
    if (!(error instanceof Eio.Fs.NotFound)) throw error;
  }
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

/**
 * The start time of process `pid` in clock ticks since boot, from /proc ("" where unknown: no
 * /proc, or a data directory under a confined capability, which cannot reach it).
 */
function* startTime(dir: Eio.Path.Path, pid: number): Eio.Operation<string> {
  try {
    const stat = yield* Eio.Path.load(Eio.Path.join(dir, `/proc/${pid}/stat`));
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch (error) {
    if (error instanceof Eio.Cancel.Cancelled) throw error;
    return "";
  }
}

/** This process's start time, read once. */
let ownStartTime: string | undefined;

function* alive(dir: Eio.Path.Path, pid: number, started: string): Eio.Operation<boolean> {
  try {
    // A signal, not a file: asks only whether the process exists.
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A pid can be reused (a container's server is often pid 1 again after a restart).
  const now = yield* startTime(dir, pid);
  return started === "" || now === "" || now === started;
}

/**
 * Creates the lock file (exclusively: Eio's `create: { exclusive }`, O_EXCL), taking over a
 * stale one whose process is gone. A lock file rather than flock: it names the holder, for the
 * error and for kv-check-log.
 */
function* lock(dir: Eio.Path.Path): Eio.Operation<Eio.Path.Path> {
  const file = Eio.Path.join(dir, LOCK_NAME);
  ownStartTime ??= yield* startTime(dir, process.pid);
  const mine = `${process.pid} ${ownStartTime}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      yield* Eio.Path.save(file, mine, { create: { exclusive: 0o644 } });
      return file;
    } catch (error) {
      // The directory is made the first time only: one call less at each open.
      if (error instanceof Eio.Fs.NotFound && attempt === 0) {
        yield* Eio.Path.mkdirs(dir, { perm: 0o755, existsOk: true });
        continue;
      }
      if (!(error instanceof Eio.Fs.AlreadyExists) || attempt >= 3) throw error;
    }
    let holder: string;
    try {
      holder = yield* Eio.Path.load(file);
    } catch (error) {
      if (error instanceof Eio.Fs.NotFound) continue;
      throw error;
    }
    const [pidText = "", started = ""] = holder.trim().split(" ");
    const pid = Number(pidText);
    if (Number.isSafeInteger(pid) && pid > 0 && (yield* alive(dir, pid, started))) {
      const who = pid === process.pid ? `this process (${pid})` : `process ${pid}`;
      throw new Error(
        `kv-server: the data directory ${Eio.Path.native(dir)} is in use by ${who}: only one server may use it (lock file ${Eio.Path.native(file)}). ` +
          "Stop that server first, or give this one another --dir.",
      );
    }
    yield* removeIfThere(file);
  }
}

/**
 * Removes the lock file; cannot be cancelled half way. It is not read first: it was created
 * exclusively by this process, and no other takes over the lock of a live process.
 */
function unlock(file: Eio.Path.Path): Eio.Operation<void> {
  return Eio.Cancel.protect(() => removeIfThere(file));
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
 * Opens (creating if needed) the store in the directory `dir`: locks it, replays its log as a
 * stream, and opens the log for appending with `options.logOpenFlags`; the log's files belong to
 * `sw` ({@link close} closes them first). A torn last record is cut off and reported in
 * `stats.droppedBytes`; damage before the end throws a {@link DamagedLogError} unless
 * `options.repair` says what to do; a second open of a directory in use (by a live process)
 * throws; a file that is not a kv-server log throws; a file system that refuses O_DIRECT fails
 * with eio-ts's error saying so.
 *
 * Suspends: yes — use `yield*`. Cancelling it leaves the log as it was (at most a torn tail cut).
 *
 * @example
 * ```ts
 * const store = yield* Storage.open(sw, Eio.Path.join(env.fs, "data"));
 * if (store.stats.droppedBytes > 0) console.log("cut a torn tail");
 * ```
 */
export function* open(sw: Eio.Switch.Switch, dir: Eio.Path.Path, options: OpenOptions = {}): Eio.Operation<Store> {
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
  const lockFile = yield* lock(dir);
  try {
    return yield* openLocked(sw, dir, lockFile, compactBytes, sliceBytes, options);
  } catch (error) {
    yield* unlock(lockFile);
    throw error;
  }
}

/** What {@link replayLog} found. */
interface Found {
  recovered: number;
  droppedBytes: number;
  /** The bytes of the log to keep. */
  validBytes: number;
  fileBytes: number;
  /** Damage before the end was repaired: the log is to be rewritten from the table. */
  repaired: boolean;
}

/** Replays the log at `path` into `table` (a damaged one is copied to `copyTo` before a repair). */
function* replayLog(
  path: Eio.Path.Path, copyTo: Eio.Path.Path, file: string, table: Table.Table, log: (line: string) => void, options: OpenOptions,
): Eio.Operation<Found> {
  const apply = (record: Log.Record): void => Table.apply(table, record);
  return yield* Eio.Path.withOpenIn(path, function* (input): Eio.Operation<Found> {
    let lastReport = Date.now();
    const onProgress = (offset: number, size: number): void => {
      if (Date.now() - lastReport < 2000) return;
      lastReport = Date.now();
      log(`replaying ${file}: ${Math.floor((offset / size) * 100)}% of ${size} bytes`);
    };
    const chunkBytes = options.readChunkBytes;
    let result = yield* Log.replayFile(input, apply, { chunkBytes, onProgress });
    let recovered = result.records;
    let droppedBytes = 0;
    let validBytes = result.validBytes;
    let repaired = false;
    let damage = result.damage;
    if (damage !== null && !damage.torn) {
      if (options.repair === undefined) throw new DamagedLogError(damagedMessage(file, result, damage), file, damage.offset);
      yield* Eio.Path.withOpenOut(copyTo, { create: { orTruncate: 0o644 } }, function* (copy): Eio.Operation<void> {
        yield* Eio.File.seek(input, 0, "set");
        yield* Eio.Flow.copy(input, copy);
        yield* Eio.File.sync(copy);
      });
      log(`${damagedMessage(file, result, damage).split(". ")[0]}; repairing it (${options.repair}), a copy is in ${file}.damaged`);
      repaired = true;
      while (options.repair === "skip" && damage !== null && damage.resumeAt !== null) {
        droppedBytes += damage.resumeAt - damage.offset;
        result = yield* Log.replayFile(input, apply, { chunkBytes, from: damage.resumeAt, onProgress });
        recovered += result.records;
        damage = result.damage;
      }
    }
    if (damage !== null) {
      droppedBytes += result.fileBytes - damage.offset;
      if (damage.torn) log(`cut a torn tail of ${result.fileBytes - damage.offset} bytes at byte ${damage.offset} of ${file} (${damage.reason})`);
      validBytes = damage.offset;
    }
    return { recovered, droppedBytes, validBytes, fileBytes: result.fileBytes, repaired };
  });
}

function* openLocked(
  sw: Eio.Switch.Switch, dir: Eio.Path.Path, lockFile: Eio.Path.Path, compactBytes: number, sliceBytes: number, options: OpenOptions,
): Eio.Operation<Store> {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(`kv-server: ${line}`));
  const flags = options.logOpenFlags ?? LogFile.NO_FLAGS;
  const path = Eio.Path.join(dir, LOG_NAME);
  const file = Eio.Path.native(path);
  // A rewrite that a crash interrupted: the log itself is whole.
  yield* removeIfThere(Eio.Path.join(dir, `${LOG_NAME}.rewrite`));
  const table = Table.create();
  let exists = true;
  let found: Found = { recovered: 0, droppedBytes: 0, validBytes: 0, fileBytes: 0, repaired: false };
  try {
    found = yield* replayLog(path, Eio.Path.join(dir, `${LOG_NAME}.damaged`), file, table, log, options);
  } catch (error) {
    if (!(error instanceof Eio.Fs.NotFound) || table.entries.size > 0) throw error;
    exists = false;
  }
  Table.sweepExpired(table, now(), Infinity);
  let writer: LogFile.LogFile;
  try {
    writer = yield* LogFile.open(sw, path, flags, found.validBytes, { create: !exists });
  } catch (error) {
    if (error instanceof Eio.Io) Eio.Exn.addContext(error, `opening the log with --log-open-flags ${LogFile.formatFlags(flags)}`);
    throw error;
  }
  let logBytes = found.validBytes;
  // A torn tail is cut (a repaired log is rewritten whole below instead).
  if (found.fileBytes > found.validBytes && !found.repaired) yield* LogFile.truncate(writer, found.validBytes);
  if (logBytes === 0 && !found.repaired) {
    yield* LogFile.write(writer, [Log.MAGIC]);
    logBytes = Log.MAGIC.length;
  }
  yield* Eio.File.sync(writer.file);
  yield* syncDirectory(dir);
  const store: Store = {
    table, dir, path, file, lockFile, sw, flags, writer, reopen: false, logBytes, rewrittenBytes: logBytes, compactBytes, sliceBytes, log,
    syncing: 0, switching: null, directoryDirty: false, rewrite: null, closed: false,
    stats: {
      recovered: found.recovered, droppedBytes: found.droppedBytes, commits: 0, compactions: 0, lastSyncAt: 0,
      lastRewriteStatus: "ok", lastRewriteMs: -1, lastWriteStatus: "ok", baseBytes: logBytes,
    },
  };
  // A repaired log is rewritten from the table: the damaged bytes are gone from the new file.
  if (found.repaired) yield* compact(store, now());
  return store;
}

/** The writer on the current log file: after a rewrite, the new file, opened now. */
function* writer(store: Store): Eio.Operation<LogFile.LogFile> {
  if (store.reopen) {
    // Opened first: another fiber (everysec's sync) may come meanwhile, and open one too.
    const next = yield* LogFile.open(store.sw, store.path, store.flags, store.logBytes);
    if (!store.reopen) LogFile.close(next);
    else {
      LogFile.close(store.writer);
      store.writer = next;
      store.reopen = false;
    }
  }
  return store.writer;
}

/** Waits while a rewrite switches files (the log may be written again after). */
function* waitForSwitch(store: Store): Eio.Operation<void> {
  while (store.switching !== null) yield* Eio.Promise.await(store.switching);
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
  yield* waitForSwitch(store);
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
        yield* Eio.Cancel.protect(() => LogFile.truncate(log, store.logBytes));
      } catch {
        // The error above is the one to report.
      }
      throw error;
    }
  } finally {
    store.syncing--;
  }
  store.logBytes += bytes;
  if (store.rewrite?.ready && store.syncing === 0) yield* finishRewrite(store);
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
  yield* waitForSwitch(store);
  store.syncing++;
  try {
    yield* LogFile.sync(yield* writer(store));
    // A rewrite's rename is part of what these writes need to be found again.
    if (store.directoryDirty) yield* syncDirectory(store.dir);
    store.directoryDirty = false;
  } catch (error) {
    if (!(error instanceof Eio.Cancel.Cancelled)) store.stats.lastWriteStatus = "err";
    throw error;
  } finally {
    store.syncing--;
  }
  store.stats.commits++;
  store.stats.lastSyncAt = Date.now();
  if (store.rewrite?.ready && store.syncing === 0) yield* finishRewrite(store);
}

/**
 * Makes every change applied to the table so far durable: one append, one fdatasync (the
 * group commit of one caller), then a rewrite if one is due, done before it returns. Returns
 * the number of bytes written (0 when nothing changed, and then nothing is synced). If the
 * write or the sync fails the error is thrown, and the store must not be used again.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * Table.set(store.table, "k", Buffer.from("v"), 0);
 * yield* Storage.commit(store); // durable from here on
 * ```
 */
export function* commit(store: Store): Eio.Operation<number> {
  const written = yield* append(store);
  Table.settle(store.table);
  if (written === 0) return 0;
  yield* sync(store);
  if (rewriteDue(store)) yield* compact(store);
  return written;
}

/**
 * True when the log has grown past `compactBytes` and to twice its size after the last rewrite,
 * and no rewrite is running.
 *
 * @example
 * ```ts
 * if (Storage.rewriteDue(store)) yield* Storage.rewrite(store);
 * ```
 */
export function rewriteDue(store: Store): boolean {
  return store.rewrite === null && !store.closed && store.logBytes > store.compactBytes && store.logBytes > 2 * store.rewrittenBytes;
}

/** Takes the snapshot (now: what is committed from here on goes to `since`); the file is opened after. */
function beginRewrite(store: Store, now: number): Rewrite {
  const rewrite: Rewrite = {
    temporary: Eio.Path.join(store.dir, `${LOG_NAME}.rewrite`), file: null, startedAt: Date.now(),
    entries: Table.snapshot(store.table, now).values(), pending: null, since: [], sinceWritten: 0,
    inSnapshot: store.table.journal?.length ?? 0,
    bytes: 0, ready: false, running: true, cancelled: false,
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

/** Closes and removes the rewrite's file; reports the failure unless the rewrite was abandoned. */
function* abortRewrite(store: Store, rewrite: Rewrite, error: unknown): Eio.Operation<void> {
  if (store.rewrite === rewrite) store.rewrite = null;
  // Closing waits for a call in flight on it: its fd is not reused under it.
  if (rewrite.file !== null) Eio.Flow.close(rewrite.file);
  try {
    yield* Eio.Cancel.protect(() => removeIfThere(rewrite.temporary));
  } catch {
    // Something else in its place (a directory, say): the next start removes a file there.
  }
  if (rewrite.cancelled || error instanceof Eio.Cancel.Cancelled) return;
  store.stats.lastRewriteStatus = "err";
  // Try again once the log has doubled again, not at every commit.
  store.rewrittenBytes = store.logBytes;
  // The system's words ("EISDIR: illegal operation on a directory, open ..."), as Redis logs them.
  const reason = error instanceof Eio.Fs.FsError && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
  store.log(`the log rewrite failed, the server goes on with the old log: ${reason}`);
}

/**
 * Writes what was committed since the snapshot began, syncs, and puts the new file in place,
 * while appends and syncs wait (`store.switching`); not cancellable once begun, since a rename
 * whose end was not seen would leave the writer on a file that is no longer the log. Never
 * throws: false if the rewrite failed (and was abandoned). Called with no write or sync in flight.
 */
function* finishRewrite(store: Store): Eio.Operation<boolean> {
  const rewrite = store.rewrite!;
  if (rewrite.cancelled || rewrite.file === null) {
    yield* abortRewrite(store, rewrite, new Error("abandoned"));
    return false;
  }
  const file = rewrite.file;
  const [switching, switched] = Eio.Promise.create<void>();
  store.switching = switching;
  try {
    return yield* Eio.Cancel.protect(function* (): Eio.Operation<boolean> {
      try {
        for (const data of coalesce(rewrite.since.slice(rewrite.sinceWritten))) {
          yield* Eio.Flow.write(file, data);
          rewrite.bytes += data.length;
        }
        yield* Eio.File.sync(file, { dataOnly: true });
        yield* Eio.Path.rename(rewrite.temporary, store.path);
      } catch (error) {
        yield* abortRewrite(store, rewrite, error);
        return false;
      }
      // From here on the new file is the log (renamed, whole and synced): no way back. The
      // writer opens it at its next write (log-file.ts: with the log's own flags).
      Eio.Flow.close(file);
      // All of the rewrite's state at once, before the directory's sync gives other fibers a
      // turn: INFO must never show it ended (aof_rewrite_in_progress:0) with the old log's size.
      store.rewrite = null;
      store.reopen = true;
      store.logBytes = store.rewrittenBytes = store.stats.baseBytes = rewrite.bytes;
      store.stats.compactions++;
      store.stats.lastRewriteStatus = "ok";
      store.stats.lastRewriteMs = Date.now() - rewrite.startedAt;
      try {
        yield* syncDirectory(store.dir);
      } catch {
        // The next sync retries, and fails its batch if it cannot: until then nothing relies on it.
        store.directoryDirty = true;
      }
      return true;
    });
  } finally {
    store.switching = null;
    Eio.Promise.resolve(switched, undefined);
  }
}

/**
 * Writes the snapshot taken by {@link beginRewrite} and most of what was committed meanwhile,
 * and syncs it; then switches files if no write or sync is in flight, else leaves that to the
 * fiber whose write or sync ends last. Throws only Cancelled (after cleaning up); a failure is
 * cleaned up and reported, and returns false.
 */
function* writeRewrite(store: Store, rewrite: Rewrite, now: () => number): Eio.Operation<boolean> {
  const step = function* (operation: () => Eio.Operation<void>): Eio.Operation<void> {
    yield* operation();
    if (rewrite.cancelled) throw new Error("cancelled");
  };
  try {
    try {
      const file = yield* Eio.Path.openOut(store.sw, rewrite.temporary, { create: { orTruncate: 0o644 } });
      rewrite.file = file;
      if (rewrite.cancelled) throw new Error("cancelled");
      for (let slice; (slice = nextSlice(store, rewrite, now())) !== null; ) {
        for (const data of coalesce(slice)) {
          yield* step(() => Eio.Flow.write(file, data));
          rewrite.bytes += data.length;
        }
      }
      // Most of what was committed meanwhile, and the big sync, before the switch. A few rounds
      // at most: commits that do not wait for an fsync (everysec, no) can append faster than
      // these writes catch up, and finishRewrite writes the rest between two commits anyway.
      for (let round = 0; round < 4 && rewrite.sinceWritten < rewrite.since.length; round++) {
        const end = rewrite.since.length;
        for (const data of coalesce(rewrite.since.slice(rewrite.sinceWritten, end))) {
          yield* step(() => Eio.Flow.write(file, data));
          rewrite.bytes += data.length;
        }
        rewrite.sinceWritten = end;
      }
      yield* step(() => Eio.File.sync(file, { dataOnly: true }));
    } finally {
      rewrite.running = false;
    }
  } catch (error) {
    yield* abortRewrite(store, rewrite, error);
    if (error instanceof Eio.Cancel.Cancelled) throw error;
    return false;
  }
  // Switching needs a moment with no write or sync in flight on the old file: now, or right after it.
  if (store.syncing > 0 || store.switching !== null) {
    rewrite.ready = true;
    return true;
  }
  return yield* finishRewrite(store);
}

/**
 * Rewrites the log in the background, as Redis's BGREWRITEAOF: run it in a fiber of its own.
 * The table is written to a new file one slice (`rewriteSliceBytes`) at a time, each write on
 * libuv's thread pool, so the storage loop goes on committing to the old log between slices;
 * what it commits meanwhile is appended to the new file too. Once the new file is synced it
 * replaces the old one, between two syncs. Never throws but `Cancelled` (its file is removed
 * then): a failure leaves the old log in use, sets `stats.lastRewriteStatus` to "err" and is
 * reported to `log`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * if (Storage.rewriteDue(store)) Eio.Fiber.fork(sw, () => Storage.rewrite(store));
 * ```
 */
export function* rewrite(store: Store): Eio.Operation<void> {
  if (store.rewrite !== null || store.closed) return;
  yield* writeRewrite(store, beginRewrite(store, Date.now()), Date.now);
}

/**
 * Abandons the background rewrite in progress, if any (its file is removed, at once or by its
 * fiber after the write in flight): after the log failed to be written, a rewrite begun before
 * may lack changes that never reached the log, so it must not replace it.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Storage.abandonRewrite(store);
 * yield* Storage.rewrite(store); // a fresh one, from the table as it is now
 * ```
 */
export function* abandonRewrite(store: Store): Eio.Operation<void> {
  const rewrite = store.rewrite;
  if (rewrite === null) return;
  rewrite.cancelled = true;
  if (!rewrite.running) yield* abortRewrite(store, rewrite, new Error("abandoned"));
}

/**
 * Rewrites the log now, as the records that make each live key, and replaces the old file
 * before it returns (unless a write or sync of another fiber is in flight: then that fiber
 * switches files when it ends). Throws if the rewrite fails; the old log is still in use then.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Storage.compact(store);
 * Storage.logSize(store); // about the size of the live data
 * ```
 */
export function* compact(store: Store, now: number = Date.now()): Eio.Operation<void> {
  if (store.rewrite !== null) throw new Error("Storage.compact: a background rewrite is in progress");
  if (!(yield* writeRewrite(store, beginRewrite(store, now), () => now))) {
    throw new Error("Storage.compact: the rewrite failed, the old log is still in use");
  }
}

/**
 * Size of the log file in bytes.
 *
 * @example
 * ```ts
 * if (Storage.logSize(store) > limit) yield* Storage.compact(store);
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
 * Closes the log file and releases the directory's lock, even in a cancelled fiber (under
 * `Eio.Cancel.protect`). Uncommitted changes are lost (they were never acknowledged); a
 * background rewrite is abandoned (the old log is whole). With O_DIRECT, the zero padding after
 * the last record is cut first.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Storage.close(store);
 * ```
 */
export function* close(store: Store): Eio.Operation<void> {
  if (store.closed) return;
  store.closed = true;
  yield* Eio.Cancel.protect(function* (): Eio.Operation<void> {
    try {
      yield* abandonRewrite(store);
      // O_DIRECT's zero padding after the last record (on the file the writer has, if it still is the log).
      if (store.flags.direct && !store.reopen) yield* Eio.File.truncate(store.writer.file, store.logBytes);
      LogFile.close(store.writer);
    } finally {
      yield* unlock(store.lockFile);
    }
  });
}
