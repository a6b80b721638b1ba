/**
 * The buffered writer's state, shared by the functions of `Eio.BufWrite` (not public itself:
 * `buf-write.ts` re-exports the class).
 * @module
 */
import type { Fiber } from "../core/scheduler.js";

export const ACTIVE = 0;
export const PAUSED = 1;
export const CLOSED = 2;

/**
 * A buffered writer (Eio's `Buf_write.t`), made by `BufWrite.withFlow` or `BufWrite.create`. Opaque:
 * use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.BufWrite.withFlow(Eio.Flow.bufferSink(), (w: Eio.BufWrite.Writer) => Eio.BufWrite.string(w, "x"));
 * });
 * ```
 */
export class Writer {
  /**
   * Small writes are copied into this buffer, as in Faraday: bytes [scheduledPos, writePos) are
   * written but not yet handed to the flow; `flushBuffer` moves them onto `scheduled`. @internal
   */
  buffer: Buffer;
  /** @internal */
  writePos = 0;
  /** @internal */
  scheduledPos = 0;
  /** Views of bytes handed out and not yet taken by `BufWrite.shift`, oldest first. @internal */
  scheduled: Uint8Array[] = [];
  /** @internal */
  bytesReceived = 0;
  /** @internal */
  bytesWritten = 0;
  /** @internal */
  state = ACTIVE;
  /** The fiber waiting in `BufWrite.awaitBatch`, if any. @internal */
  waiter: Fiber | null = null;
  /** Fibers waiting in `BufWrite.flush`, each until `bytesWritten` reaches its target. @internal */
  flushes: { fiber: Fiber; target: number }[] = [];

  /** @internal */
  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** Room for `len` more bytes at `writePos`: a new buffer if this one is full. @internal */
  reserve(len: number, what: string): Buffer {
    if (this.state === CLOSED) throw new Error(`${what}: cannot write to a closed writer`);
    if (this.buffer.length - this.writePos < len) {
      this.flushBuffer();
      this.buffer = Buffer.allocUnsafe(Math.max(this.buffer.length, len));
      this.writePos = 0;
      this.scheduledPos = 0;
    }
    return this.buffer;
  }

  /** @internal */
  advance(len: number): void {
    this.writePos += len;
    this.wake();
  }

  /** @internal */
  flushBuffer(): void {
    const len = this.writePos - this.scheduledPos;
    if (len > 0) {
      this.scheduled.push(this.buffer.subarray(this.scheduledPos, this.writePos));
      this.bytesReceived += len;
      this.scheduledPos = this.writePos;
    }
  }

  /** @internal */
  get pending(): number {
    return this.writePos - this.scheduledPos + (this.bytesReceived - this.bytesWritten);
  }

  /** @internal */
  wake(): void {
    const fiber = this.waiter;
    if (fiber !== null) {
      this.waiter = null;
      fiber.scheduler.wake(fiber, undefined);
    }
  }
}

export function checkWriter(w: unknown, what: string): Writer {
  if (!(w instanceof Writer)) throw new TypeError(`${what}: expected a writer from BufWrite.withFlow or BufWrite.create, got ${String(w)}`);
  return w;
}

