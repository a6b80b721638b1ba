/**
 * Networking, as in Eio's `Eio.Net`: listen, accept and connect over TCP or Unix sockets.
 * Every socket belongs to a switch and is closed when the switch finishes. Connections are
 * flows: read and write them with `Eio.Flow` and `Eio.BufRead`/`Eio.BufWrite`.
 * @module
 */
import * as nodeNet from "node:net";
import * as fs from "node:fs";
import { Cancelled } from "../core/errors.js";
import { fork } from "../core/fiber.js";
import { type Operation, runBody, suspend } from "../core/scheduler.js";
import { onReleaseCancellable, run as runSwitch, type Switch } from "../core/switch.js";
import { checkOurDomain } from "../core/switch-type.js";
import { ListeningSocket } from "./listening-socket.js";
import { type Net, theNet } from "./net-capability.js";
import { fromNodeError } from "./net-errors.js";
import { checkSockaddr, type Sockaddr } from "./sockaddr.js";
import { SocketStream } from "./socket-stream.js";

export { NetError, ConnectionReset, ConnectionFailure } from "./net-errors.js";
export type { Sockaddr, TcpAddr, UnixAddr } from "./sockaddr.js";
export type { ListeningSocket } from "./listening-socket.js";
export { runServer, type RunServerOptions, type ConnectionHandler } from "./run-server.js";

export type { SocketStream as Stream } from "./socket-stream.js";
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
  /** How many connections the kernel queues before they are accepted (default 511). */
  backlog?: number;
}

function checkNet(net: unknown, what: string): void {
  if (net !== theNet) throw new TypeError(`${what}: expected the network capability env.net, got ${String(net)}`);
}

function toSockaddr(address: string | nodeNet.AddressInfo | null, fallback: Sockaddr): Sockaddr {
  if (address === null) return fallback;
  if (typeof address === "string") return { path: address };
  return { host: address.address, port: address.port };
}

/**
 * Makes a socket listening on `addr`, attached to `sw`. Binding errors (port in use, no such
 * directory) are thrown here as `NetError` with `code` (`"EADDRINUSE"`, ...). Port 0 picks a
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
export function* listen(sw: Switch, net: Net, addr: Sockaddr, options: ListenOptions = {}): Operation<ListeningSocket> {
  checkOurDomain(sw, "listen on a socket");
  checkNet(net, "Net.listen");
  const address = checkSockaddr(addr, "Net.listen");
  const backlog = options.backlog ?? 511;
  if (!Number.isInteger(backlog) || backlog <= 0) {
    throw new RangeError(`Net.listen: options.backlog must be a positive integer, got ${String(backlog)}`);
  }
  if ("path" in address && options.reuseAddr === true) removeStaleSocket(address.path);
  const server = nodeNet.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true });
  yield* suspend<void>("Net.listen", (fiber) => {
    const scheduler = fiber.scheduler;
    scheduler.addExternalWait();
    const done = (error: Error | null): void => {
      server.removeListener("listening", onListening);
      server.removeListener("error", onError);
      scheduler.removeExternalWait();
      if (error === null) scheduler.wake(fiber, undefined);
      else scheduler.wakeError(fiber, fromNodeError(error, `Cannot listen on ${describe(address)}`));
    };
    const onListening = (): void => done(null);
    const onError = (error: Error): void => done(error);
    server.once("listening", onListening);
    server.once("error", onError);
    fiber.cancelFn = (cancelled) => {
      server.removeListener("listening", onListening);
      server.removeListener("error", onError);
      server.close();
      scheduler.removeExternalWait();
      scheduler.wakeError(fiber, cancelled);
    };
    if ("path" in address) server.listen({ path: address.path, backlog });
    else server.listen({ host: address.host, port: address.port, backlog });
  });
  const socket = new ListeningSocket(server, toSockaddr(server.address(), address), backlog);
  socket.hook = onReleaseCancellable(sw, () => socket.closeNow());
  return socket;
}

function removeStaleSocket(path: string): void {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    // Nothing there: nothing to remove.
  }
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
export function listeningAddr(socket: ListeningSocket): Sockaddr {
  checkListening(socket, "Net.listeningAddr");
  return socket.address;
}

function checkListening(socket: unknown, what: string): ListeningSocket {
  if (!(socket instanceof ListeningSocket)) {
    throw new TypeError(`${what}: expected a listening socket (from Net.listen), got ${String(socket)}`);
  }
  return socket;
}

/** Wraps a Node socket as a flow owned by `sw`. */
function adopt(sw: Switch, socket: nodeNet.Socket, fallback: Sockaddr): SocketStream {
  const peer: Sockaddr =
    socket.remoteAddress !== undefined ? { host: socket.remoteAddress, port: socket.remotePort ?? 0 } : "path" in fallback ? { path: "" } : fallback;
  const stream = new SocketStream(socket, peer);
  stream.hook = onReleaseCancellable(sw, () => stream.closeNow());
  return stream;
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
export function* accept(sw: Switch, socket: ListeningSocket): Operation<[SocketStream, Sockaddr]> {
  checkOurDomain(sw, "accept a connection");
  const listening = checkListening(socket, "Net.accept");
  const conn = yield* listening.acceptSocket();
  const stream = adopt(sw, conn, listening.address);
  return [stream, stream.peer];
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
  /** Called (in the new fiber) with the handler's error; `Cancelled` is never passed here. */
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
export type Handler = (flow: SocketStream, clientAddr: Sockaddr) => unknown;

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
        yield* runBody(options.onError(error));
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
export function* connect(sw: Switch, net: Net, addr: Sockaddr): Operation<SocketStream> {
  checkOurDomain(sw, "connect a socket");
  checkNet(net, "Net.connect");
  const address = checkSockaddr(addr, "Net.connect");
  const socket =
    "path" in address
      ? nodeNet.connect({ path: address.path, allowHalfOpen: true })
      : nodeNet.connect({ host: address.host, port: address.port, allowHalfOpen: true, noDelay: true });
  yield* suspend<void>("Net.connect", (fiber) => {
    const scheduler = fiber.scheduler;
    scheduler.addExternalWait();
    const done = (error: Error | null): void => {
      socket.removeListener("connect", onConnect);
      socket.removeListener("error", onError);
      scheduler.removeExternalWait();
      if (error === null) scheduler.wake(fiber, undefined);
      else scheduler.wakeError(fiber, fromNodeError(error, `Cannot connect to ${describe(address)}`));
    };
    const onConnect = (): void => done(null);
    const onError = (error: Error): void => done(error);
    socket.once("connect", onConnect);
    socket.once("error", onError);
    fiber.cancelFn = (cancelled) => {
      socket.removeListener("connect", onConnect);
      socket.removeListener("error", onError);
      socket.destroy();
      scheduler.removeExternalWait();
      scheduler.wakeError(fiber, cancelled);
    };
  });
  return adopt(sw, socket, address);
}

/**
 * Connects to `addr`, runs `fn(flow)` and closes the connection when `fn` finishes, returning
 * its result. Mirrors `Eio.Net.with_tcp_connect`.
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
 *     const reply = yield* Eio.Net.withTcpConnect(env.net, Eio.Net.listeningAddr(server), function* (flow) {
 *       yield* Eio.Flow.write(flow, "ping");
 *       Eio.Flow.shutdown(flow, "send");
 *       return yield* Eio.BufRead.takeAll(Eio.BufRead.of(flow, { maxSize: 100 }));
 *     });
 *     console.log(reply);
 *   });
 * });
 * ```
 */
export function withTcpConnect<T>(net: Net, addr: Sockaddr, fn: (flow: SocketStream) => unknown): Operation<T> {
  if (typeof fn !== "function") throw new TypeError(`Net.withTcpConnect: expected a function (flow) => ..., got ${typeof fn}`);
  return runSwitch<T>(function* (sw) {
    const flow = yield* connect(sw, net, addr);
    return yield* runBody<T>(fn(flow));
  });
}

function describe(addr: Sockaddr): string {
  return "path" in addr ? `unix:${addr.path}` : `${addr.host}:${addr.port}`;
}
