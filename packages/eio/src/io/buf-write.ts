/**
 * Buffered writing, as in Eio's `Eio.Buf_write`: many small writes are collected and sent to
 * the flow in batches by a writer fiber, so a reply built from ten pieces costs one system
 * write. `flush` waits until everything so far has been sent.
 * @module
 */
import { fork } from "../core/fiber.js";
import { type Fiber, type Operation, runBody, suspend } from "../core/scheduler.js";
import { run as runSwitch } from "../core/switch.js";
import type { Sink } from "./flow.js";

/**
 * A buffered writer (Eio's `Buf_write.t`), made by {@link withFlow}. Opaque: use the functions
 * of this module.
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
  /** Bytes queued and not yet taken by the writer fiber. @internal */
  parts: Uint8Array[] = [];
  /** @internal */
  queued = 0;
  /** Total bytes ever queued / ever written to the flow. @internal */
  totalQueued = 0;
  /** @internal */
  totalWritten = 0;
  /** @internal */
  closed = false;
  /** @internal */
  pump: Fiber | null = null;
  /** @internal */
  flushers: { fiber: Fiber; target: number }[] = [];
  /** @internal */
  error: unknown = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly sink: Sink,
  ) {}

  /** @internal */
  add(bytes: Uint8Array): void {
    if (this.closed) throw new Error("Cannot write to a BufWrite writer: it is closed (its withFlow has ended).");
    if (this.error !== null) throw this.error;
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.queued += bytes.length;
    this.totalQueued += bytes.length;
    this.wakePump();
  }

  /** @internal */
  wakePump(): void {
    const fiber = this.pump;
    if (fiber !== null) {
      this.pump = null;
      fiber.scheduler.wake(fiber, undefined);
    }
  }

  /** The writer fiber: waits for data, sends it all as one write, repeats until closed. @internal */
  *run(): Operation<void> {
    for (;;) {
      while (this.queued === 0) {
        if (this.closed) return;
        yield* suspend<void>("BufWrite", (fiber) => {
          this.pump = fiber;
          fiber.cancelFn = (cancelled) => {
            this.pump = null;
            fiber.scheduler.wakeError(fiber, cancelled);
          };
        });
      }
      const batch = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.queued);
      const n = this.queued;
      this.parts = [];
      this.queued = 0;
      try {
        yield* this.sink.writeAll(batch);
      } catch (error) {
        this.error = error;
        this.wakeFlushers();
        throw error;
      }
      this.totalWritten += n;
      this.wakeFlushers();
    }
  }

  private wakeFlushers(): void {
    if (this.flushers.length === 0) return;
    const still = [];
    for (const f of this.flushers) {
      if (this.error !== null || f.target <= this.totalWritten) f.fiber.scheduler.wake(f.fiber, undefined);
      else still.push(f);
    }
    this.flushers = still;
  }
}

function checkWriter(w: unknown, what: string): Writer {
  if (!(w instanceof Writer)) throw new TypeError(`${what}: expected a writer from BufWrite.withFlow, got ${String(w)}`);
  return w;
}

/**
 * Runs `fn(writer)`; what it writes is sent to `flow` in batches by a writer fiber, and
 * everything is flushed before this returns (also when `fn` throws). Mirrors
 * `Eio.Buf_write.with_flow`.
 *
 * Suspends: yes — use `yield*`. Cancelling stops the writer fiber too.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, (w) => {
 *     Eio.BufWrite.string(w, "+OK");
 *     Eio.BufWrite.string(w, "\r\n");
 *   });
 *   console.log(JSON.stringify(Eio.Flow.bufferSinkContents(sink)));
 * });
 * ```
 */
export function withFlow<T>(flow: Sink, fn: (writer: Writer) => unknown): Operation<T> {
  if (typeof flow !== "object" || flow === null || typeof (flow as Sink).writeAll !== "function") {
    throw new TypeError(`BufWrite.withFlow: expected a sink flow (a socket, Flow.bufferSink, ...), got ${String(flow)}`);
  }
  if (typeof fn !== "function") throw new TypeError(`BufWrite.withFlow: expected a function (writer) => ..., got ${typeof fn}`);
  const writer = new Writer(flow);
  return runSwitch<T>(function* (sw) {
    fork(sw, () => writer.run());
    try {
      return yield* runBody<T>(fn(writer));
    } finally {
      writer.closed = true;
      writer.wakePump();
    }
  });
}

/**
 * Queues `text` (as UTF-8). Mirrors `Eio.Buf_write.string`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, (w) => Eio.BufWrite.string(w, "héllo"));
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function string(writer: Writer, text: string): void {
  const w = checkWriter(writer, "BufWrite.string");
  if (typeof text !== "string") throw new TypeError(`BufWrite.string: expected a string, got ${typeof text}`);
  w.add(Buffer.from(text));
}

/**
 * Queues a copy of `data`, so the caller may reuse it at once. Mirrors `Eio.Buf_write.bytes`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, (w) => Eio.BufWrite.bytes(w, new Uint8Array([104, 105])));
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function bytes(writer: Writer, data: Uint8Array): void {
  const w = checkWriter(writer, "BufWrite.bytes");
  if (!(data instanceof Uint8Array)) throw new TypeError(`BufWrite.bytes: expected a Uint8Array, got ${typeof data}`);
  w.add(Uint8Array.prototype.slice.call(data));
}

/**
 * Queues one character (one byte). Mirrors `Eio.Buf_write.char`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, (w) => { Eio.BufWrite.char(w, "a"); Eio.BufWrite.char(w, "b"); });
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function char(writer: Writer, c: string): void {
  const w = checkWriter(writer, "BufWrite.char");
  if (typeof c !== "string" || c.length !== 1 || c.charCodeAt(0) > 255) {
    throw new TypeError(`BufWrite.char: expected a one-byte character, got ${JSON.stringify(c)}`);
  }
  w.add(new Uint8Array([c.charCodeAt(0)]));
}

/**
 * Waits until everything written so far has been sent to the flow. Mirrors
 * `Eio.Buf_write.flush`.
 *
 * Suspends: if data is pending — use `yield*`. Cancelling stops the wait (the data is still
 * sent).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, function* (w) {
 *     Eio.BufWrite.string(w, "now");
 *     yield* Eio.BufWrite.flush(w);
 *     console.log(Eio.Flow.bufferSinkContents(sink));
 *   });
 * });
 * ```
 */
export function* flush(writer: Writer): Operation<void> {
  const w = checkWriter(writer, "BufWrite.flush");
  const target = w.totalQueued;
  while (w.totalWritten < target) {
    if (w.error !== null) throw w.error;
    yield* suspend<void>("BufWrite.flush", (fiber) => {
      const entry = { fiber, target };
      w.flushers.push(entry);
      fiber.cancelFn = (cancelled) => {
        const at = w.flushers.indexOf(entry);
        if (at >= 0) w.flushers.splice(at, 1);
        fiber.scheduler.wakeError(fiber, cancelled);
      };
    });
  }
}

/**
 * Bytes written but not yet sent to the flow. Mirrors `Eio.Buf_write.pending_bytes`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.BufWrite.withFlow(Eio.Flow.bufferSink(), (w) => {
 *     Eio.BufWrite.string(w, "abc");
 *     console.log(Eio.BufWrite.pendingBytes(w));
 *   });
 * });
 * ```
 */
export function pendingBytes(writer: Writer): number {
  const w = checkWriter(writer, "BufWrite.pendingBytes");
  return w.totalQueued - w.totalWritten;
}
