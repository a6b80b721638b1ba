/**
 * A connected socket (TCP or Unix) as a two-way flow. Node pushes bytes with 'data' events; we
 * keep them until a fiber reads. Above a high-water mark the socket is paused, so a slow reader
 * makes the kernel's receive window fill and TCP slows the sender, with bounded memory here.
 * @internal
 * @module
 */
import type * as net from "node:net";
import { type Fiber, type Operation, suspend } from "../core/scheduler.js";
import { tryRemoveHook, type Hook } from "../core/switch.js";
import { EndOfFile, type ShutdownCommand, type TwoWay } from "./flow.js";
import { fromNodeError, NetError } from "./net-errors.js";
import type { Sockaddr } from "./sockaddr.js";

/** Pause the socket once this many received bytes wait for a reader. */
const HIGH_WATER = 256 * 1024;
/** Resume it once the reader has brought the backlog down to this. */
const LOW_WATER = 64 * 1024;

interface PendingWrite {
  fiber: Fiber;
  index: number;
}

/** A connection (Eio's `Net.stream_socket`). Opaque: pass it to `Eio.Flow` and `Eio.BufRead` functions.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     const flow: Eio.Net.Stream = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
 *     yield* Eio.Flow.write(flow, "hello");
 *   });
 * });
 * ```
 */
export class SocketStream implements TwoWay {
  private chunks: Buffer[] = [];
  private firstOffset = 0;
  /** Received bytes not yet read. @internal */
  buffered = 0;
  private started = false;
  private paused = false;
  private receiveDone = false;
  private sendDone = false;
  private closed = false;
  private error: NetError | null = null;
  private reader: Fiber | null = null;
  private writers: PendingWrite[] = [];
  private writesIssued = 0;
  private writesDone = 0;
  /** The release hook on the owning switch, withdrawn when closed early. @internal */
  hook: Hook | null = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly socket: net.Socket,
    /** @internal */
    readonly peer: Sockaddr,
  ) {
    // Paused until the first read: a handler that never reads buffers nothing.
    socket.pause();
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.receiveDone) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.wakeReader();
  };

  private readonly onEnd = (): void => {
    this.receiveDone = true;
    this.wakeReader();
  };

  private readonly onError = (error: Error): void => {
    this.error ??= fromNodeError(error, `Connection to ${describePeer(this.peer)} failed`);
    this.wakeAll();
  };

  private readonly onClose = (): void => {
    this.receiveDone = true;
    this.closed = true;
    this.wakeAll();
  };

  /** Write callbacks run in order, one per write: count them instead of allocating closures. */
  private readonly onWriteDone = (error?: Error | null): void => {
    this.writesDone++;
    if (error != null) this.error ??= fromNodeError(error, `Writing to ${describePeer(this.peer)} failed`);
    if (this.writers.length > 0) this.wakeWriters(error != null);
  };

  private wakeReader(): void {
    const fiber = this.reader;
    if (fiber === null) return;
    this.reader = null;
    fiber.scheduler.removeExternalWait();
    fiber.scheduler.wake(fiber, undefined);
  }

  private wakeWriters(all: boolean): void {
    const still: PendingWrite[] = [];
    for (const w of this.writers) {
      if (all || w.index <= this.writesDone) {
        w.fiber.scheduler.removeExternalWait();
        w.fiber.scheduler.wake(w.fiber, undefined);
      } else {
        still.push(w);
      }
    }
    this.writers = still;
  }

  private wakeAll(): void {
    this.wakeReader();
    if (this.writers.length > 0) this.wakeWriters(true);
  }

  *readInto(buffer: Uint8Array): Operation<number> {
    for (;;) {
      if (this.buffered > 0) return this.take(buffer);
      if (this.error !== null) throw this.error;
      if (this.receiveDone) throw new EndOfFile();
      if (this.reader !== null) {
        throw new Error(`Cannot read from ${describePeer(this.peer)}: another fiber is already reading this socket.`);
      }
      if (!this.started || this.paused) {
        this.started = true;
        this.paused = false;
        this.socket.resume();
      }
      yield* suspend<void>("Net.read", (fiber) => {
        this.reader = fiber;
        fiber.scheduler.addExternalWait();
        fiber.cancelFn = (cancelled) => {
          if (this.reader === fiber) this.reader = null;
          fiber.scheduler.removeExternalWait();
          fiber.scheduler.wakeError(fiber, cancelled);
        };
      });
    }
  }

  private take(buffer: Uint8Array): number {
    let copied = 0;
    while (copied < buffer.length && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const available = chunk.length - this.firstOffset;
      const n = Math.min(available, buffer.length - copied);
      buffer.set(chunk.subarray(this.firstOffset, this.firstOffset + n), copied);
      copied += n;
      if (n === available) {
        this.chunks.shift();
        this.firstOffset = 0;
      } else {
        this.firstOffset += n;
      }
    }
    this.buffered -= copied;
    if (this.paused && this.buffered <= LOW_WATER) {
      this.paused = false;
      this.socket.resume();
    }
    return copied;
  }

  *writeAll(data: Uint8Array): Operation<void> {
    if (this.error !== null) throw this.error;
    if (this.closed) throw closedError(this.peer, "write to");
    if (this.sendDone) throw new NetError("EPIPE", `Cannot write to ${describePeer(this.peer)}: the sending side was shut down.`);
    if (data.length === 0) return;
    const index = ++this.writesIssued;
    this.socket.write(data, this.onWriteDone);
    // Nothing left in Node's buffer: the kernel has the bytes and `data` is free to reuse.
    if (this.socket.writableLength === 0 && !this.socket.connecting) return;
    while (this.writesDone < index) {
      if (this.error !== null) throw this.error;
      if (this.closed) throw closedError(this.peer, "write to");
      yield* suspend<void>("Net.write", (fiber) => {
        const pending: PendingWrite = { fiber, index };
        this.writers.push(pending);
        fiber.scheduler.addExternalWait();
        fiber.cancelFn = (cancelled) => {
          const at = this.writers.indexOf(pending);
          if (at >= 0) this.writers.splice(at, 1);
          fiber.scheduler.removeExternalWait();
          fiber.scheduler.wakeError(fiber, cancelled);
        };
      });
    }
  }

  /** @internal */
  shutdownDirection(command: ShutdownCommand): void {
    if (this.closed) return;
    if (command !== "receive" && !this.sendDone) {
      this.sendDone = true;
      this.socket.end();
    }
    if (command !== "send" && !this.receiveDone) {
      // Node cannot shut down reading; we drop what arrives so the peer is not blocked.
      this.receiveDone = true;
      this.chunks = [];
      this.buffered = 0;
      this.socket.resume();
      this.wakeReader();
    }
  }

  /** @internal */
  closeNow(): void {
    if (this.hook !== null) {
      tryRemoveHook(this.hook);
      this.hook = null;
    }
    if (this.closed) return;
    this.closed = true;
    this.receiveDone = true;
    this.error ??= closedError(this.peer, "use");
    this.socket.destroy();
    this.wakeAll();
  }

  /** @internal */
  toString(): string {
    return `Socket(${describePeer(this.peer)})`;
  }
}

function closedError(peer: Sockaddr, doing: string): NetError {
  return new NetError("EBADF", `Cannot ${doing} the connection to ${describePeer(peer)}: it has been closed.`);
}

/** `host:port` or the socket path, for messages. */
export function describePeer(addr: Sockaddr): string {
  return "path" in addr ? `unix:${addr.path}` : `${addr.host}:${addr.port}`;
}
