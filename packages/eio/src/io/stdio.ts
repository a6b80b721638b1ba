/**
 * The standard streams as flows (Eio's `Stdenv.stdin`, `stdout`, `stderr`), over Node's
 * `process.stdin`/`stdout`/`stderr`, so what a program writes with `Eio.Flow` and with
 * `console.log` comes out in the order it was written. Standard input is read only while a
 * fiber waits on it (and unreferenced meanwhile), so a program that stops reading can exit.
 * @internal
 * @module
 */
import { suspend, type Fiber, type Operation } from "../core/scheduler.js";
import { EndOfFile, type Sink, type Source } from "./flow.js";
import { fsError } from "./fs-call.js";

type Writable = NodeJS.WriteStream;

/** Streams given a listener for their 'error' event (see `StdSink.writeAll`). */
const heard = new WeakSet<Writable>();
const ignore = (): void => {};

class StdSink implements Sink {
  constructor(
    private readonly name: string,
    private readonly stream: () => Writable,
  ) {}

  writeAll(data: Uint8Array): Operation<void> {
    return suspend<void>(`${this.name}.write`, (fiber: Fiber) => {
      const scheduler = fiber.scheduler;
      const stream = this.stream();
      // A failed write (EPIPE: the reader has gone) reaches the callback below, and then comes
      // again as an 'error' event, which ends the process when nothing listens for it.
      if (!heard.has(stream)) {
        heard.add(stream);
        stream.on("error", ignore);
      }
      scheduler.addExternalWait();
      // A write handed to Node cannot be taken back: a cancelled fiber still waits for it,
      // so the caller may reuse `data` once we return.
      stream.write(data, (error) => {
        scheduler.removeExternalWait();
        if (error) scheduler.wakeError(fiber, fsError(error, `writing <${this.name}>`));
        else scheduler.wake(fiber, undefined);
      });
    });
  }
}

class StdinSource implements Source {
  private pending: Buffer | null = null;
  private ended = false;

  readInto(buffer: Uint8Array): Operation<number> {
    return suspend<number>("stdin.read", (fiber: Fiber) => {
      const stdin = process.stdin as NodeJS.ReadStream & { ref?: () => void; unref?: () => void };
      const scheduler = fiber.scheduler;
      const give = (): boolean => {
        if (this.pending === null) {
          const chunk = stdin.read() as Buffer | null;
          if (chunk !== null) this.pending = chunk;
        }
        if (this.pending !== null) {
          const n = Math.min(buffer.length, this.pending.length);
          buffer.set(this.pending.subarray(0, n));
          this.pending = n === this.pending.length ? null : this.pending.subarray(n);
          scheduler.wake(fiber, n);
          return true;
        }
        if (this.ended) {
          scheduler.wakeError(fiber, new EndOfFile());
          return true;
        }
        return false;
      };
      if (stdin.readableEnded) this.ended = true;
      if (give()) return;
      const stop = (): void => {
        stdin.off("readable", onReadable);
        stdin.off("end", onEnd);
        stdin.off("error", onError);
        stdin.unref?.();
        scheduler.removeExternalWait();
      };
      const onReadable = (): void => {
        const chunk = stdin.read() as Buffer | null;
        if (chunk === null) return; // at the end: "end" follows
        this.pending = chunk;
        stop();
        give();
      };
      const onEnd = (): void => {
        this.ended = true;
        stop();
        give();
      };
      const onError = (error: Error): void => {
        stop();
        scheduler.wakeError(fiber, fsError(error, "reading <stdin>"));
      };
      scheduler.addExternalWait();
      stdin.ref?.();
      stdin.on("readable", onReadable);
      stdin.on("end", onEnd);
      stdin.on("error", onError);
      fiber.cancelFn = (cancelled) => {
        stop();
        scheduler.wakeError(fiber, cancelled);
      };
    });
  }
}

export const stdin: Source = new StdinSource();
export const stdout: Sink = new StdSink("stdout", () => process.stdout);
export const stderr: Sink = new StdSink("stderr", () => process.stderr);
