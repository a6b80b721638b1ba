/**
 * Socket addresses: `{ host, port }` for TCP, `{ path }` for Unix-domain sockets and
 * `{ protocol: "udp", host, port }` for UDP. Mirrors Eio's `Net.Sockaddr`.
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
  /** Optional: says it is a TCP address (any `{ host, port }` without `protocol: "udp"` is one). */
  readonly protocol?: "tcp";
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
 * A UDP address (Eio's `` `Udp ``): what a datagram socket binds to and sends to, and where
 * a received datagram came from.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const addr: Eio.Net.UdpAddr = { protocol: "udp", host: "127.0.0.1", port: 5353 };
 * console.log(Eio.Net.formatSockaddr(addr));
 * ```
 */
export interface UdpAddr {
  /** Marks it as UDP. */
  readonly protocol: "udp";
  /** An IP address such as `"127.0.0.1"` or `"::1"`. */
  readonly host: string;
  /** The port, 0 to 65535 (0 when binding picks one). */
  readonly port: number;
}

/**
 * An address to listen on or connect to (Eio's `Sockaddr.stream`): tell them apart with `in`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const show = (a: Eio.Net.StreamAddr) => ("path" in a ? `unix:${a.path}` : `${a.host}:${a.port}`);
 * console.log(show({ host: "127.0.0.1", port: 80 }), show({ path: "/tmp/s" }));
 * ```
 */
export type StreamAddr = TcpAddr | UnixAddr;

/**
 * An address for datagrams (Eio's `Sockaddr.datagram`). Node has UDP only, no Unix datagram
 * sockets.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const addr: Eio.Net.DatagramAddr = { protocol: "udp", host: "::1", port: 53 };
 * console.log(addr.port);
 * ```
 */
export type DatagramAddr = UdpAddr;

/**
 * Any socket address (Eio's `Sockaddr.t`): a stream address or a datagram address, as
 * `Net.getaddrinfo` returns them. Tell them apart with `"path" in a` and `a.protocol`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const all: Eio.Net.Sockaddr[] = [{ host: "127.0.0.1", port: 80 }, { protocol: "udp", host: "127.0.0.1", port: 80 }];
 * console.log(all.map(Eio.Net.formatSockaddr));
 * ```
 */
export type Sockaddr = StreamAddr | DatagramAddr;

/**
 * An address as Eio prints it: `tcp:127.0.0.1:80`, `tcp:[::1]:80`, `udp:...`, `unix:/path`.
 * Mirrors `Eio.Net.Sockaddr.pp`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.Net.formatSockaddr({ host: "::1", port: 8080 }), Eio.Net.formatSockaddr({ path: "/tmp/s" }));
 * ```
 */
export function formatSockaddr(addr: Sockaddr): string {
  if (typeof addr !== "object" || addr === null) throw new TypeError(`Net.formatSockaddr: expected an address, got ${String(addr)}`);
  if ("path" in addr) return `unix:${addr.path}`;
  const host = addr.host.includes(":") ? `[${addr.host}]` : addr.host;
  return `${addr.protocol === "udp" ? "udp" : "tcp"}:${host}:${addr.port}`;
}

/** Checks a stream address from the user and returns a clean copy. @internal */
export function checkSockaddr(addr: unknown, what: string): StreamAddr {
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
  if (a.protocol !== undefined && a.protocol !== "tcp") {
    throw new TypeError(`${what}: expected a stream address { host, port } or { path }, got a ${String(a.protocol)} address`);
  }
  return checkHostPort(a, what);
}

/** Checks a UDP address from the user and returns a clean copy. @internal */
export function checkUdpAddr(addr: unknown, what: string): UdpAddr {
  if (typeof addr !== "object" || addr === null || (addr as { protocol?: unknown }).protocol !== "udp") {
    throw new TypeError(`${what}: expected a UDP address { protocol: "udp", host, port }, got ${addr !== null && typeof addr === "object" ? JSON.stringify(addr) : String(addr)}`);
  }
  return { protocol: "udp", ...checkHostPort(addr as Record<string, unknown>, what) };
}

function checkHostPort(a: Record<string, unknown>, what: string): { host: string; port: number } {
  if (typeof a.host !== "string" || a.host === "") {
    throw new TypeError(`${what}: address.host must be a non-empty string such as "127.0.0.1", got ${JSON.stringify(a.host)}`);
  }
  if (typeof a.port !== "number" || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new RangeError(`${what}: address.port must be an integer from 0 to 65535, got ${String(a.port)}`);
  }
  return { host: a.host, port: a.port };
}
