/**
 * Open files, as in Eio's `Eio.File`. A file from `Eio.Path.openIn`/`openOut` is a flow (use
 * `Eio.Flow.read`, `write`, `copy`, `Eio.BufRead.of`) reading and writing at its current
 * offset; the functions here read and write at given offsets and examine the file. Its switch
 * closes it. The work runs on libuv's thread pool, so other fibers run meanwhile; a cancelled
 * call returns `Cancelled` at once and the system call, which cannot be stopped, finishes
 * unseen.
 * @module
 */
import * as fs from "node:fs";
import type { Operation } from "../core/scheduler.js";
import { FileImpl, statOf } from "./file-impl.js";
import { EndOfFile, type Sink, type Source } from "./flow.js";
import { describeValue } from "./fs-call.js";

/**
 * An open file: a source and a sink (Eio's `File.rw`; one opened with `openIn` refuses
 * writes). Opaque: use `Eio.Flow` and the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-file-example.txt");
 *   yield* Eio.Path.withOpenOut(path, { create: { orTruncate: 0o600 } }, function* (file: Eio.File.File) {
 *     yield* Eio.Flow.copyString("data", file);
 *   });
 *   console.log(yield* Eio.Path.load(path));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export interface File extends Source, Sink {
  /** @internal */
  readonly fd: number;
}

/**
 * What a directory entry is (Eio's `File.Stat.kind`).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const kind: Eio.File.Kind = "regularFile";
 * console.log(kind);
 * ```
 */
export type Kind = "unknown" | "fifo" | "characterSpecial" | "directory" | "blockDevice" | "regularFile" | "symbolicLink" | "socket";

/**
 * What `stat` says about a file (Eio's `File.Stat.t`); times are in seconds since the epoch.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const stat: Eio.File.Stat = yield* Eio.Path.stat(Eio.Path.join(env.fs, "/"), { follow: true });
 *   console.log(stat.kind);
 * });
 * ```
 */
export interface Stat {
  /** The device the file is on. */
  readonly dev: number;
  /** The inode number. */
  readonly ino: number;
  /** What it is: a regular file, a directory, a symlink... */
  readonly kind: Kind;
  /** The permission bits, such as `0o644`. */
  readonly perm: number;
  /** How many hard links it has. */
  readonly nlink: number;
  /** The owner's user id. */
  readonly uid: number;
  /** The owner's group id. */
  readonly gid: number;
  /** The device it is, for a device file. */
  readonly rdev: number;
  /** The size in bytes. */
  readonly size: number;
  /** Last access, in seconds since the epoch. */
  readonly atime: number;
  /** Last change of the contents, in seconds since the epoch. */
  readonly mtime: number;
  /** Last change of the inode (contents, owner, permissions...), in seconds since the epoch. */
  readonly ctime: number;
}

function checkFile(file: unknown, what: string): FileImpl {
  if (!(file instanceof FileImpl)) throw new TypeError(`${what}: expected a file from Eio.Path.openIn or openOut, got ${describeValue(file)}`);
  return file;
}

function checkOffset(value: unknown, what: string, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what}: ${name} must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

function checkBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what}: expected a Uint8Array (or Buffer), got ${value === null ? "null" : typeof value}`);
  return value;
}

/**
 * Reads at least one byte into `buffer` from `fileOffset`, without moving the file's offset;
 * returns the count, or throws `EndOfFile` at or past the end. Mirrors `Eio.File.pread`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-pread-example.txt");
 *   yield* Eio.Path.save(path, "hello world", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.withOpenIn(path, function* (file) {
 *     const buffer = new Uint8Array(5);
 *     const n = yield* Eio.File.pread(file, buffer, { fileOffset: 6 });
 *     console.log(Buffer.from(buffer.subarray(0, n)).toString());
 *   });
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* pread(file: File, buffer: Uint8Array, options: { fileOffset: number }): Operation<number> {
  const f = checkFile(file, "File.pread");
  checkBytes(buffer, "File.pread");
  const at = checkOffset(options?.fileOffset, "File.pread", "options.fileOffset");
  if (buffer.length === 0) throw new RangeError("File.pread: the buffer is empty (length 0)");
  const n = yield* f.preadAt(buffer, at);
  if (n === 0) throw new EndOfFile();
  return n;
}

/**
 * Fills `buffer` from `fileOffset`; throws `EndOfFile` if the file ends first. Mirrors
 * `Eio.File.pread_exact`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-pread-exact-example.txt");
 *   yield* Eio.Path.save(path, "abcdef", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.withOpenIn(path, function* (file) {
 *     const buffer = new Uint8Array(3);
 *     yield* Eio.File.preadExact(file, buffer, { fileOffset: 2 });
 *     console.log(Buffer.from(buffer).toString());
 *   });
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* preadExact(file: File, buffer: Uint8Array, options: { fileOffset: number }): Operation<void> {
  const f = checkFile(file, "File.preadExact");
  checkBytes(buffer, "File.preadExact");
  const at = checkOffset(options?.fileOffset, "File.preadExact", "options.fileOffset");
  let got = 0;
  while (got < buffer.length) {
    const n = yield* f.preadAt(buffer.subarray(got), at + got);
    if (n === 0) throw new EndOfFile();
    got += n;
  }
}

/**
 * Writes all of `data` at `fileOffset`, without moving the file's offset (for a file opened
 * with `append`, Linux writes at the end whatever the offset). Mirrors `Eio.File.pwrite_all`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-pwrite-example.txt");
 *   yield* Eio.Path.save(path, "hello world", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.withOpenOut(path, { create: "never" }, function* (file) {
 *     yield* Eio.File.pwrite(file, "WORLD", { fileOffset: 6 });
 *   });
 *   console.log(yield* Eio.Path.load(path));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* pwrite(file: File, data: Uint8Array | string, options: { fileOffset: number }): Operation<void> {
  const f = checkFile(file, "File.pwrite");
  const bytes = typeof data === "string" ? Buffer.from(data) : checkBytes(data, "File.pwrite");
  const at = checkOffset(options?.fileOffset, "File.pwrite", "options.fileOffset");
  let done = 0;
  while (done < bytes.length) done += yield* f.pwriteAt(bytes.subarray(done), at + done);
}

/**
 * The file's size in bytes. Mirrors `Eio.File.size`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-size-example.txt");
 *   yield* Eio.Path.save(path, "12345", { create: { orTruncate: 0o600 } });
 *   console.log(yield* Eio.Path.withOpenIn(path, (file) => Eio.File.size(file)));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* size(file: File): Operation<number> {
  const f = checkFile(file, "File.size");
  return (yield* f.call<fs.Stats>("examining", (fd, cb) => fs.fstat(fd, cb))).size;
}

/**
 * What the system says about the open file (`fstat`). Mirrors `Eio.File.stat`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-fstat-example.txt");
 *   yield* Eio.Path.save(path, "x", { create: { orTruncate: 0o600 } });
 *   const s = yield* Eio.Path.withOpenIn(path, (file) => Eio.File.stat(file));
 *   console.log(s.kind, s.size, s.perm.toString(8));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* stat(file: File): Operation<Stat> {
  const f = checkFile(file, "File.stat");
  return statOf(yield* f.call<fs.Stats>("examining", (fd, cb) => fs.fstat(fd, cb)));
}

/**
 * Moves the file's offset (where the flow functions read and write next): to `offset`
 * (`"set"`), by `offset` (`"cur"`) or to the end plus `offset` (`"end"`); returns the new
 * offset. Mirrors `Eio.File.seek`.
 *
 * Suspends: for `"end"` (and after an append), to learn the size — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-seek-example.txt");
 *   yield* Eio.Path.save(path, "0123456789", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.withOpenIn(path, function* (file) {
 *     console.log(yield* Eio.File.seek(file, -3, "end"));
 *     console.log(yield* Eio.BufRead.takeAll(Eio.BufRead.of(file, { maxSize: 100 })));
 *   });
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* seek(file: File, offset: number, whence: "set" | "cur" | "end"): Operation<number> {
  const f = checkFile(file, "File.seek");
  if (typeof offset !== "number" || !Number.isSafeInteger(offset)) throw new RangeError(`File.seek: offset must be an integer, got ${describeValue(offset)}`);
  let base: number;
  if (whence === "set") base = 0;
  else if (whence === "cur") base = yield* f.currentOffset();
  else if (whence === "end") base = yield* size(file);
  else throw new RangeError(`File.seek: whence must be "set", "cur" or "end", got ${describeValue(whence)}`);
  const to = base + offset;
  if (to < 0) throw new RangeError(`File.seek: the offset would be negative (${to})`);
  f.offset = to;
  return to;
}

/**
 * Flushes the file's data and metadata to the storage device (`fsync`); with
 * `{ dataOnly: true }`, its data and only the metadata needed to read it back (`fdatasync`).
 * Mirrors `Eio.File.sync`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-sync-example.txt");
 *   yield* Eio.Path.withOpenOut(path, { create: { orTruncate: 0o600 } }, function* (file) {
 *     yield* Eio.Flow.write(file, "durable");
 *     yield* Eio.File.sync(file);
 *     yield* Eio.File.sync(file, { dataOnly: true });
 *   });
 *   console.log(yield* Eio.Path.load(path));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* sync(file: File, options: { dataOnly?: boolean } = {}): Operation<void> {
  const f = checkFile(file, "File.sync");
  if (options.dataOnly !== undefined && typeof options.dataOnly !== "boolean") {
    throw new TypeError(`File.sync: options.dataOnly must be a boolean, got ${describeValue(options.dataOnly)}`);
  }
  if (options.dataOnly === true) yield* f.call<void>("syncing", (fd, cb) => fs.fdatasync(fd, (e) => cb(e, undefined)));
  else yield* f.call<void>("syncing", (fd, cb) => fs.fsync(fd, (e) => cb(e, undefined)));
}

/**
 * Runs `fn` on this thread with the file's descriptor, for a system call that eio-ts does not
 * wrap or that must not wait for libuv's pool (a blocking `fs.fdatasyncSync`, say: the whole
 * domain waits for it, as it would in Eio). `doing` names the call in the error thrown when
 * the file is already closed; what `fn` throws is thrown as is. Do not close the descriptor:
 * the file's switch does. Mirrors Eio's `Eio_unix.Fd.use_exn doing (Eio_unix.Resource.fd file) fn`.
 *
 * @example
 * ```ts
 * import * as fs from "node:fs";
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-use-fd-example.txt");
 *   yield* Eio.Path.withOpenOut(path, { create: { orTruncate: 0o600 } }, function* (file) {
 *     Eio.File.useFd(file, "appending", (fd) => {
 *       fs.writeSync(fd, "durable");
 *       fs.fdatasyncSync(fd);
 *     });
 *   });
 *   console.log(yield* Eio.Path.load(path));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function useFd<T>(file: File, doing: string, fn: (fd: number) => T): T {
  const f = checkFile(file, "File.useFd");
  if (typeof doing !== "string") throw new TypeError(`File.useFd: doing must be a string naming the call, got ${describeValue(doing)}`);
  if (typeof fn !== "function") throw new TypeError(`File.useFd: fn must be a function of the descriptor, got ${describeValue(fn)}`);
  return f.useFd(doing, fn);
}

/**
 * Sets the file's size to `length` bytes: cuts it, or extends it with zeros. The offset does
 * not move. Mirrors `Eio.File.truncate`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-truncate-example.txt");
 *   yield* Eio.Path.save(path, "hello world", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.withOpenOut(path, { create: "never" }, (file) => Eio.File.truncate(file, 5));
 *   console.log(yield* Eio.Path.load(path));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function* truncate(file: File, length: number): Operation<void> {
  const f = checkFile(file, "File.truncate");
  checkOffset(length, "File.truncate", "length");
  yield* f.call<void>("truncating", (fd, cb) => fs.ftruncate(fd, length, (e) => cb(e, undefined)));
}
