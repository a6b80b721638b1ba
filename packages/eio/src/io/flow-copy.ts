/**
 * The loop behind `Flow.copy`, written as a hand-written operation rather than a generator.
 * A copy is the whole life of an echo or proxy connection, so it is the hottest loop of the
 * network path: each wake-up of the fiber resumes through every generator between the
 * scheduler and the read it waits on, and a generator here would be one more level on every
 * read and write. This drives the source's and sink's operations itself (as `yield*` would),
 * so a read or write that completes at once costs a method call, not a suspension.
 * @internal
 * @module
 */
import { HandWrittenOp, type Suspend } from "../core/scheduler.js";
import { EndOfFile } from "./flow.js";
import type { SinkImpl, SourceImpl } from "./flow-impl.js";

type Step = Iterator<unknown, unknown, unknown>;

/** `Flow.copy(src, dst)` as one operation; returns the number of bytes copied. @internal */
export class CopyOp extends HandWrittenOp<number> {
  /** The read or write under way, driven by this operation's `next`/`throw`. */
  private step: Step | null = null;
  private writing = false;
  private finished = false;
  private total = 0;
  private pending = 0;
  /** For sources that cannot give their chunks away: the buffer to read into. */
  private readonly buffer: Uint8Array | null;

  constructor(
    private readonly source: SourceImpl,
    private readonly sink: SinkImpl,
    chunkSize: number,
  ) {
    super();
    this.buffer = typeof source.readChunk === "function" ? null : new Uint8Array(chunkSize);
  }

  next(value?: unknown): IteratorResult<Suspend, number> {
    if (this.step === null) {
      if (this.finished) return { value: this.total, done: true };
      this.step = this.startRead();
    }
    return this.advance(false, value);
  }

  // The base type says `never` (most operations just rethrow); this one may carry on.
  override throw(error: unknown): never {
    if (this.step === null) throw error;
    return this.advance(true, error) as never;
  }

  override return(value: number): IteratorReturnResult<number> {
    const step = this.step;
    this.step = null;
    this.finished = true;
    step?.return?.();
    return { value, done: true };
  }

  /** Resumes the current step with `input`, then starts read after write after read until one suspends. */
  private advance(isError: boolean, input: unknown): IteratorResult<Suspend, number> {
    try {
      let result = isError ? this.step!.throw!(input) : this.step!.next(input);
      for (;;) {
        if (result.done !== true) return result as IteratorYieldResult<Suspend>;
        if (this.writing) {
          this.writing = false;
          this.total += this.pending;
          this.step = this.startRead();
        } else {
          if (result.value === null) {
            this.step = null;
            this.finished = true;
            return { value: this.total, done: true };
          }
          const chunk = this.buffer === null ? (result.value as Uint8Array) : this.buffer.subarray(0, result.value as number);
          this.pending = chunk.length;
          this.writing = true;
          this.step = this.sink.writeAll(chunk);
        }
        result = this.step.next(undefined);
      }
    } catch (error) {
      this.step = null;
      this.finished = true;
      if (!this.writing && error instanceof EndOfFile) return { value: this.total, done: true };
      throw error;
    }
  }

  private startRead(): Step {
    return this.buffer === null ? this.source.readChunk!() : this.source.readInto(this.buffer);
  }
}
