/**
 * A listening socket of the system's network. Node accepts connections by itself and emits them; we queue them (paused,
 * so they read nothing) until a fiber calls `Net.accept`.
 * @internal
 * @module
 */
import type * as net from "node:net";
import { Deque } from "../core/deque.js";
import { type Fiber, type Operation, suspend } from "../core/scheduler.js";
import { tryRemoveHook, type Hook } from "../core/switch.js";
import type { Switch } from "../core/switch-type.js";
import type { ListeningSocket } from "./listening-socket.js";
import { NetError } from "./net-errors.js";
import type { Stream } from "./net-stream.js";
import { formatSockaddr, type StreamAddr } from "./sockaddr.js";
import { adoptSocket } from "./socket-stream.js";

/** Accept errors that a free descriptor or a moment cures: the listener survives them. */
const TRANSIENT_ACCEPT_ERRORS = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "ECONNABORTED"]);

/** A Node server as a {@link ListeningSocket}. @internal */
export class NodeListeningSocket implements ListeningSocket {
  private readonly queue = new Deque<net.Socket>();
  private readonly acceptors = new Deque<Fiber>();
  private closed = false;
  private error: NetError | null = null;
  /** @internal */
  hook: Hook | null = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly server: net.Server,
    /** @internal */
    readonly address: StreamAddr,
    /** The backlog it listens with; other domains listening on a copy must keep it. @internal */
    readonly backlog: number,
  ) {
    server.on("connection", this.onConnection);
    server.on("error", this.onError);
  }

  private readonly onConnection = (socket: net.Socket): void => {
    for (;;) {
      const fiber = this.acceptors.shift();
      if (fiber === undefined) break;
      fiber.scheduler.removeExternalWait();
      if (fiber.scheduler.wake(fiber, socket)) return;
    }
    this.queue.pushTail(socket);
  };

  private readonly onError = (error: Error): void => {
    // Out of file descriptors (or of kernel memory) at accept: Node's server is still listening
    // and accepts again at the next connection, once a descriptor is free. Ending the listener
    // there would let one burst of clients stop a server for good (Eio's run_server has no
    // answer to it either: ocaml-multicore/eio#830), so it is reported and the accepts go on.
    const { code, syscall } = error as { code?: string; syscall?: string };
    if (syscall === "accept" && code !== undefined && TRANSIENT_ACCEPT_ERRORS.has(code)) {
      process.emitWarning(`accept on ${formatSockaddr(this.address)} failed (${error.message}); the listener goes on accepting`, { code: "EIO_ACCEPT_RETRY" });
      return;
    }
    this.error ??= new NetError((error as { code?: string }).code ?? "EIO", `Listening socket failed: ${error.message}`, { cause: error });
    this.wakeAcceptors();
  };

  private wakeAcceptors(): void {
    for (;;) {
      const fiber = this.acceptors.shift();
      if (fiber === undefined) return;
      fiber.scheduler.removeExternalWait();
      fiber.scheduler.wake(fiber, null);
    }
  }

  /** @internal */
  *acceptOn(sw: Switch): Operation<[Stream, StreamAddr]> {
    const stream = adoptSocket(sw, yield* this.acceptSocket(), this.address);
    return [stream, stream.peer];
  }

  /** Waits for the next connection. @internal */
  *acceptSocket(): Operation<net.Socket> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued !== undefined) return queued;
      if (this.error !== null) throw this.error;
      if (this.closed) throw new NetError("EBADF", `Cannot accept on ${formatSockaddr(this.address)}: the listening socket is closed.`);
      const socket = yield* suspend<net.Socket | null>("Net.accept", (fiber) => {
        this.acceptors.pushTail(fiber);
        fiber.scheduler.addExternalWait();
        fiber.cancelFn = (cancelled) => {
          this.removeAcceptor(fiber);
          fiber.scheduler.removeExternalWait();
          fiber.scheduler.wakeError(fiber, cancelled);
        };
      });
      if (socket !== null) return socket;
    }
  }

  private removeAcceptor(fiber: Fiber): void {
    const kept: Fiber[] = [];
    for (;;) {
      const f = this.acceptors.shift();
      if (f === undefined) break;
      if (f !== fiber) kept.push(f);
    }
    for (const f of kept) this.acceptors.pushTail(f);
  }

  /** Connections Node accepted that no fiber took yet: refuse them (the peer sees a reset). @internal */
  dropQueued(): void {
    for (;;) {
      const socket = this.queue.shift();
      if (socket === undefined) return;
      socket.destroy();
    }
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  closeNow(): void {
    if (this.hook !== null) {
      tryRemoveHook(this.hook);
      this.hook = null;
    }
    if (this.closed) return;
    this.closed = true;
    this.dropQueued();
    this.server.close();
    this.wakeAcceptors();
  }

  /** @internal */
  toString(): string {
    return `ListeningSocket(${formatSockaddr(this.address)})`;
  }
}
