/**
 * Mock networks, as in Eio's `Eio_mock.Net`: a network whose listen, connect, lookups and
 * datagram sockets are scripted, and listening sockets whose accepts are; each call is traced
 * (`+mock-net: connect to tcp:127.0.0.1:80`).
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { onRelease, type Switch } from "../core/switch.js";
import type { ListeningSocket } from "../io/listening-socket.js";
import type { ListenConfig, Net } from "../io/net-capability.js";
import type { DatagramSocket } from "../io/net-datagram.js";
import type { Stream } from "../io/net-stream.js";
import { formatSockaddr, type DatagramAddr, type Sockaddr, type StreamAddr } from "../io/sockaddr.js";
import type { Action } from "./action.js";
import { MockFlow } from "./flow.js";
import { type Handler, make as makeHandler, run as runHandler, seq } from "./handler.js";
import { maybeQuote, traceBox } from "./show-bytes.js";

function notConfigured(what: string): Action<never> {
  return { raise: new Error(`Mock ${what} handler not configured`) };
}

/**
 * A mock network (Eio's `Eio_mock.Net.t`): pass it where a `Net.Net` goes. Make one with
 * {@link make}; `Eio.Mock.run` gives one as `env.net`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const net: Eio.Mock.Net.MockNet = Eio.Mock.Net.make("mocknet");
 * const asNet: Eio.Net.Net = net;
 * console.log(asNet === net);
 * ```
 */
export class MockNet implements Net {
  /** @internal */
  readonly onListen: Handler<ListeningSocket> = makeHandler<ListeningSocket>(notConfigured("listen"));
  /** @internal */
  readonly onConnect: Handler<Stream> = makeHandler<Stream>(notConfigured("connect"));
  /** @internal */
  readonly onDatagramSocket: Handler<DatagramSocket> = makeHandler<DatagramSocket>(notConfigured("datagram_socket"));
  /** @internal */
  readonly onGetaddrinfo: Handler<Sockaddr[]> = makeHandler<Sockaddr[]>(notConfigured("getaddrinfo"));
  /** @internal */
  readonly onGetnameinfo: Handler<[string, string]> = makeHandler<[string, string]>(notConfigured("getnameinfo"));

  /** @internal */
  constructor(
    /** The name it is traced with. */
    readonly label: string,
  ) {}

  /** @internal */
  *listenOn(sw: Switch, addr: StreamAddr, _config: ListenConfig): Operation<ListeningSocket> {
    traceBox(`${this.label}: `, `listen on ${formatSockaddr(addr)}`);
    const socket = yield* runHandler(this.onListen);
    onRelease(sw, () => socket.closeNow());
    return socket;
  }

  /** @internal */
  *connectTo(sw: Switch, addr: StreamAddr): Operation<Stream> {
    traceBox(`${this.label}: `, `connect to ${formatSockaddr(addr)}`);
    const socket = yield* runHandler(this.onConnect);
    if (socket instanceof MockFlow) socket.attach(sw);
    else onRelease(sw, () => socket.closeNow());
    return socket;
  }

  /** @internal */
  *datagramOn(sw: Switch, addr: DatagramAddr | "udp4" | "udp6", _config: { reuseAddr: boolean; reusePort: boolean }): Operation<DatagramSocket> {
    const what = addr === "udp4" ? "UDPv4" : addr === "udp6" ? "UDPv6" : formatSockaddr(addr);
    traceBox(`${this.label}: `, `datagram_socket ${what}`);
    const socket = yield* runHandler(this.onDatagramSocket);
    onRelease(sw, () => socket.closeNow());
    return socket;
  }

  /** @internal */
  lookup(host: string, service: string): Operation<Sockaddr[]> {
    traceBox(`${this.label}: `, `getaddrinfo ~service:${maybeQuote(service)} ${maybeQuote(host)}`);
    return runHandler(this.onGetaddrinfo);
  }

  /** @internal */
  lookupName(addr: Sockaddr): Operation<[string, string]> {
    traceBox(`${this.label}: `, `getnameinfo ${formatSockaddr(addr)}`);
    return runHandler(this.onGetnameinfo);
  }

  /** @internal */
  toString(): string {
    return `Mock.Net(${this.label})`;
  }
}

/**
 * A mock listening socket (Eio's `Eio_mock.Net.listening_socket`): accepting performs its
 * `onAccept` script. Make one with {@link listeningSocket}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const socket: Eio.Mock.Net.MockListeningSocket = Eio.Mock.Net.listeningSocket("tcp/80");
 * const asSocket: Eio.Net.ListeningSocket = socket;
 * console.log(Eio.Net.formatSockaddr(Eio.Net.listeningAddr(asSocket)));
 * ```
 */
export class MockListeningSocket implements ListeningSocket {
  /** @internal */
  readonly onAccept: Handler<[MockFlow, StreamAddr]> = makeHandler<[MockFlow, StreamAddr]>(notConfigured("accept"));
  private closed = false;

  /** @internal */
  constructor(
    /** The name it is traced with. */
    readonly label: string,
    /** @internal */
    readonly address: StreamAddr,
  ) {}

  /** @internal */
  *acceptOn(sw: Switch): Operation<[Stream, StreamAddr]> {
    const [flow, addr] = yield* runHandler(this.onAccept);
    if (!(flow instanceof MockFlow)) throw new TypeError(`${this.label}: on_accept must give [Mock.Flow, address], got ${String(flow)}`);
    flow.attach(sw);
    traceBox(`${this.label}: `, `accepted connection from ${formatSockaddr(addr)}`);
    return [flow, addr];
  }

  /** @internal */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    traceBox(`${this.label}: `, "closed");
  }

  /** @internal */
  toString(): string {
    return `Mock.Net.listeningSocket(${this.label})`;
  }
}

function checkNet(net: unknown, what: string): MockNet {
  if (!(net instanceof MockNet)) throw new TypeError(`${what}: expected a mock network from Mock.Net.make (or Mock.run's env.net), got ${String(net)}`);
  return net;
}

/**
 * A new mock network named `label`; every operation fails ("Mock connect handler not
 * configured", ...) until scripted with {@link onListen}, {@link onConnect}, ... Mirrors
 * `Eio_mock.Net.make`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const net = Eio.Mock.Net.make("mocknet");
 *   Eio.Mock.Net.onGetaddrinfo(net, [{ return: [{ host: "10.0.0.1", port: 80 }] }]);
 *   const addrs = yield* Eio.Net.getaddrinfoStream(net, "example.org", { service: "http" });
 *   console.log(addrs.map(Eio.Net.formatSockaddr));
 * });
 * ```
 */
export function make(label: string): MockNet {
  if (typeof label !== "string") throw new TypeError(`Mock.Net.make: expected a label string, got ${typeof label}`);
  return new MockNet(label);
}

/**
 * Scripts what `Net.connect` on `net` returns: usually `{ return: Mock.Flow.make(...) }`, or
 * `{ raise: ... }` for a refused connection. Mirrors `Eio_mock.Net.on_connect`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   Eio.Mock.Net.onConnect(env.net, [{ return: Eio.Mock.Flow.make("flow") }]);
 *   yield* Eio.Switch.run(function* (sw) {
 *     const flow = yield* Eio.Net.connect(sw, env.net, { host: "127.0.0.1", port: 80 });
 *     yield* Eio.Flow.copyString("hi", flow);
 *   });
 * });
 * ```
 */
export function onConnect(net: Net, actions: readonly Action<Stream>[]): void {
  seq(checkNet(net, "Mock.Net.onConnect").onConnect, actions);
}

/**
 * Scripts what `Net.listen` on `net` returns, usually `{ return: Mock.Net.listeningSocket(...) }`.
 * The socket is closed when the listening switch finishes. Mirrors `Eio_mock.Net.on_listen`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   Eio.Mock.Net.onListen(env.net, [{ return: Eio.Mock.Net.listeningSocket("tcp/80") }]);
 *   yield* Eio.Switch.run(function* (sw) {
 *     yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 80 });
 *   });
 * });
 * ```
 */
export function onListen(net: Net, actions: readonly Action<ListeningSocket>[]): void {
  seq(checkNet(net, "Mock.Net.onListen").onListen, actions);
}

/**
 * Scripts what `Net.datagramSocket` on `net` returns. Mirrors `Eio_mock.Net.on_datagram_socket`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   Eio.Mock.Net.onDatagramSocket(env.net, [{ raise: new Eio.Net.NetError("EACCES", "not allowed") }]);
 *   yield* Eio.Switch.run(function* (sw) {
 *     try { yield* Eio.Net.datagramSocket(sw, env.net, "udp4"); } catch (e) { console.log((e as Error).message); }
 *   });
 * });
 * ```
 */
export function onDatagramSocket(net: Net, actions: readonly Action<DatagramSocket>[]): void {
  seq(checkNet(net, "Mock.Net.onDatagramSocket").onDatagramSocket, actions);
}

/**
 * Scripts what lookups (`Net.getaddrinfo` and its variants, and `Net.withTcpConnect`) find.
 * Mirrors `Eio_mock.Net.on_getaddrinfo`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   Eio.Mock.Net.onGetaddrinfo(env.net, [{ return: [{ host: "127.0.0.1", port: 80 }] }]);
 *   console.log(yield* Eio.Net.getaddrinfo(env.net, "example.com"));
 * });
 * ```
 */
export function onGetaddrinfo(net: Net, actions: readonly Action<Sockaddr[]>[]): void {
  seq(checkNet(net, "Mock.Net.onGetaddrinfo").onGetaddrinfo, actions);
}

/**
 * Scripts what `Net.getnameinfo` answers, as `[host, service]`. Mirrors
 * `Eio_mock.Net.on_getnameinfo`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* (env) {
 *   Eio.Mock.Net.onGetnameinfo(env.net, [{ return: ["localhost", "http"] }]);
 *   console.log(yield* Eio.Net.getnameinfo(env.net, { host: "127.0.0.1", port: 80 }));
 * });
 * ```
 */
export function onGetnameinfo(net: Net, actions: readonly Action<[string, string]>[]): void {
  seq(checkNet(net, "Mock.Net.onGetnameinfo").onGetnameinfo, actions);
}

/**
 * Options for {@link listeningSocket}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Mock.Net.ListeningSocketOptions = { listeningAddr: { host: "127.0.0.1", port: 8080 } };
 * console.log(options.listeningAddr);
 * ```
 */
export interface ListeningSocketOptions {
  /** What `Net.listeningAddr` reports (default `tcp:0.0.0.0:0`). */
  listeningAddr?: StreamAddr;
}

/**
 * A new mock listening socket named `label`; accepting fails until scripted with
 * {@link onAccept}. Mirrors `Eio_mock.Net.listening_socket`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const socket = Eio.Mock.Net.listeningSocket("tcp/80", { listeningAddr: { host: "127.0.0.1", port: 80 } });
 * console.log(Eio.Net.formatSockaddr(Eio.Net.listeningAddr(socket)));
 * ```
 */
export function listeningSocket(label: string, options: ListeningSocketOptions = {}): MockListeningSocket {
  if (typeof label !== "string") throw new TypeError(`Mock.Net.listeningSocket: expected a label string, got ${typeof label}`);
  return new MockListeningSocket(label, options.listeningAddr ?? { host: "0.0.0.0", port: 0 });
}

/**
 * Scripts what accepting on `socket` gives: `[Mock.Flow, clientAddr]` pairs. The flow is
 * attached to the accepting switch. Mirrors `Eio_mock.Net.on_accept`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const socket = Eio.Mock.Net.listeningSocket("tcp/80");
 *   Eio.Mock.Net.onAccept(socket, [{ return: [Eio.Mock.Flow.make("connection"), { host: "127.0.0.1", port: 1234 }] }]);
 *   yield* Eio.Switch.run(function* (sw) {
 *     yield* Eio.Net.accept(sw, socket);
 *   });
 * });
 * ```
 */
export function onAccept(socket: MockListeningSocket, actions: readonly Action<[MockFlow, StreamAddr]>[]): void {
  if (!(socket instanceof MockListeningSocket)) {
    throw new TypeError(`Mock.Net.onAccept: expected a mock listening socket from Mock.Net.listeningSocket, got ${String(socket)}`);
  }
  seq(socket.onAccept, actions);
}
