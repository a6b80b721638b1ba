/**
 * A connected socket (TCP or Unix) as a two-way flow. Node pushes bytes with 'data' events; we
 * keep them until a fiber reads. Above a high-water mark the socket is paused, so a slow reader
 * makes the kernel's receive window fill and TCP slows the sender, with bounded memory here.
 * @internal
 * @module
 */
import type * as net from "node:net";
import { beginSuspend, type Fiber, type Operation } from "../core/scheduler.js";
import { onReleaseCancellable, tryRemoveHook, type Hook, type Switch } from "../core/switch.js";
import type { ShutdownCommand } from "./flow.js";
import type { Stream } from "./net-stream.js";
import { fromNodeError, NetError } from "./net-errors.js";
import type { StreamAddr } from "./sockaddr.js";
import { cancelRead, cancelWrite, ReadOp, Readable, WriteOp } from "./socket-ops.js";

/** The empty write queued behind a write Node could not finish at once (see `startWrite`). */
const MARKER = Buffer.alloc(0);

/** Pause the socket once this many received bytes wait for a reader. */
const HIGH_WATER = 256 * 1024;
/** Resume it once the reader has brought the backlog down to this. */
const LOW_WATER = 64 * 1024;

/** A Node socket as a {@link Stream}. @internal */
export class SocketStream implements Stream {
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
  /** Closed by us ({@link closeNow}): the "closed" error is made only if someone trips on it. */
  private closedHere = false;
  private reader: Fiber | null = null;
  private writers: WriteOp[] = [];
  /** Reused by one read or write at a time: the echo path then allocates no operation per call. */
  private readOp = new ReadOp(this);
  private writeOp = new WriteOp(this);
  /** Markers written (see {@link startWrite}), and markers Node has called back. */
  private markersIssued = 0;
  private markersDone = 0;
  /** The release hook on the owning switch, withdrawn when closed early. @internal */
  hook: Hook | null = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly socket: net.Socket,
    /** @internal */
    readonly peer: StreamAddr,
  ) {
    // Paused until the first read: a handler that never reads buffers nothing.
    socket.pause();
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.receiveDone || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    // Node calls this from its read callback, outside every fiber: run the reader at once.
    const fiber = this.reader;
    if (fiber === null) return;
    this.reader = null;
    fiber.scheduler.removeExternalWait();
    fiber.scheduler.wakeFromIo(fiber, undefined);
  };

  private readonly onEnd = (): void => {
    this.receiveDone = true;
    this.wakeReader();
  };

  private readonly onError = (error: Error): void => {
    if (!this.closedHere) this.error ??= fromNodeError(error, `Connection to ${describePeer(this.peer)} failed`);
    this.wakeAll();
  };

  private readonly onClose = (): void => {
    this.receiveDone = true;
    this.closed = true;
    this.wakeAll();
  };

  /** Marker callbacks run in order, one per marker: count them instead of allocating closures. */
  private readonly onMarkerDone = (error?: Error | null): void => {
    this.markersDone++;
    if (error != null && !this.closedHere) this.error ??= fromNodeError(error, `Writing to ${describePeer(this.peer)} failed`);
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
    const still: WriteOp[] = [];
    for (const op of this.writers) {
      const fiber = op.fiber!;
      if (all || op.index <= this.markersDone) {
        op.fiber = null;
        fiber.scheduler.removeExternalWait();
        fiber.scheduler.wake(fiber, undefined);
      } else {
        still.push(op);
      }
    }
    this.writers = still;
  }

  /** Drops a cancelled writer (see {@link cancelWrite}). @internal */
  removeWriter(op: WriteOp): void {
    const at = this.writers.indexOf(op);
    if (at >= 0) this.writers.splice(at, 1);
    op.fiber = null;
  }

  private wakeAll(): void {
    this.wakeReader();
    if (this.writers.length > 0) this.wakeWriters(true);
  }

  /** The error that ends this socket's operations, if any. */
  private failure(): NetError | null {
    if (this.error === null && this.closedHere) this.error = closedError(this.peer, "use");
    return this.error;
  }

  readInto(buffer: Uint8Array): Operation<number> {
    return this.reading(buffer) as unknown as Operation<number>;
  }

  /**
   * Gives away the next received bytes as they came from Node, without copying them: what
   * `Flow.copy` uses (as Eio's `Read_source_buffer` lets a sink take the source's buffers).
   * Null at the end of input. @internal
   */
  readChunk(): Operation<Uint8Array | null> {
    return this.reading(null) as unknown as Operation<Uint8Array | null>;
  }

  private reading(buffer: Uint8Array | null): ReadOp {
    let op = this.readOp;
    // An operation is claimed when made, not when run: two made before either runs get two.
    if (op.busy) op = new ReadOp(this);
    op.busy = true;
    op.buffer = buffer;
    return op;
  }

  /**
   * `READY` if bytes are waiting; `ENDED` at the end of input; throws on error; `WAITING` once
   * the current fiber is suspended until something arrives (or queued to receive `Cancelled`).
   * @internal
   */
  readable(): Readable {
    if (this.buffered > 0) return Readable.Ready;
    const error = this.failure();
    if (error !== null) throw error;
    if (this.receiveDone) return Readable.Ended;
    if (this.reader !== null) {
      throw new Error(`Cannot read from ${describePeer(this.peer)}: another fiber is already reading this socket.`);
    }
    if (!this.started || this.paused) {
      this.started = true;
      this.paused = false;
      this.socket.resume();
    }
    const fiber = beginSuspend("Net.read");
    if (fiber !== null) {
      this.reader = fiber;
      fiber.scheduler.addExternalWait();
      fiber.waitingFor = this;
      fiber.cancelFn = cancelRead;
    }
    return Readable.Waiting;
  }

  /** Forgets a cancelled reader (see {@link cancelRead}). @internal */
  dropReader(fiber: Fiber): void {
    if (this.reader === fiber) this.reader = null;
  }

  /** Copies buffered bytes into `buffer`. @internal */
  take(buffer: Uint8Array): number {
    let copied = 0;
    while (copied < buffer.length && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const available = chunk.length - this.firstOffset;
      const n = Math.min(available, buffer.length - copied);
      if (this.firstOffset === 0 && n === chunk.length) buffer.set(chunk, copied);
      else buffer.set(chunk.subarray(this.firstOffset, this.firstOffset + n), copied);
      copied += n;
      if (n === available) {
        this.chunks.shift();
        this.firstOffset = 0;
      } else {
        this.firstOffset += n;
      }
    }
    this.consumed(copied);
    return copied;
  }

  /** Removes and returns the first buffered chunk (what is left of it). @internal */
  takeChunk(): Uint8Array {
    const chunk = this.chunks.shift()!;
    const rest = this.firstOffset === 0 ? chunk : chunk.subarray(this.firstOffset);
    this.firstOffset = 0;
    this.consumed(rest.length);
    return rest;
  }

  private consumed(n: number): void {
    this.buffered -= n;
    if (this.paused && this.buffered <= LOW_WATER) {
      this.paused = false;
      this.socket.resume();
    }
  }

  writeAll(data: Uint8Array): Operation<void> {
    let op = this.writeOp;
    if (op.busy) op = new WriteOp(this);
    op.busy = true;
    op.data = data;
    op.index = 0;
    return op as unknown as Operation<void>;
  }

  /**
   * Hands `data` to Node. Returns 0 when Node wrote it all at once (the kernel has the bytes, so
   * `data` is free to reuse), else the number of a marker to wait for with {@link writeSettled}.
   *
   * The write itself takes no callback: a write with one costs Node an object and a `nextTick`
   * even when it completes at once (an echo's every write), one without costs neither (a socket
   * error still reaches us as its 'error' event). Only a write that Node had to queue gets a
   * marker after it, an empty write with a callback: Node calls back writes in order, so the
   * marker's callback says that every write before it is done.
   * @internal
   */
  startWrite(data: Uint8Array): number {
    const error = this.failure();
    if (error !== null) throw error;
    if (this.closed) throw closedError(this.peer, "write to");
    if (this.sendDone) throw new NetError("EPIPE", `Cannot write to ${describePeer(this.peer)}: the sending side was shut down.`);
    if (data.length === 0) return 0;
    const socket = this.socket;
    socket.write(data);
    if (socket.writableLength === 0 && !socket.connecting) return 0;
    socket.write(MARKER, this.onMarkerDone);
    return ++this.markersIssued;
  }

  /**
   * True once write number `op.index` has completed; throws if the socket failed or closed;
   * false once the current fiber is suspended until Node reports more writes done. @internal
   */
  writeSettled(op: WriteOp): boolean {
    if (this.markersDone >= op.index) return true;
    const error = this.failure();
    if (error !== null) throw error;
    if (this.closed) throw closedError(this.peer, "write to");
    const fiber = beginSuspend("Net.write");
    if (fiber !== null) {
      op.fiber = fiber;
      this.writers.push(op);
      fiber.scheduler.addExternalWait();
      fiber.waitingFor = op;
      fiber.cancelFn = cancelWrite;
    }
    return false;
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
    this.closedHere = true;
    this.socket.destroy();
    this.wakeAll();
  }

  /** @internal */
  toString(): string {
    return `Socket(${describePeer(this.peer)})`;
  }
}

function closedError(peer: StreamAddr, doing: string): NetError {
  return new NetError("EBADF", `Cannot ${doing} the connection to ${describePeer(peer)}: it has been closed.`);
}

/** `host:port` or the socket path, for messages. */
export function describePeer(addr: StreamAddr): string {
  return "path" in addr ? `unix:${addr.path}` : `${addr.host}:${addr.port}`;
}

/** Wraps a Node socket as a connection owned by `sw`; `fallback` names a Unix peer. @internal */
export function adoptSocket(sw: Switch, socket: net.Socket, fallback: StreamAddr): SocketStream {
  const peer: StreamAddr =
    socket.remoteAddress !== undefined ? { host: socket.remoteAddress, port: socket.remotePort ?? 0 } : "path" in fallback ? { path: "" } : fallback;
  const stream = new SocketStream(socket, peer);
  stream.hook = onReleaseCancellable(sw, () => stream.closeNow());
  return stream;
}
