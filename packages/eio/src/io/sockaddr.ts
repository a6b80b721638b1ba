/**
 * Socket addresses: `{ host, port }` for TCP, `{ path }` for Unix-domain sockets.
 * Mirrors Eio's `Net.Sockaddr.stream`.
 * @module
 */

/**
 * A TCP address: an IP address (or `"localhost"`) and a port (0 when listening picks one).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const addr: Eio.Net.TcpAddr = { host: "127.0.0.1", port: 8080 };
 * console.log(addr.port);
 * ```
 */
export interface TcpAddr {
  /** An IP address such as `"127.0.0.1"` or `"::1"`, or a host name when connecting. */
  readonly host: string;
  /** The port, 0 to 65535. */
  readonly port: number;
}

/**
 * A Unix-domain socket, named by its path in the file system.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const addr: Eio.Net.UnixAddr = { path: "/tmp/app.sock" };
 * console.log(addr.path);
 * ```
 */
export interface UnixAddr {
  /** The socket file's path. */
  readonly path: string;
}

/**
 * An address to listen on or connect to (Eio's `Sockaddr.stream`): tell them apart with `in`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const show = (a: Eio.Net.Sockaddr) => ("path" in a ? `unix:${a.path}` : `${a.host}:${a.port}`);
 * console.log(show({ host: "127.0.0.1", port: 80 }), show({ path: "/tmp/s" }));
 * ```
 */
export type Sockaddr = TcpAddr | UnixAddr;

/** Checks an address from the user and returns a clean copy. @internal */
export function checkSockaddr(addr: unknown, what: string): Sockaddr {
  if (typeof addr !== "object" || addr === null) {
    throw new TypeError(`${what}: expected an address { host, port } or { path }, got ${String(addr)}`);
  }
  const a = addr as Record<string, unknown>;
  if ("path" in a) {
    if (typeof a.path !== "string" || a.path === "") {
      throw new TypeError(`${what}: the Unix socket path must be a non-empty string, got ${JSON.stringify(a.path)}`);
    }
    return { path: a.path };
  }
  if (typeof a.host !== "string" || a.host === "") {
    throw new TypeError(`${what}: address.host must be a non-empty string such as "127.0.0.1", got ${JSON.stringify(a.host)}`);
  }
  if (typeof a.port !== "number" || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new RangeError(`${what}: address.port must be an integer from 0 to 65535, got ${String(a.port)}`);
  }
  return { host: a.host, port: a.port };
}
