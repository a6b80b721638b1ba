/**
 * UDP sockets of the system's network, on Node's `dgram`. Node pushes datagrams with 'message'
 * events; we queue them until a fiber calls `Net.recv`.
 * @internal
 * @module
 */
import * as dgram from "node:dgram";
import { Deque } from "../core/deque.js";
import { type Fiber, type Operation, suspend } from "../core/scheduler.js";
import { onReleaseCancellable, tryRemoveHook, type Hook, type Switch } from "../core/switch.js";
import type { DatagramSocket } from "./net-datagram.js";
import { fromNodeError, NetError } from "./net-errors.js";
import { hasReusePort, noReusePort } from "./net-reuse-port.js";
import { formatSockaddr, type DatagramAddr, type UdpAddr } from "./sockaddr.js";

type Received = [DatagramAddr, Buffer];

/** A Node UDP socket as a {@link DatagramSocket}. @internal */
export class UdpSocket implements DatagramSocket {
  private readonly queue = new Deque<Received>();
  private readonly receivers = new Deque<Fiber>();
  private closed = false;
  /** Where it is connected to (`Net.connectDatagram`), or null. */
  private peer: UdpAddr | null = null;
  private error: NetError | null = null;
  /** @internal */
  hook: Hook | null = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly socket: dgram.Socket,
    private readonly family: "udp4" | "udp6",
  ) {
    socket.on("message", this.onMessage);
    socket.on("error", this.onError);
  }

  /** Where it is bound; before the first send of an unbound socket, the wildcard and port 0. @internal */
  get address(): UdpAddr {
    try {
      const a = this.socket.address();
      return { protocol: "udp", host: a.address, port: a.port };
    } catch {
      return { protocol: "udp", host: this.family === "udp4" ? "0.0.0.0" : "::", port: 0 };
    }
  }

  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const item: Received = [{ protocol: "udp", host: rinfo.address, port: rinfo.port }, msg];
    for (;;) {
      const fiber = this.receivers.shift();
      if (fiber === undefined) break;
      fiber.scheduler.removeExternalWait();
      if (fiber.scheduler.wake(fiber, item)) return;
    }
    this.queue.pushTail(item);
  };

  private readonly onError = (error: Error): void => {
    this.error ??= fromNodeError(error, `UDP socket ${formatSockaddr(this.address)} failed`);
    this.wakeReceivers();
  };

  private wakeReceivers(): void {
    for (;;) {
      const fiber = this.receivers.shift();
      if (fiber === undefined) return;
      fiber.scheduler.removeExternalWait();
      fiber.scheduler.wake(fiber, null);
    }
  }

  private check(doing: string): void {
    if (this.error !== null) throw this.error;
    if (this.closed) throw new NetError("EBADF", `Cannot ${doing} on ${formatSockaddr(this.address)}: the socket is closed.`);
  }

  /** @internal */
  *recvInto(buffer: Uint8Array): Operation<[DatagramAddr, number]> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued !== undefined) {
        // As recvfrom: a datagram longer than the buffer is cut short.
        const [from, msg] = queued;
        const n = Math.min(msg.length, buffer.length);
        buffer.set(msg.subarray(0, n));
        return [from, n];
      }
      this.check("receive");
      const item = yield* suspend<Received | null>("Net.recv", (fiber) => {
        this.receivers.pushTail(fiber);
        fiber.scheduler.addExternalWait();
        fiber.cancelFn = (cancelled) => {
          this.receivers.remove(fiber);
          fiber.scheduler.removeExternalWait();
          fiber.scheduler.wakeError(fiber, cancelled);
        };
      });
      if (item !== null) this.queue.pushHead(item);
    }
  }

  /** @internal */
  *sendTo(dst: DatagramAddr | null, bufs: readonly Uint8Array[]): Operation<void> {
    this.check("send");
    const peer = this.peer;
    if (dst === null && peer === null) {
      throw new NetError("EDESTADDRREQ", `Cannot send on ${formatSockaddr(this.address)}: it is not connected. Give options.dst, or connect it first with Net.connectDatagram.`);
    }
    if (dst !== null && peer !== null && !(dst.host === peer.host && dst.port === peer.port)) {
      // POSIX lets sendto name another address here; Node's dgram refuses (ERR_SOCKET_DGRAM_IS_CONNECTED).
      throw new NetError("EISCONN", `Cannot send to ${formatSockaddr(dst)} on ${formatSockaddr(this.address)}: it is connected to ${formatSockaddr(peer)}, and Node sends a connected socket's datagrams to its peer only. Send without dst, or use another socket.`);
    }
    const to = dst ?? peer!;
    const socket = this.socket;
    // Once handed to Node the datagram goes out whole or not at all: cancelling only stops the wait.
    yield* awaitCallback("Net.send", (done) => {
      const sent = (error: Error | null): void => done(error == null ? null : fromNodeError(error, `Cannot send to ${formatSockaddr(to)}`));
      // A connected socket's datagrams name no address: Node refuses one.
      if (peer !== null) socket.send(bufs as Uint8Array[], sent);
      else socket.send(bufs as Uint8Array[], to.port, to.host, sent);
    });
  }

  /** @internal */
  *connect(dst: DatagramAddr): Operation<void> {
    this.check("connect");
    const socket = this.socket;
    // As connect(2) again on a datagram socket: the new peer replaces the old.
    if (this.peer !== null) {
      socket.disconnect();
      this.peer = null;
    }
    yield* awaitCallback("Net.connectDatagram", (done) => {
      socket.connect(dst.port, dst.host, (error?: Error | null) => {
        // Recorded even if the caller was cancelled meanwhile: the socket is connected all the same.
        if (error == null) {
          const remote = socket.remoteAddress();
          this.peer = { protocol: "udp", host: remote.address, port: remote.port };
        }
        done(error == null ? null : fromNodeError(error, `Cannot connect ${formatSockaddr(this.address)} to ${formatSockaddr(dst)}`));
      });
    });
  }

  /** @internal */
  closeNow(): void {
    if (this.hook !== null) {
      tryRemoveHook(this.hook);
      this.hook = null;
    }
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    this.wakeReceivers();
  }

  /** @internal */
  toString(): string {
    return `DatagramSocket(${formatSockaddr(this.address)})`;
  }
}

/**
 * Suspends until `start`'s Node call reports through `done` (null, or the error to throw). The
 * wait keeps the scheduler alive (an external wait); cancelling ends only the wait, as the call
 * cannot be taken back, and its late report is ignored.
 */
function awaitCallback(what: string, start: (done: (error: NetError | null) => void) => void): Operation<void> {
  return suspend<void>(what, (fiber) => {
    const scheduler = fiber.scheduler;
    let finished = false;
    scheduler.addExternalWait();
    fiber.cancelFn = (cancelled) => {
      finished = true;
      scheduler.removeExternalWait();
      scheduler.wakeError(fiber, cancelled);
    };
    start((error) => {
      if (finished) return;
      finished = true;
      scheduler.removeExternalWait();
      if (error === null) scheduler.wake(fiber, undefined);
      else scheduler.wakeError(fiber, error);
    });
  });
}

/** Makes a UDP socket owned by `sw`, bound to `addr` unless it is just a family. @internal */
export function* openUdpSocket(sw: Switch, addr: DatagramAddr | "udp4" | "udp6", config: { reuseAddr: boolean; reusePort: boolean }): Operation<UdpSocket> {
  if (config.reusePort && !hasReusePort) throw noReusePort("Net.datagramSocket");
  const family = typeof addr === "string" ? addr : addr.host.includes(":") ? "udp6" : "udp4";
  const socket = dgram.createSocket({ type: family, reuseAddr: config.reuseAddr, ...(config.reusePort ? { reusePort: true } : {}) });
  const udp = new UdpSocket(socket, family);
  udp.hook = onReleaseCancellable(sw, () => udp.closeNow());
  if (typeof addr === "string") return udp;
  try {
    yield* suspend<void>("Net.datagramSocket", (fiber) => {
      const scheduler = fiber.scheduler;
      scheduler.addExternalWait();
      const done = (error: Error | null): void => {
        socket.removeListener("listening", onListening);
        socket.removeListener("error", onError);
        scheduler.removeExternalWait();
        if (error === null) scheduler.wake(fiber, undefined);
        else scheduler.wakeError(fiber, fromNodeError(error, `Cannot bind to ${formatSockaddr(addr)}`));
      };
      const onListening = (): void => done(null);
      const onError = (error: Error): void => done(error);
      socket.once("listening", onListening);
      socket.once("error", onError);
      fiber.cancelFn = (cancelled) => {
        socket.removeListener("listening", onListening);
        socket.removeListener("error", onError);
        scheduler.removeExternalWait();
        scheduler.wakeError(fiber, cancelled);
      };
      socket.bind({ address: addr.host, port: addr.port });
    });
  } catch (error) {
    udp.closeNow();
    throw error;
  }
  return udp;
}
