/**
 * A child process's pipes as flows: its stdout or stderr (a Node `Readable`) as a source, its
 * stdin (a `Writable`) as a sink. `Process.spawn` copies between them and the flows it was
 * given, in fibers, as Eio does for flows that have no file descriptor. Reads and writes wait
 * for Node's events and can be cancelled.
 * @internal
 * @module
 */
import type { Readable, Writable } from "node:stream";
import { suspend, type Fiber, type Operation } from "../core/scheduler.js";
import { Io } from "./exn.js";
import { EndOfFile, type Sink, type Source } from "./flow.js";

/** A pipe's error as an `Eio.Io`, saying what we were doing (`"writing to the stdin of process 42"`). */
export function pipeError(error: Error, doing: string): Io {
  return new Io(`Pipe ${error.message}`, { cause: error, context: [doing] });
}

export class PipeSource implements Source {
  private pending: Buffer | null = null;
  private error: Error | null = null;

  constructor(
    private readonly stream: Readable,
    /** `"reading the stdout of process 42"`, for errors. */
    private readonly doing: string,
  ) {
    // Without a listener, a pipe's error would be thrown from the event loop.
    stream.on("error", (error) => {
      this.error ??= error;
    });
  }

  *readInto(buffer: Uint8Array): Operation<number> {
    const chunk = yield* this.take(buffer.length);
    if (chunk === null) throw new EndOfFile();
    buffer.set(chunk);
    return chunk.length;
  }

  readChunk(): Operation<Uint8Array | null> {
    return this.take(Infinity);
  }

  /** Stops reading: the child's further writes fail (EPIPE). */
  closeNow(): void {
    this.stream.destroy();
  }

  /** The next bytes (at most `max`), or null at the end of the pipe. */
  private take(max: number): Operation<Buffer | null> {
    return suspend<Buffer | null>("Process.read", (fiber: Fiber) => {
      const stream = this.stream;
      const scheduler = fiber.scheduler;
      const give = (): boolean => {
        if (this.pending === null) this.pending = stream.read() as Buffer | null;
        const chunk = this.pending;
        if (chunk !== null) {
          const n = Math.min(max, chunk.length);
          this.pending = n === chunk.length ? null : chunk.subarray(n);
          scheduler.wake(fiber, n === chunk.length ? chunk : chunk.subarray(0, n));
          return true;
        }
        if (this.error !== null) {
          scheduler.wakeError(fiber, pipeError(this.error, this.doing));
          return true;
        }
        if (stream.readableEnded || stream.destroyed) {
          scheduler.wake(fiber, null);
          return true;
        }
        return false;
      };
      if (give()) return;
      const stop = (): void => {
        stream.off("readable", onEvent);
        stream.off("end", onEvent);
        stream.off("close", onEvent);
        stream.off("error", onEvent);
        scheduler.removeExternalWait();
      };
      const onEvent = (): void => {
        // "readable" also comes at the end, when read() gives null and "end" follows.
        if (this.pending === null && this.error === null && !stream.readableEnded && !stream.destroyed) {
          this.pending = stream.read() as Buffer | null;
          if (this.pending === null) return;
        }
        stop();
        give();
      };
      scheduler.addExternalWait();
      stream.on("readable", onEvent);
      stream.on("end", onEvent);
      stream.on("close", onEvent);
      stream.on("error", onEvent);
      fiber.cancelFn = (cancelled) => {
        stop();
        scheduler.wakeError(fiber, cancelled);
      };
    });
  }
}

export class PipeSink implements Sink {
  private error: Error | null = null;

  constructor(
    private readonly stream: Writable,
    /** `"writing to the stdin of process 42"`, for errors. */
    private readonly doing: string,
  ) {
    stream.on("error", (error) => {
      this.error ??= error;
    });
  }

  writeAll(data: Uint8Array): Operation<void> {
    // A copy: Node keeps the buffer until the child reads it, and a cancelled write returns
    // before that, when the caller may reuse `data`.
    const bytes = Buffer.from(data);
    return suspend<void>("Process.write", (fiber: Fiber) => {
      const scheduler = fiber.scheduler;
      if (this.error !== null) {
        scheduler.wakeError(fiber, pipeError(this.error, this.doing));
        return;
      }
      let waiting = true;
      scheduler.addExternalWait();
      this.stream.write(bytes, (error) => {
        if (!waiting) return;
        waiting = false;
        scheduler.removeExternalWait();
        if (error) scheduler.wakeError(fiber, pipeError(this.error ?? error, this.doing));
        else scheduler.wake(fiber, undefined);
      });
      fiber.cancelFn = (cancelled) => {
        if (!waiting) return;
        waiting = false;
        scheduler.removeExternalWait();
        scheduler.wakeError(fiber, cancelled);
      };
    });
  }

  /** No more input: the child reads end of file. */
  end(): void {
    this.stream.end();
  }
}
