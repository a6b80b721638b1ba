/**
 * The log open for appending, on eio-ts's own file API (`Eio.Path.openOut`, `Eio.File`), with
 * the open flags the blog wished Eio had (`--log-open-flags`):
 *
 * - none (the default): plain writes, then one `fdatasync` per batch (the group commit);
 * - `dsync`: O_DSYNC, each write returns once its bytes are on the device, so no sync follows;
 * - `direct`: O_DIRECT, the page cache bypassed; writes must be whole aligned blocks, so the last,
 *   partial block is kept here and written again, zero-padded, with the next batch. O_DIRECT
 *   alone does not flush the device's cache nor the file's new size: an `fdatasync` still follows
 *   each batch, unless `dsync` is given too. The zero padding past the last record is cut by
 *   Storage.close (and, after a crash, by replay, as a torn tail of zeros).
 *
 * With no flag, a batch of up to {@link INLINE_BYTES} is written and fdatasynced on the store's
 * own thread (`Eio.File.useFd` with node:fs's blocking calls), as the blog's store did its "sync
 * IO" and as Redis does in its `beforeSleep`: the thread has nothing to do meanwhile but take
 * more requests, which wait in the queue and join the next batch. Through libuv's pool each of
 * the two calls is a round trip between threads. Medians of three alternating runs each way,
 * `redis-benchmark -c 50 -t set,get`, `appendfsync always`, on this project's 2-core VM: SET at
 * `-P 1` (100k requests) 38.8k -> 49.0k requests/s with `--single-domain`, 30.9k -> 35.2k in the
 * storage domain; at `-P 16` (1M requests) 347k -> 415k and 288k -> 333k; GET unchanged. Bigger
 * batches (a large value) still go through the pool, so that a slow write or sync of many
 * megabytes never holds the thread, and so do the writes of the flags above.
 * @module
 */
import * as fs from "node:fs";
import * as Eio from "eio-ts";

/**
 * Batches of up to this many bytes (and syncs of as many written since the last) run on the
 * store's own thread; larger ones on libuv's pool.
 *
 * @example
 * ```ts
 * LogFile.INLINE_BYTES; // 1048576
 * ```
 */
export const INLINE_BYTES = 1 << 20;

/**
 * The open flags of the log (`--log-open-flags`).
 *
 * @example
 * ```ts
 * const flags: LogFile.Flags = { dsync: true, direct: false };
 * ```
 */
export interface Flags {
  /** O_DSYNC: each write is durable when it returns. */
  readonly dsync: boolean;
  /** O_DIRECT: bypass the page cache (aligned, zero-padded block writes). */
  readonly direct: boolean;
}

/**
 * No flag: write, then fdatasync once per batch.
 *
 * @example
 * ```ts
 * LogFile.NO_FLAGS.dsync; // false
 * ```
 */
export const NO_FLAGS: Flags = { dsync: false, direct: false };

/** O_DIRECT's unit, as eio-ts's `File` requires it. */
const BLOCK = 512;

/**
 * The log open for appending (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const log: LogFile.LogFile = yield* LogFile.open(sw, Eio.Path.join(env.fs, "data/kv.log"), flags);
 * ```
 */
export interface LogFile {
  /** @internal */ readonly file: Eio.File.File;
  /** @internal */ readonly flags: Flags;
  /** @internal the logical end: where the next record goes (the file may be padded past it) */
  end: number;
  /** @internal bytes written since the last sync */
  unsynced: number;
  /** @internal with direct: the bytes of the last, partial block, from `end - tail.length` */
  tail: Buffer;
}

/**
 * Opens the existing log at `path` (or, with `create`, a new empty one) for appending with
 * `flags`; `sw` closes it. `end` is its length in bytes (the valid records, as replay found
 * them). An O_DIRECT refused by the file system fails here with eio-ts's clear error.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * const log = yield* LogFile.open(sw, Eio.Path.join(env.fs, "/tmp/kv/kv.log"), { dsync: true, direct: false }, 8);
 * ```
 */
export function* open(sw: Eio.Switch.Switch, path: Eio.Path.Path, flags: Flags, end: number, options: { create?: boolean } = {}): Eio.Operation<LogFile> {
  const create = options.create === true ? { ifMissing: 0o644 } : "never";
  // O_APPEND would write past the padding: direct writes go at offsets of their own.
  const file = yield* Eio.Path.openOut(sw, path, { create, append: !flags.direct, sync: flags.dsync, direct: flags.direct });
  const log: LogFile = { file, flags, end, unsynced: 0, tail: Buffer.alloc(0) };
  if (flags.direct) log.tail = yield* readTail(file, end);
  return log;
}

/** The bytes of the last, partial block of a file whose valid bytes end at `end`. */
function* readTail(file: Eio.File.File, end: number): Eio.Operation<Buffer> {
  const start = end - (end % BLOCK);
  if (end === start) return Buffer.alloc(0);
  const block = Buffer.alloc(BLOCK);
  // One aligned read of a whole block: a regular file gives all it has of it.
  const n = yield* Eio.File.pread(file, block, { fileOffset: start });
  if (n < end - start) throw new Error(`kv-server: the log is shorter (${start + n} bytes) than its records (${end} bytes)`);
  return Buffer.from(block.subarray(0, end - start));
}

/**
 * Appends `parts` in order, in as few writes as it can. On failure the caller cuts the file back
 * to the old end ({@link truncate}).
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* LogFile.write(log, [Log.encode({ op: "flush" })]);
 * ```
 */
export function* write(log: LogFile, parts: readonly Buffer[]): Eio.Operation<void> {
  let bytes = 0;
  for (const part of parts) bytes += part.length;
  log.unsynced += bytes;
  if (!log.flags.direct && !log.flags.dsync && bytes <= INLINE_BYTES) {
    Eio.File.useFd(log.file, "appending to the log", (fd) => {
      for (const part of parts) for (let at = 0; at < part.length; ) at += fs.writeSync(fd, part, at);
    });
    log.end += bytes;
    return;
  }
  if (!log.flags.direct) {
    for (const part of parts) yield* Eio.Flow.write(log.file, part);
    log.end += bytes;
    return;
  }
  const start = log.end - log.tail.length;
  const length = log.tail.length + bytes;
  const padded = Buffer.alloc(Math.ceil(length / BLOCK) * BLOCK);
  let at = log.tail.copy(padded);
  for (const part of parts) at += part.copy(padded, at);
  yield* Eio.File.pwrite(log.file, padded, { fileOffset: start });
  log.end += bytes;
  const kept = log.end % BLOCK;
  log.tail = Buffer.from(padded.subarray(length - kept, length));
}

/**
 * Makes what was written durable: an `fdatasync`, or nothing with `dsync` (each write was).
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* LogFile.write(log, parts);
 * yield* LogFile.sync(log); // now the replies may go out
 * ```
 */
export function* sync(log: LogFile): Eio.Operation<void> {
  if (log.flags.dsync) return;
  const unsynced = log.unsynced;
  if (!log.flags.direct && unsynced <= INLINE_BYTES) Eio.File.useFd(log.file, "syncing the log", (fd) => fs.fdatasyncSync(fd));
  else yield* Eio.File.sync(log.file, { dataOnly: true });
  // Only what was written before this sync began is known durable.
  log.unsynced -= unsynced;
}

/**
 * Cuts the file back to `end` bytes (after a failed write, or the padding at close) and
 * appends from there.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* LogFile.truncate(log, endBeforeTheBatch);
 * ```
 */
export function* truncate(log: LogFile, end: number): Eio.Operation<void> {
  yield* Eio.File.truncate(log.file, end);
  if (log.flags.direct && end !== log.end) log.tail = yield* readTail(log.file, end);
  log.end = end;
}

/**
 * Closes the file (its switch would close it too).
 *
 * @example
 * ```ts
 * LogFile.close(log);
 * ```
 */
export function close(log: LogFile): void {
  Eio.Flow.close(log.file);
}

/**
 * Reads `--log-open-flags`: `none`, or a comma-separated list of `dsync` and `direct`.
 *
 * @example
 * ```ts
 * LogFile.parseFlags("direct,dsync"); // { dsync: true, direct: true }
 * ```
 */
export function parseFlags(text: string): Flags {
  const words = text.toLowerCase().split(",").map((word) => word.trim());
  if (words.length === 1 && (words[0] === "none" || words[0] === "")) return NO_FLAGS;
  const unknown = words.find((word) => word !== "dsync" && word !== "direct");
  if (unknown !== undefined || new Set(words).size !== words.length) {
    throw new RangeError(`kv-server: --log-open-flags must be none, or a comma-separated list of dsync and direct, got ${JSON.stringify(text)} (see kv-server --help)`);
  }
  return { dsync: words.includes("dsync"), direct: words.includes("direct") };
}

/**
 * `--log-open-flags`'s spelling of `flags`.
 *
 * @example
 * ```ts
 * LogFile.formatFlags({ dsync: true, direct: true }); // "direct,dsync"
 * ```
 */
export function formatFlags(flags: Flags): string {
  const words = [flags.direct ? "direct" : "", flags.dsync ? "dsync" : ""].filter((word) => word !== "");
  return words.length === 0 ? "none" : words.join(",");
}
