/**
 * A socket's reads and writes as hand-written operations (see `HandWrittenOp` in the
 * scheduler): each `SocketStream` keeps one of each and reuses it, so reading and writing a
 * socket allocates nothing of ours per call. The socket's own logic (what is buffered, errors,
 * waking) stays in socket-stream.ts; these only sequence it for `yield*`.
 * @internal
 * @module
 */
import type { Cancelled } from "../core/errors.js";
import { type Fiber, HandWrittenOp, type Suspend, SUSPEND_STEP } from "../core/scheduler.js";
import { EndOfFile } from "./flow.js";
import type { SocketStream } from "./socket-stream.js";

/** What a reader finds (see `SocketStream.readable`). @internal */
export const enum Readable {
  Waiting,
  Ready,
  Ended,
}

/** One cancel function for every blocked reader: the stream is in `fiber.waitingFor`. */
export function cancelRead(cancelled: Cancelled, fiber: Fiber): void {
  (fiber.waitingFor as SocketStream).dropReader(fiber);
  fiber.waitingFor = null;
  fiber.scheduler.removeExternalWait();
  fiber.scheduler.wakeError(fiber, cancelled);
}

/** One cancel function for every blocked writer: its operation is in `fiber.waitingFor`. */
export function cancelWrite(cancelled: Cancelled, fiber: Fiber): void {
  const op = fiber.waitingFor as WriteOp;
  op.stream.removeWriter(op);
  fiber.waitingFor = null;
  fiber.scheduler.removeExternalWait();
  fiber.scheduler.wakeError(fiber, cancelled);
}

/**
 * A read as a hand-written operation (see `HandWrittenOp`): into `buffer`, or of a whole chunk
 * when `buffer` is null. Each step re-checks the socket, so a wake-up only has to say "look".
 * `yield*` reads a step's result at once, so one result object serves every step.
 */
export class ReadOp extends HandWrittenOp<unknown> {
  busy = false;
  buffer: Uint8Array | null = null;
  private readonly result: { value: unknown; done: true } = { value: undefined, done: true };

  constructor(private readonly stream: SocketStream) {
    super();
  }

  next(): IteratorResult<Suspend, unknown> {
    const stream = this.stream;
    let state: Readable;
    try {
      state = stream.readable();
    } catch (error) {
      this.busy = false;
      throw error;
    }
    if (state === Readable.Waiting) return SUSPEND_STEP;
    const buffer = this.buffer;
    this.buffer = null;
    this.busy = false;
    if (state === Readable.Ended) {
      // A chunk reader (Flow.copy) ends on null: no error object made per connection.
      if (buffer !== null) throw new EndOfFile();
      this.result.value = null;
    } else {
      this.result.value = buffer === null ? stream.takeChunk() : stream.take(buffer);
    }
    return this.result;
  }

  override throw(error: unknown): never {
    this.buffer = null;
    this.busy = false;
    throw error;
  }

  override return(value: unknown): IteratorReturnResult<unknown> {
    this.buffer = null;
    this.busy = false;
    return { value, done: true };
  }
}

/** A write as a hand-written operation: starts the write, then waits for it if Node queued it. @internal */
export class WriteOp extends HandWrittenOp<void> {
  busy = false;
  data: Uint8Array | null = null;
  /** The write's number while it waits; 0 before it starts. */
  index = 0;
  fiber: Fiber | null = null;
  private readonly result: { value: undefined; done: true } = { value: undefined, done: true };

  constructor(readonly stream: SocketStream) {
    super();
  }

  next(): IteratorResult<Suspend, void> {
    const stream = this.stream;
    try {
      if (this.index === 0) {
        const data = this.data!;
        this.data = null;
        this.index = stream.startWrite(data);
        if (this.index === 0) {
          this.busy = false;
          return this.result;
        }
      }
      if (!stream.writeSettled(this)) return SUSPEND_STEP;
    } catch (error) {
      this.data = null;
      this.busy = false;
      throw error;
    }
    this.busy = false;
    return this.result;
  }

  override throw(error: unknown): never {
    this.data = null;
    this.busy = false;
    throw error;
  }

  override return(): IteratorReturnResult<void> {
    this.data = null;
    this.busy = false;
    return { value: undefined, done: true };
  }
}
