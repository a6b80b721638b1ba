/**
 * Networking, as in Eio's `Eio.Net`: listen, accept and connect over TCP or Unix sockets.
 * Every socket belongs to a switch and is closed when the switch finishes. Connections are
 * flows: read and write them with `Eio.Flow` and `Eio.BufRead`/`Eio.BufWrite`.
 * @module
 */
import { Cancelled } from "../core/errors.js";
import { fork } from "../core/fiber.js";
import { type Operation, runBody } from "../core/scheduler.js";
import { run as runSwitch, type Switch } from "../core/switch.js";
import { checkOurDomain } from "../core/switch-type.js";
import { isListeningSocket, type ListeningSocket } from "./listening-socket.js";
import { isNet, type Net } from "./net-capability.js";
import { isDatagramSocket, type DatagramSocket } from "./net-datagram.js";
import { addContext, Io } from "./exn.js";
import { AddressLookupFailed, ConnectionFailure, NetError } from "./net-errors.js";
import type { Stream } from "./net-stream.js";
import { checkSockaddr, checkUdpAddr, formatSockaddr, type DatagramAddr, type Sockaddr, type StreamAddr } from "./sockaddr.js";
import { Timeout, type TimeoutValue } from "./time.js";

export { NetError, ConnectionReset, ConnectionFailure, AddressLookupFailed } from "./net-errors.js";
export { formatSockaddr } from "./sockaddr.js";
export type { Sockaddr, StreamAddr, DatagramAddr, TcpAddr, UnixAddr, UdpAddr } from "./sockaddr.js";
export type { ListeningSocket } from "./listening-socket.js";
export type { DatagramSocket } from "./net-datagram.js";
export { runServer, type RunServerOptions, type ConnectionHandler } from "./run-server.js";

export type { Stream } from "./net-stream.js";
export type { Net } from "./net-capability.js";

/**
 * Options for {@link listen}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Net.ListenOptions = { reuseAddr: true, backlog: 1024 };
 * console.log(options.backlog);
 * ```
 */
export interface ListenOptions {
  /**
   * Allow binding a port whose old connections are still closing (always on for TCP in Node),
   * and for a Unix socket, remove a stale socket file at `path` first.
   */
  reuseAddr?: boolean;
  /**
   * Let several sockets listen on the same TCP port, the kernel spreading connections over
   * them (SO_REUSEPORT). Node's `net.Server.listen` has it from Node 22.12 only: on Node 20 or
   * 22.11 and older, `true` is refused with a `TypeError` saying so. To share one port between
   * domains on any Node, use `Net.runServer`'s `additionalDomains`.
   */
  reusePort?: boolean;
  /** How many connections the kernel queues before they are accepted (default 511). */
  backlog?: number;
}

function checkNet(net: unknown, what: string): Net {
  if (!isNet(net)) throw new TypeError(`${what}: expected a network (env.net or an Eio.Mock.Net), got ${String(net)}`);
  return net;
}

function checkFlag(value: unknown, name: string, what: string): boolean {
  if (value !== undefined && typeof value !== "boolean") throw new TypeError(`${what}: options.${name} must be a boolean, got ${typeof value}`);
  return value === true;
}

/**
 * Makes a socket listening on `addr`, attached to `sw`. Binding errors (port in use, no such
 * directory) are thrown here as `NetError` with `code` (`"EADDRINUSE"`, ...). `reusePort` needs
 * Node 22.12 or later (see {@link ListenOptions}). Port 0 picks a
 * free port: ask {@link listeningAddr} which. Mirrors `Eio.Net.listen`.
 *
 * Suspends: yes — use `yield*`. Cancelling stops the listen with `Cancelled`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { backlog: 128 });
 *     console.log(Eio.Net.listeningAddr(socket));
 *   });
 * });
 * ```
 */
export function* listen(sw: Switch, net: Net, addr: StreamAddr, options: ListenOptions = {}): Operation<ListeningSocket> {
  checkOurDomain(sw, "listen on a socket");
  const network = checkNet(net, "Net.listen");
  const address = checkSockaddr(addr, "Net.listen");
  const backlog = options.backlog ?? 511;
  if (!Number.isInteger(backlog) || backlog <= 0) {
    throw new RangeError(`Net.listen: options.backlog must be a positive integer, got ${String(backlog)}`);
  }
  const reuseAddr = checkFlag(options.reuseAddr, "reuseAddr", "Net.listen");
  const reusePort = checkFlag(options.reusePort, "reusePort", "Net.listen");
  if (reusePort && "path" in address) throw new TypeError("Net.listen: options.reusePort is for TCP ports, not Unix sockets");
  return yield* network.listenOn(sw, address, { reuseAddr, reusePort, backlog });
}

/**
 * The address a listening socket is bound to (with the real port if you asked for port 0).
 * Mirrors `Eio.Net.listening_addr`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     const addr = Eio.Net.listeningAddr(socket);
 *     console.log("port" in addr && addr.port > 0);
 *   });
 * });
 * ```
 */
export function listeningAddr(socket: ListeningSocket): StreamAddr {
  return checkListening(socket, "Net.listeningAddr").address;
}

function checkListening(socket: unknown, what: string): ListeningSocket {
  if (!isListeningSocket(socket)) {
    throw new TypeError(`${what}: expected a listening socket (from Net.listen), got ${String(socket)}`);
  }
  return socket;
}

/**
 * Waits for a connection on `socket` and returns it with the client's address; the connection
 * belongs to `sw`. Mirrors `Eio.Net.accept`.
 *
 * Suspends: until a client connects — use `yield*`. Cancelling throws `Cancelled`; no
 * connection is lost (it stays queued for the next accept).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
 *     const [, client] = yield* Eio.Net.accept(sw, server);
 *     console.log("host" in client ? client.host : client.path);
 *   });
 * });
 * ```
 */
export function accept(sw: Switch, socket: ListeningSocket): Operation<[Stream, StreamAddr]> {
  checkOurDomain(sw, "accept a connection");
  return checkListening(socket, "Net.accept").acceptOn(sw);
}

/**
 * Options for {@link acceptFork}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Net.AcceptForkOptions = { onError: (e) => console.error("connection failed:", e) };
 * console.log(typeof options.onError);
 * ```
 */
export interface AcceptForkOptions {
  /** Called (in the new fiber) with the handler's error (an `Eio.Io` one gets the context "handling connection from ADDR"); `Cancelled` is never passed here. */
  onError: (error: unknown) => unknown;
}

/**
 * What handles one connection: `(flow, clientAddr)`, a generator function or plain function.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const greet: Eio.Net.Handler = (flow) => Eio.Flow.copyString("hello\n", flow);
 * console.log(typeof greet);
 * ```
 */
export type Handler = (flow: Stream, clientAddr: StreamAddr) => unknown;

/**
 * Accepts a connection and handles it in a new fiber of `sw`; the connection is closed when
 * the handler returns or fails. An error of the handler goes to `onError` instead of failing
 * `sw`. Mirrors `Eio.Net.accept_fork`.
 *
 * Suspends: until a client connects — use `yield*` (the handler runs in its own fiber).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     const client = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
 *     yield* Eio.Net.acceptFork(sw, server, (flow) => Eio.Flow.copyString("hi\n", flow), {
 *       onError: (e) => console.log("handler failed", e),
 *     });
 *     const reader = Eio.BufRead.of(client, { maxSize: 100 });
 *     console.log(yield* Eio.BufRead.line(reader));
 *   });
 * });
 * ```
 */
export function* acceptFork(sw: Switch, socket: ListeningSocket, handler: Handler, options: AcceptForkOptions): Operation<void> {
  if (typeof handler !== "function") throw new TypeError(`Net.acceptFork: expected a handler function (flow, addr) => ..., got ${typeof handler}`);
  if (typeof options !== "object" || options === null || typeof options.onError !== "function") {
    throw new TypeError("Net.acceptFork: options.onError must be a function (error) => ...; pass one to decide what a failing handler does");
  }
  const [flow, addr] = yield* accept(sw, socket);
  let started = false;
  try {
    // Named, so traces name a connection's fiber "connection".
    fork(sw, function* connection() {
      started = true;
      try {
        yield* runBody(handler(flow, addr));
      } catch (error) {
        flow.closeNow();
        if (error instanceof Cancelled) throw error;
        yield* runBody(options.onError(addContext(error, `handling connection from ${formatSockaddr(addr)}`)));
      } finally {
        flow.closeNow();
      }
    });
  } finally {
    if (!started) flow.closeNow();
  }
}

/**
 * Connects to `addr` and returns the connection, attached to `sw`. A refused or unreachable
 * peer throws `ConnectionFailure`. Mirrors `Eio.Net.connect`.
 *
 * Suspends: until connected — use `yield*`. Cancelling aborts the attempt with `Cancelled`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     try {
 *       yield* Eio.Net.connect(sw, env.net, { path: "/nonexistent/eio.sock" });
 *     } catch (e) {
 *       console.log((e as Error).name);
 *     }
 *   });
 * });
 * ```
 */
export function* connect(sw: Switch, net: Net, addr: StreamAddr): Operation<Stream> {
  checkOurDomain(sw, "connect a socket");
  const network = checkNet(net, "Net.connect");
  const address = checkSockaddr(addr, "Net.connect");
  try {
    return yield* network.connectTo(sw, address);
  } catch (error) {
    const step = `connecting to ${formatSockaddr(address)}`;
    // The system's network names the address already; a mock's errors get it here, as in Eio.
    if (error instanceof Io && error.context.at(-1) === step) throw error;
    throw addContext(error, step);
  }
}

/**
 * Options for {@link withTcpConnect}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run((env) => {
 *   const options: Eio.Net.TcpConnectOptions = { host: "example.com", service: "https", timeout: Eio.Time.Timeout.seconds(env.monoClock, 5) };
 *   console.log(options.service);
 * });
 * ```
 */
export interface TcpConnectOptions {
  /** A host name or IP address, looked up with {@link getaddrinfoStream}. */
  host: string;
  /** A port number or service name (`"80"`, `"http"`). */
  service: string;
  /** How long each connection attempt may take (default `Time.Timeout.none`). */
  timeout?: TimeoutValue;
}

/**
 * Looks up `host` and `service`, connects to the first TCP address that accepts (each attempt
 * under `timeout`, a refused or timed-out attempt moving on to the next address), runs
 * `fn(flow)` and closes the connection when `fn` finishes, returning its result. An error
 * while connecting gets the context line `connecting to "host":service`; when every attempt
 * timed out it is a `ConnectionFailure` with code `"ETIMEDOUT"`. Mirrors
 * `Eio.Net.with_tcp_connect`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     Eio.Fiber.fork(sw, () => Eio.Net.acceptFork(sw, server, (flow) => Eio.Flow.copy(flow, flow), { onError: console.error }));
 *     const addr = Eio.Net.listeningAddr(server) as Eio.Net.TcpAddr;
 *     const reply = yield* Eio.Net.withTcpConnect(env.net, { host: "127.0.0.1", service: String(addr.port) }, function* (flow) {
 *       yield* Eio.Flow.write(flow, "ping");
 *       Eio.Flow.shutdown(flow, "send");
 *       return yield* Eio.BufRead.takeAll(Eio.BufRead.of(flow, { maxSize: 100 }));
 *     });
 *     console.log(reply);
 *   });
 * });
 * ```
 */
export function withTcpConnect<T>(net: Net, options: TcpConnectOptions, fn: (flow: Stream) => unknown): Operation<T> {
  const what = "Net.withTcpConnect";
  checkNet(net, what);
  if (typeof options !== "object" || options === null || typeof options.host !== "string" || typeof options.service !== "string") {
    throw new TypeError(`${what}: expected options { host, service, timeout? } with host and service strings, got ${options === null || typeof options !== "object" ? String(options) : JSON.stringify(options)}`);
  }
  if (typeof fn !== "function") throw new TypeError(`${what}: expected a function (flow) => ..., got ${typeof fn}`);
  const { host, service } = options;
  const timeout = options.timeout ?? Timeout.none;
  return runSwitch<T>(function* (sw) {
    let conn: Stream;
    try {
      conn = yield* connectToFirst(sw, net, yield* lookup(net, host, service, isTcp), timeout);
    } catch (error) {
      throw addContext(error, `connecting to ${JSON.stringify(host)}:${service}`);
    }
    return yield* runBody<T>(fn(conn));
  }, { name: "withTcpConnect" });
}

function* connectToFirst(sw: Switch, net: Net, addrs: readonly StreamAddr[], timeout: TimeoutValue): Operation<Stream> {
  for (let i = 0; ; i++) {
    const last = i === addrs.length - 1;
    try {
      return yield* Timeout.runExn(timeout, () => connect(sw, net, addrs[i]!));
    } catch (error) {
      if ((error instanceof Timeout || error instanceof NetError) && !last) continue;
      if (error instanceof Timeout) throw new ConnectionFailure("ETIMEDOUT", "Timeout", { cause: error });
      throw error;
    }
  }
}

const isTcp = (a: Sockaddr): a is StreamAddr => !("path" in a) && a.protocol !== "udp";
const isStream = (a: Sockaddr): a is StreamAddr => "path" in a || a.protocol !== "udp";
const isDatagram = (a: Sockaddr): a is DatagramAddr => !("path" in a) && a.protocol === "udp";
const all = (_: Sockaddr): _ is Sockaddr => true;

/** Eio's `getaddrinfo_full`: the addresses `keep` accepts, or `AddressLookupFailed`, never none. */
function* lookup<A extends Sockaddr>(net: Net, host: string, service: string, keep: (a: Sockaddr) => a is A): Operation<A[]> {
  const found = (yield* net.lookup(host, service)).filter(keep);
  if (found.length === 0) throw new AddressLookupFailed("EAI_NONAME", "NONAME (name or service is not known)");
  return found;
}

/**
 * Options for {@link getaddrinfo} and its variants.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Net.GetaddrinfoOptions = { service: "http" };
 * console.log(options.service);
 * ```
 */
export interface GetaddrinfoOptions {
  /** A port number or a service name from `/etc/services` (default: none, port 0). */
  service?: string;
}

function* lookupChecked<A extends Sockaddr>(net: Net, host: string, options: GetaddrinfoOptions, keep: (a: Sockaddr) => a is A, what: string): Operation<A[]> {
  const network = checkNet(net, what);
  if (typeof host !== "string") throw new TypeError(`${what}: expected a host name string, got ${typeof host}`);
  if (typeof options !== "object" || options === null) throw new TypeError(`${what}: options must be an object { service? }, got ${String(options)}`);
  const service = options.service;
  if (service !== undefined && typeof service !== "string") throw new TypeError(`${what}: options.service must be a string such as "80" or "http", got ${typeof service}`);
  try {
    return yield* lookup(network, host, service ?? "", keep);
  } catch (error) {
    throw addContext(error, service === undefined ? `looking up ${JSON.stringify(host)}` : `looking up ${JSON.stringify(host)} (service ${JSON.stringify(service)})`);
  }
}

/**
 * Every address of `host` (a name or an IP address) with the port of `service`: a TCP entry
 * and/or a UDP entry per IP address, as the protocols of `service` allow (a numeric service or
 * none gives both). Looks up with the system's resolver (`getaddrinfo(3)` on libuv's thread
 * pool, as Node's `dns.lookup`); never returns an empty list but throws `AddressLookupFailed`.
 * Mirrors `Eio.Net.getaddrinfo`.
 *
 * Suspends: until the resolver answers — use `yield*`. Cancelling returns at once with
 * `Cancelled` (the system lookup itself cannot be stopped and finishes unseen).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const addrs = yield* Eio.Net.getaddrinfo(env.net, "127.0.0.1", { service: "80" });
 *   console.log(addrs.map(Eio.Net.formatSockaddr));
 * });
 * ```
 */
export function getaddrinfo(net: Net, host: string, options: GetaddrinfoOptions = {}): Operation<Sockaddr[]> {
  return lookupChecked(net, host, options, all, "Net.getaddrinfo");
}

/**
 * Like {@link getaddrinfo}, keeping the stream (TCP) addresses. Mirrors
 * `Eio.Net.getaddrinfo_stream`.
 *
 * Suspends: like {@link getaddrinfo} — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   console.log(yield* Eio.Net.getaddrinfoStream(env.net, "127.0.0.1"));
 * });
 * ```
 */
export function getaddrinfoStream(net: Net, host: string, options: GetaddrinfoOptions = {}): Operation<StreamAddr[]> {
  return lookupChecked(net, host, options, isStream, "Net.getaddrinfoStream");
}

/**
 * Like {@link getaddrinfo}, keeping the datagram (UDP) addresses. Mirrors
 * `Eio.Net.getaddrinfo_datagram`.
 *
 * Suspends: like {@link getaddrinfo} — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   console.log(yield* Eio.Net.getaddrinfoDatagram(env.net, "127.0.0.1", { service: "53" }));
 * });
 * ```
 */
export function getaddrinfoDatagram(net: Net, host: string, options: GetaddrinfoOptions = {}): Operation<DatagramAddr[]> {
  return lookupChecked(net, host, options, isDatagram, "Net.getaddrinfoDatagram");
}

/**
 * The host name and service name of an IP address and port, as `[host, service]`, from the
 * system's resolver (`getnameinfo(3)` via Node's `dns.lookupService`, which names services as
 * TCP ones). Mirrors `Eio.Net.getnameinfo`.
 *
 * Suspends: until the resolver answers — use `yield*`. Cancelling returns at once with
 * `Cancelled` (the lookup itself finishes unseen).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const [host, service] = yield* Eio.Net.getnameinfo(env.net, { host: "127.0.0.1", port: 80 });
 *   console.log(host, service);
 * });
 * ```
 */
export function getnameinfo(net: Net, addr: Sockaddr): Operation<[host: string, service: string]> {
  const network = checkNet(net, "Net.getnameinfo");
  if (typeof addr !== "object" || addr === null) throw new TypeError(`Net.getnameinfo: expected an address, got ${String(addr)}`);
  const address = !("path" in addr) && addr.protocol === "udp" ? checkUdpAddr(addr, "Net.getnameinfo") : checkSockaddr(addr, "Net.getnameinfo");
  return network.lookupName(address);
}

/**
 * Options for {@link datagramSocket}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Net.DatagramSocketOptions = { reuseAddr: true };
 * console.log(options.reuseAddr);
 * ```
 */
export interface DatagramSocketOptions {
  /** Allow several sockets to bind the same address (SO_REUSEADDR; for multicast). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT: Node's `dgram` has it from Node 22.12 only; on older Node `true` is refused. */
  reusePort?: boolean;
}

/**
 * Makes a UDP socket attached to `sw`: bound to `addr` (port 0 picks a free one), or with
 * `"udp4"`/`"udp6"` unbound, the system binding it at its first send. Mirrors
 * `Eio.Net.datagram_socket`.
 *
 * Suspends: until bound — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const a = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     const b = yield* Eio.Net.datagramSocket(sw, env.net, "udp4");
 *     yield* Eio.Net.send(b, { dst: Eio.Net.datagramAddr(a) }, "ping");
 *     const buf = new Uint8Array(16);
 *     const [, n] = yield* Eio.Net.recv(a, buf);
 *     console.log(Buffer.from(buf.subarray(0, n)).toString());
 *   });
 * });
 * ```
 */
export function datagramSocket(sw: Switch, net: Net, addr: DatagramAddr | "udp4" | "udp6", options: DatagramSocketOptions = {}): Operation<DatagramSocket> {
  checkOurDomain(sw, "make a datagram socket");
  const network = checkNet(net, "Net.datagramSocket");
  const address = addr === "udp4" || addr === "udp6" ? addr : checkUdpAddr(addr, "Net.datagramSocket");
  const reuseAddr = checkFlag(options.reuseAddr, "reuseAddr", "Net.datagramSocket");
  const reusePort = checkFlag(options.reusePort, "reusePort", "Net.datagramSocket");
  return network.datagramOn(sw, address, { reuseAddr, reusePort });
}

function checkDatagram(socket: unknown, what: string): DatagramSocket {
  if (!isDatagramSocket(socket)) throw new TypeError(`${what}: expected a datagram socket (from Net.datagramSocket), got ${String(socket)}`);
  return socket;
}

/**
 * The address a datagram socket is bound to (with the real port if it asked for port 0). An
 * eio-ts addition: Eio's tests use fixed ports, which parallel tests cannot.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const socket = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     console.log(Eio.Net.datagramAddr(socket).port > 0);
 *   });
 * });
 * ```
 */
export function datagramAddr(socket: DatagramSocket): DatagramAddr {
  return checkDatagram(socket, "Net.datagramAddr").address;
}

/**
 * Options for {@link send}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Net.SendOptions = { dst: { protocol: "udp", host: "127.0.0.1", port: 9 } };
 * console.log(options.dst?.port);
 * ```
 */
export interface SendOptions {
  /**
   * Where the datagram goes. Leave it out on a connected socket (see {@link connectDatagram}):
   * the datagram goes to the peer.
   */
  dst?: DatagramAddr;
}

function toBytesList(bufs: unknown, what: string): Uint8Array[] {
  const list = Array.isArray(bufs) ? bufs : [bufs];
  return list.map((b) => {
    if (typeof b === "string") return Buffer.from(b);
    if (b instanceof Uint8Array) return b;
    throw new TypeError(`${what}: expected bytes (Uint8Array or string, or an array of them), got ${b === null ? "null" : typeof b}`);
  });
}

/**
 * Sends one datagram, the concatenation of `bufs` (bytes or UTF-8 strings), to `options.dst`,
 * or, without a `dst`, to the peer of a connected socket ({@link connectDatagram}; Eio's
 * `send ?dst`). On an unconnected socket a missing `dst` is an `Eio.Io` error (`EDESTADDRREQ`);
 * on a connected one, a `dst` other than the peer is one too (`EISCONN`: POSIX would send it,
 * Node's dgram does not). Mirrors `Eio.Net.send`.
 *
 * Suspends: until the system has taken the datagram — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     const client = yield* Eio.Net.datagramSocket(sw, env.net, "udp4");
 *     yield* Eio.Net.send(client, { dst: Eio.Net.datagramAddr(server) }, ["12", "34"]);
 *     const buf = new Uint8Array(10);
 *     const [, n] = yield* Eio.Net.recv(server, buf);
 *     console.log(n);
 *   });
 * });
 * ```
 * @example On a connected socket, without a destination
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     const client = yield* Eio.Net.datagramSocket(sw, env.net, "udp4");
 *     yield* Eio.Net.connectDatagram(client, Eio.Net.datagramAddr(server));
 *     yield* Eio.Net.send(client, "ping");
 *     const [, n] = yield* Eio.Net.recv(server, new Uint8Array(10));
 *     console.log(n);
 *   });
 * });
 * ```
 */
export function send(socket: DatagramSocket, bufs: Bytes): Operation<void>;
export function send(socket: DatagramSocket, options: SendOptions, bufs: Bytes): Operation<void>;
export function send(socket: DatagramSocket, optionsOrBufs: SendOptions | Bytes, maybeBufs?: Bytes): Operation<void> {
  const sock = checkDatagram(socket, "Net.send");
  // `send(socket, bufs)`: two arguments, the second the datagram.
  const [options, bufs] = arguments.length < 3 ? [{}, optionsOrBufs as Bytes] : [optionsOrBufs as SendOptions, maybeBufs as Bytes];
  if (typeof options !== "object" || options === null || options instanceof Uint8Array || Array.isArray(options)) {
    throw new TypeError("Net.send: expected options { dst? } before the datagram, or just the datagram (on a connected socket)");
  }
  const dst = options.dst === undefined ? null : checkUdpAddr(options.dst, "Net.send: options.dst");
  return sock.sendTo(dst, toBytesList(bufs, "Net.send"));
}

/**
 * What {@link send} sends: bytes or a UTF-8 string, or a list of them (concatenated).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const datagram: Eio.Net.Bytes = ["GET ", new TextEncoder().encode("key")];
 * console.log(datagram.length);
 * ```
 */
export type Bytes = Uint8Array | string | readonly (Uint8Array | string)[];

/**
 * Connects a datagram socket to `dst` (`connect(2)` on a UDP socket): {@link send} without a
 * `dst` then goes there, and {@link recv} gets only `dst`'s datagrams (the system drops the
 * others). Connecting again replaces the peer. No packet is sent. An eio-ts addition: Eio 1.x
 * sends on connected sockets (`send` without `?dst`) but makes them only through `Eio_unix`.
 *
 * Suspends: until the system has set the peer — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const a = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     const b = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     yield* Eio.Net.connectDatagram(a, Eio.Net.datagramAddr(b));
 *     yield* Eio.Net.connectDatagram(b, Eio.Net.datagramAddr(a));
 *     yield* Eio.Net.send(a, "hello");
 *     const buf = new Uint8Array(16);
 *     const [from, n] = yield* Eio.Net.recv(b, buf);
 *     yield* Eio.Net.send(b, buf.subarray(0, n));
 *     console.log(from.port === Eio.Net.datagramAddr(a).port, (yield* Eio.Net.recv(a, buf))[1]);
 *   });
 * });
 * ```
 */
export function connectDatagram(socket: DatagramSocket, dst: DatagramAddr): Operation<void> {
  const sock = checkDatagram(socket, "Net.connectDatagram");
  return sock.connect(checkUdpAddr(dst, "Net.connectDatagram"));
}

/**
 * Waits for a datagram and copies it into `buffer`; returns `[sender, length]`. A datagram
 * longer than `buffer` is cut short, as with `recvfrom(2)`. Mirrors `Eio.Net.recv`.
 *
 * Suspends: until a datagram arrives — use `yield*`. Cancelling throws `Cancelled` and loses
 * no datagram.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     const client = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     yield* Eio.Net.send(client, { dst: Eio.Net.datagramAddr(server) }, "hello");
 *     const buf = new Uint8Array(64);
 *     const [from, n] = yield* Eio.Net.recv(server, buf);
 *     console.log(from.port === Eio.Net.datagramAddr(client).port, Buffer.from(buf.subarray(0, n)).toString());
 *   });
 * });
 * ```
 */
export function recv(socket: DatagramSocket, buffer: Uint8Array): Operation<[DatagramAddr, number]> {
  const sock = checkDatagram(socket, "Net.recv");
  if (!(buffer instanceof Uint8Array) || buffer.length === 0) throw new TypeError("Net.recv: expected a non-empty Uint8Array to receive into");
  return sock.recvInto(buffer);
}
