/**
 * What the store does while its log cannot be written (a full disk, a failing one), as Redis does
 * with an AOF write error: write commands get `-MISCONF Errors writing to the AOF file: <strerror>`
 * and are not run, reads go on, and once the log can be written again (the store retries every
 * second) writes are accepted again.
 * @module
 */
import * as Resp from "./resp.js";

/**
 * The commands Redis flags `write`: refused while the log cannot be written. Names of data types
 * kv-server may not have are listed too, so that a command added later is refused as in Redis.
 *
 * @example
 * ```ts
 * DiskError.WRITE_COMMANDS.has("set"); // true
 * DiskError.WRITE_COMMANDS.has("get"); // false
 * ```
 */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set([
  "set", "setnx", "setex", "psetex", "mset", "msetnx", "append", "setrange", "getset", "getdel", "getex",
  "incr", "decr", "incrby", "decrby", "incrbyfloat", "del", "unlink", "expire", "pexpire", "expireat", "pexpireat",
  "persist", "rename", "renamenx", "move", "copy", "flushdb", "flushall", "restore", "swapdb",
  "hset", "hsetnx", "hmset", "hdel", "hincrby", "hincrbyfloat",
  "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "linsert", "lset", "lrem", "ltrim", "lmove", "rpoplpush", "blpop", "brpop", "blmove", "brpoplpush", "lmpop", "blmpop",
  "sadd", "srem", "spop", "smove", "sinterstore", "sunionstore", "sdiffstore",
  "zadd", "zincrby", "zrem", "zremrangebyscore", "zremrangebyrank", "zremrangebylex", "zpopmin", "zpopmax", "bzpopmin", "bzpopmax", "zmpop", "bzmpop", "zunionstore", "zinterstore", "zdiffstore", "zrangestore",
  "xadd", "xdel", "xtrim", "xgroup", "xack", "xclaim", "xautoclaim", "xsetid",
  "pfadd", "pfmerge", "setbit", "bitop", "bitfield", "geoadd", "georadius", "georadiusbymember", "geosearchstore",
]);

const STRERROR: Record<string, string> = {
  ENOSPC: "No space left on device",
  EIO: "Input/output error",
  EDQUOT: "Disk quota exceeded",
  EROFS: "Read-only file system",
  EFBIG: "File too large",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EBADF: "Bad file descriptor",
  ENOENT: "No such file or directory",
};

/**
 * The C library's text for an error's code (`strerror`), as Redis prints it.
 *
 * @example
 * ```ts
 * DiskError.describe(Object.assign(new Error("write"), { code: "ENOSPC" })); // "No space left on device"
 * ```
 */
export function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && STRERROR[code] !== undefined) return STRERROR[code];
  return error instanceof Error ? error.message : String(error);
}

/**
 * Redis's reply to a write while the log cannot be written.
 *
 * @example
 * ```ts
 * DiskError.misconf("No space left on device").toString(); // "-MISCONF Errors writing to the AOF file: No space left on device\r\n"
 * ```
 */
export function misconf(text: string): Buffer {
  return Resp.error(`MISCONF Errors writing to the AOF file: ${text}`);
}

/**
 * Whether the log can be written, as every domain sees it (shared memory, set by the store):
 * the connections refuse PING with the MISCONF error meanwhile, as Redis 7.0's `processCommand`
 * does (`is_write_command || c->cmd->proc == pingCommand`), so that a health check sees it.
 *
 * @example
 * ```ts
 * const status: DiskError.Status = DiskError.createStatus();
 * ```
 */
export interface Status {
  /** The text's length in bytes, 0 while the log can be written. */
  readonly length: Int32Array;
  readonly bytes: Uint8Array;
}

const STATUS_BYTES = 512;

/**
 * A status that says the log can be written.
 *
 * @example
 * ```ts
 * const status = DiskError.createStatus();
 * DiskError.current(status); // null
 * ```
 */
export function createStatus(): Status {
  return { length: new Int32Array(new SharedArrayBuffer(4)), bytes: new Uint8Array(new SharedArrayBuffer(STATUS_BYTES)) };
}

/**
 * Sets the status (only the store does): the error's text, or null once the log can be written.
 *
 * @example
 * ```ts
 * DiskError.publish(status, "No space left on device");
 * ```
 */
export function publish(status: Status, text: string | null): void {
  // Cleared first: a reader sees no error, or the whole new text, never a torn one.
  Atomics.store(status.length, 0, 0);
  if (text === null) return;
  const bytes = Buffer.from(text).subarray(0, STATUS_BYTES);
  status.bytes.set(bytes);
  Atomics.store(status.length, 0, bytes.length);
}

/**
 * The error's text while the log cannot be written, else null.
 *
 * @example
 * ```ts
 * if (DiskError.current(status) !== null) console.log("writes are refused");
 * ```
 */
export function current(status: Status): string | null {
  const length = Atomics.load(status.length, 0);
  return length === 0 ? null : Buffer.from(status.bytes.subarray(0, length)).toString();
}
