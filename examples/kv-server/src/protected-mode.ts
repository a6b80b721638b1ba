/**
 * Redis's protected mode (`protected-mode yes`, the default): with no password set, a client that
 * does not come from the loopback interface gets Redis's DENIED message and is closed. Bound to
 * 127.0.0.1 (kv-server's default) every client is local; it matters once `--bind` opens the
 * server to other hosts.
 * @module
 */
import type * as Eio from "eio-ts";

/**
 * Redis 7.0's reply to a client refused by protected mode, word for word.
 *
 * @example
 * ```ts
 * ProtectedMode.DENIED.toString().startsWith("-DENIED Redis is running in protected mode"); // true
 * ```
 */
// "Setup a an" is redis-server 7.0's own text (checked against it bound to a non-loopback address).
export const DENIED: Buffer = Buffer.from(
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
    "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to " +
    "Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET " +
    "protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however " +
    "MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
    "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected " +
    "mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it " +
    "with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to " +
    "do one of the above things in order for the server to start accepting connections from the outside.\r\n",
);

/**
 * True for an address of the loopback interface (127.0.0.0/8, ::1, and IPv4 loopback mapped to
 * IPv6) and for Unix sockets, as Redis's `connIsLocal`.
 *
 * @example
 * ```ts
 * ProtectedMode.isLocal({ host: "127.0.0.2", port: 5000 }); // true
 * ProtectedMode.isLocal({ host: "192.168.1.9", port: 5000 }); // false
 * ```
 */
export function isLocal(addr: Eio.Net.Sockaddr): boolean {
  if ("path" in addr) return true;
  const host = addr.host.toLowerCase();
  return host.startsWith("127.") || host === "::1" || host.startsWith("::ffff:127.");
}

/**
 * Whether protected mode refuses a client from `addr`.
 *
 * @example
 * ```ts
 * ProtectedMode.denies(true, null, { host: "10.0.0.5", port: 5000 });     // true
 * ProtectedMode.denies(true, "s3cret", { host: "10.0.0.5", port: 5000 }); // false: a password is set
 * ```
 */
export function denies(protectedMode: boolean, requirepass: string | null, addr: Eio.Net.Sockaddr): boolean {
  return protectedMode && requirepass === null && !isLocal(addr);
}
