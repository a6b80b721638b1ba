/**
 * Typed network errors, so a handler can tell a peer that went away from a bug.
 * Mirrors the cases of Eio's `Net.error`.
 * @module
 */

/**
 * A network operation failed; `code` is the system's error code (`"EADDRINUSE"`, ...) and
 * `cause` the original error. The base class of the other network errors. Mirrors Eio's
 * `Eio.Io (Net.E _, _)`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.Net.NetError("EADDRINUSE", "address in use");
 * console.log(err instanceof Error, err.code);
 * ```
 */
export class NetError extends Error {
  /** The class name, as for built-in errors. */
  override readonly name: string = "NetError";
  constructor(
    /** The system error code, such as `"ECONNRESET"` or `"EADDRINUSE"`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The peer reset the connection (or it broke) while we read or wrote. Mirrors Eio's
 * `Net.Connection_reset`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.Net.ConnectionReset("ECONNRESET", "reset by peer");
 * console.log(err instanceof Eio.Net.NetError, err.name);
 * ```
 */
export class ConnectionReset extends NetError {
  /** The class name, as for built-in errors. */
  override readonly name = "ConnectionReset";
}

/**
 * Connecting failed: refused, unreachable or timed out. Mirrors Eio's `Net.Connection_failure`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.Net.ConnectionFailure("ECONNREFUSED", "refused").name);
 * ```
 */
export class ConnectionFailure extends NetError {
  /** The class name, as for built-in errors. */
  override readonly name = "ConnectionFailure";
}

const resetCodes = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);
const failureCodes = new Set(["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOENT", "EAI_AGAIN", "ENOTFOUND"]);

/** Turns a Node socket error into one of ours, naming what we were doing. @internal */
export function fromNodeError(error: unknown, doing: string): NetError {
  if (error instanceof NetError) return error;
  const code = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : "EIO";
  const detail = error instanceof Error ? error.message : String(error);
  const message = `${doing}: ${detail}`;
  if (resetCodes.has(code)) return new ConnectionReset(code, message, { cause: error });
  if (failureCodes.has(code)) return new ConnectionFailure(code, message, { cause: error });
  return new NetError(code, message, { cause: error });
}
