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
