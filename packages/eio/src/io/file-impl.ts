/**
 * An open file: a flow whose reads and writes run on libuv's pool, at an offset kept here
 * (Node has no `lseek`). Closing waits for calls in flight, so their fd number is never
 * reused under them. With `direct`, I/O goes through a bounce buffer aligned for O_DIRECT.
 * @internal
 * @module
 */
import * as fs from "node:fs";
import type { Operation } from "../core/scheduler.js";
import { tryRemoveHook, type Hook } from "../core/switch.js";
import { EndOfFile, type Sink, type Source } from "./flow.js";
import { fsCall, fsError } from "./fs-call.js";
import { FsError } from "./fs.js";
import type { Kind, Stat } from "./file.js";

/** O_DIRECT's unit: lengths and offsets must be multiples of it, memory aligned to it. */
export const DIRECT_BLOCK = 512;

export class FileImpl implements Source, Sink {
  /** Where the next read or write goes; null after an append (the end, wherever it is now). */
  offset: number | null = 0;
  closed = false;
  private inFlight = 0;
  private closeWhenIdle = false;
  hook: Hook | null = null;
  private bounce: Bounce | null = null;
  /** Not seekable (a pipe, a terminal): found at the first read or write that says ESPIPE. */
  private stream = false;

  constructor(
    readonly fd: number,
    /** `<cwd:x>`, for errors. */
    readonly label: string,
    readonly append: boolean,
    readonly direct: boolean,
  ) {
    if (append) this.offset = null;
  }

  /** Runs a node:fs call on this file's fd, named `doing` in errors. */
  *call<T>(doing: string, start: (fd: number, cb: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Operation<T> {
    if (this.closed) throw new FsError("EBADF", "EBADF: the file is closed", { context: [`${doing} ${this.label}`] });
    this.inFlight++;
    const done = (): void => {
      if (--this.inFlight === 0 && this.closeWhenIdle) this.closeFd();
    };
    try {
      return yield* fsCall<T>(doing, (cb) =>
        start(this.fd, (error, value) => {
          done();
          cb(error, value);
        }),
      );
    } catch (error) {
      throw this.direct && (error as NodeJS.ErrnoException).code === "EINVAL" ? directRefused(this.label, doing, error) : fsError(error, `${doing} ${this.label}`);
    }
  }

  /** Runs `fn` with the fd now, on this thread (the fd cannot be closed under it: closing is this thread's too). */
  useFd<T>(doing: string, fn: (fd: number) => T): T {
    if (this.closed) throw new FsError("EBADF", "EBADF: the file is closed", { context: [`${doing} ${this.label}`] });
    return fn(this.fd);
  }

  *currentOffset(): Operation<number> {
    if (this.offset === null) this.offset = (yield* this.call<fs.Stats>("sizing", (fd, cb) => fs.fstat(fd, cb))).size;
    return this.offset;
  }

  *preadAt(buffer: Uint8Array, position: number): Operation<number> {
    if (!this.direct) return yield* this.call<number>("reading", (fd, cb) => fs.read(fd, buffer, 0, buffer.length, position, cb));
    checkDirect(this.label, "reading", buffer.length, position);
    const bounce = (this.bounce ??= new Bounce());
    const n = yield* bounce.run(buffer.length, (view) => this.call<number>("reading", (fd, cb) => fs.read(fd, view, 0, view.length, position, cb)), true);
    buffer.set(bounce.view(n));
    return n;
  }

  *pwriteAt(data: Uint8Array, position: number | null): Operation<number> {
    if (!this.direct) return yield* this.call<number>("writing", (fd, cb) => fs.write(fd, data, 0, data.length, position, cb));
    checkDirect(this.label, "writing", data.length, position ?? 0);
    const bounce = (this.bounce ??= new Bounce());
    return yield* bounce.run(data.length, (view) => {
      view.set(data);
      return this.call<number>("writing", (fd, cb) => fs.write(fd, view, 0, view.length, position, cb));
    }, false);
  }

  *readInto(buffer: Uint8Array): Operation<number> {
    if (this.stream) {
      const n = yield* this.call<number>("reading", (fd, cb) => fs.read(fd, buffer, 0, buffer.length, null, cb));
      if (n === 0) throw new EndOfFile();
      return n;
    }
    const at = yield* this.currentOffset();
    let n: number;
    try {
      n = yield* this.preadAt(buffer, at);
    } catch (error) {
      if (!this.becameStream(error)) throw error;
      return yield* this.readInto(buffer);
    }
    if (n === 0) throw new EndOfFile();
    this.offset = at + n;
    return n;
  }

  *writeAll(data: Uint8Array): Operation<void> {
    let written = 0;
    while (written < data.length) {
      const position = this.append || this.stream ? null : yield* this.currentOffset();
      let n: number;
      try {
        n = yield* this.pwriteAt(data.subarray(written), position);
      } catch (error) {
        if (!this.becameStream(error)) throw error;
        continue;
      }
      written += n;
      this.offset = position === null ? null : position + n;
    }
  }

  /** A pipe or device has no offset (ESPIPE): from now on, read and write where it is. */
  private becameStream(error: unknown): boolean {
    if ((error as FsError).code !== "ESPIPE" || this.stream) return false;
    this.stream = true;
    this.offset = null;
    return true;
  }

  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.hook !== null) tryRemoveHook(this.hook);
    if (this.inFlight === 0) this.closeFd();
    else this.closeWhenIdle = true;
  }

  private closeFd(): void {
    fs.close(this.fd, () => {});
  }
}

function checkDirect(label: string, doing: string, length: number, position: number): void {
  if (length % DIRECT_BLOCK !== 0 || position % DIRECT_BLOCK !== 0) {
    throw new RangeError(
      `File: ${label} was opened with { direct: true } (O_DIRECT): ${doing} needs a length and an offset that are multiples of ${DIRECT_BLOCK}, got length ${length} at offset ${position}`,
    );
  }
}

/** O_DIRECT refused (EINVAL): say so plainly. */
export function directRefused(label: string, doing: string, cause: unknown): FsError {
  return new FsError(
    "EINVAL",
    `EINVAL: O_DIRECT ({ direct: true }) refused: the file system of ${label} does not support direct I/O, or the length, offset or memory is not aligned as it requires`,
    { cause, context: [`${doing} ${label}`] },
  );
}

/**
 * Memory aligned for O_DIRECT. JavaScript cannot see addresses, so the aligned start inside
 * an over-allocated buffer is found by trying: the kernel refuses misaligned memory with
 * EINVAL before doing any I/O. The first transfer that moves bytes fixes the start.
 */
class Bounce {
  private memory = new Uint8Array(0);
  private start = -1;

  view(length: number): Uint8Array {
    return this.memory.subarray(Math.max(this.start, 0), Math.max(this.start, 0) + length);
  }

  *run(length: number, io: (view: Uint8Array) => Operation<number>, reading: boolean): Operation<number> {
    if (this.memory.length < length + 4096) {
      this.memory = new Uint8Array(length + 4096);
      this.start = -1;
    }
    if (this.start >= 0) return yield* io(this.view(length));
    let refused: unknown = null;
    for (let start = 0; start < 4096; start += 16) {
      let n: number;
      try {
        n = yield* io(this.memory.subarray(start, start + length));
      } catch (error) {
        if ((error as FsError).code !== "EINVAL") throw error;
        refused = error;
        continue;
      }
      // A read at the end of the file moves nothing and proves nothing about alignment.
      if (n > 0 || !reading) this.start = start;
      return n;
    }
    throw refused;
  }
}

/** node:fs's `Stats` as Eio's `File.Stat.t`. */
export function statOf(s: fs.Stats): Stat {
  const kind: Kind = s.isFile()
    ? "regularFile"
    : s.isDirectory()
      ? "directory"
      : s.isSymbolicLink()
        ? "symbolicLink"
        : s.isFIFO()
          ? "fifo"
          : s.isCharacterDevice()
            ? "characterSpecial"
            : s.isBlockDevice()
              ? "blockDevice"
              : s.isSocket()
                ? "socket"
                : "unknown";
  return {
    dev: s.dev,
    ino: s.ino,
    kind,
    perm: s.mode & 0o7777,
    nlink: s.nlink,
    uid: s.uid,
    gid: s.gid,
    rdev: s.rdev,
    size: s.size,
    atime: s.atimeMs / 1000,
    mtime: s.mtimeMs / 1000,
    ctime: s.ctimeMs / 1000,
  };
}
