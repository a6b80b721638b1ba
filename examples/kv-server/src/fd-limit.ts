/**
 * Fitting `maxclients` to the process's open-file limit, as Redis does at start
 * (`adjustOpenFilesLimit`): each client takes a descriptor, so with a low `ulimit -n` the clients
 * past the limit would make accept fail with EMFILE. Redis lowers maxclients to fit, with a
 * warning, so those clients get `-ERR max number of clients reached` instead. Node cannot raise
 * the limit itself (Redis tries `setrlimit` first), so here it is only lowered.
 * @module
 */
// Not the log's I/O: two small reads of /proc, once at start, by a synchronous helper that
// main.ts calls while it fits maxclients to the descriptor limit (no file of the store involved).
import * as fs from "node:fs";

/**
 * Descriptors kept for the server's own files (log, rewrite, lock, directory syncs) besides
 * those open at start; Redis keeps 32 (`CONFIG_MIN_RESERVED_FDS`) besides its few.
 *
 * @example
 * ```ts
 * FdLimit.RESERVED; // 32
 * ```
 */
export const RESERVED = 32;

/**
 * The soft limit on open files (`ulimit -n`) from /proc/self/limits, or null where unknown.
 *
 * @example
 * ```ts
 * FdLimit.openFilesLimit(); // 1024, say
 * ```
 */
export function openFilesLimit(): number | null {
  try {
    const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(fs.readFileSync("/proc/self/limits", "latin1"));
    if (match === null || match[1] === "unlimited") return null;
    return Number(match[1]);
  } catch {
    return null;
  }
}

/**
 * Descriptors open in this process now, or 0 where unknown.
 *
 * @example
 * ```ts
 * FdLimit.openFiles(); // 25, say
 * ```
 */
export function openFiles(): number {
  try {
    return fs.readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}

/**
 * The maxclients that fits `limit` descriptors when `inUse` are taken by the server itself (plus
 * {@link RESERVED}), with Redis's warning when it had to be lowered; throws when not even one
 * client fits, with Redis's message.
 *
 * @example
 * ```ts
 * FdLimit.fit(10000, 1024, 25); // { maxclients: 967, warning: "You requested maxclients of 10000 ..." }
 * FdLimit.fit(100, 1024, 25);   // { maxclients: 100, warning: null }
 * ```
 */
export function fit(maxclients: number, limit: number | null, inUse: number): { maxclients: number; warning: string | null } {
  const needed = maxclients + inUse + RESERVED;
  if (limit === null || needed <= limit) return { maxclients, warning: null };
  const fitting = limit - inUse - RESERVED;
  if (fitting < 1) {
    throw new RangeError(
      `kv-server: your current 'ulimit -n' of ${limit} is not enough for the server to start. ` +
        `Please increase your open file limit to at least ${inUse + RESERVED + 1}. Exiting.`,
    );
  }
  return {
    maxclients: fitting,
    warning:
      `kv-server: you requested maxclients of ${maxclients} requiring at least ${needed} max file descriptors. ` +
      `Current maximum open files is ${limit}. maxclients has been reduced to ${fitting} to compensate for low ulimit. ` +
      "If you need higher maxclients increase 'ulimit -n'.",
  };
}
