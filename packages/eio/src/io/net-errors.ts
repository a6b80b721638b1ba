/**
 * Typed network errors, so a handler can tell a peer that went away from a bug.
 * Mirrors the cases of Eio's `Net.error`.
 * @module
 */
import { rememberErrorClass } from "../shared/error-classes.js";
import { Io } from "./exn.js";

/**
 * A network operation failed; `code` is the system's error code (`"EADDRINUSE"`, ...) and
 * `cause` the original error. The base class of the other network errors, and an `Eio.Io`:
 * mirrors Eio's `Eio.Io (Net.E _, context)`, printed `Eio.Io Net ...`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.Net.NetError("EADDRINUSE", "address in use");
 * console.log(err instanceof Eio.Io, err.code, err.message);
 * ```
 */
export class NetError extends Io {
  /** The class name, as for built-in errors. */
  override readonly name: string = "NetError";
  constructor(
    /** The system error code, such as `"ECONNRESET"` or `"EADDRINUSE"`. */
    readonly code: string,
    /** What went wrong. */
    detail: string,
    options?: { cause?: unknown; context?: readonly string[] },
  ) {
    super(`Net ${eioCases.get(new.target) ?? ""}${detail}`, options);
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

/**
 * Looking up a host name or service failed, or found no address of the kind asked for;
 * `code` is the resolver's (`"ENOTFOUND"`, `"EAI_AGAIN"`, `"EAI_NONAME"`, ...). Mirrors Eio's
 * `Net.Address_lookup_failed`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.Net.AddressLookupFailed("EAI_NONAME", "NONAME (name or service is not known)");
 * console.log(err instanceof Eio.Net.NetError, err.message);
 * ```
 */
export class AddressLookupFailed extends NetError {
  /** The class name, as for built-in errors. */
  override readonly name = "AddressLookupFailed";
}

/** How Eio names each case after `Net`. */
const eioCases = new Map<abstract new (...args: never[]) => NetError, string>([
  [ConnectionReset, "Connection_reset "],
  [ConnectionFailure, "Connection_failure "],
  [AddressLookupFailed, "Address_lookup_failed "],
]);

rememberErrorClass(NetError);
rememberErrorClass(ConnectionReset);
rememberErrorClass(ConnectionFailure);
rememberErrorClass(AddressLookupFailed);

const resetCodes = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);
const failureCodes = new Set(["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOENT", "EAI_AGAIN", "ENOTFOUND"]);

/** Turns a Node socket error into one of ours, with what we were doing as its context. @internal */
export function fromNodeError(error: unknown, doing: string): NetError {
  if (error instanceof NetError) return error;
  const code = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : "EIO";
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error, context: [doing] };
  if (resetCodes.has(code)) return new ConnectionReset(code, detail, options);
  if (failureCodes.has(code)) return new ConnectionFailure(code, detail, options);
  return new NetError(code, detail, options);
}
