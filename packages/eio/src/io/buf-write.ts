/**
 * Buffered writing, as in Eio's `Eio.Buf_write`: many small writes are collected and sent in
 * batches, so a reply built from ten pieces costs one system write. {@link withFlow} runs a
 * writer fiber that sends batches to a flow; {@link create} and {@link serialize} drive a writer
 * without one. `flush` waits until everything so far has been sent.
 * @module
 */
import { fork, yieldNow } from "../core/fiber.js";
import { error, ok, type Result } from "../core/result.js";
import { type Operation, runBody, suspend } from "../core/scheduler.js";
import { onRelease, run as runSwitch, type Switch } from "../core/switch.js";
import { EndOfFile, type Sink } from "./flow.js";
import { ACTIVE, CLOSED, checkWriter, PAUSED, Writer } from "./buf-writer.js";

export { Writer };

/**
 * A flush was waiting when the writer was aborted (its switch finished, or {@link abort} was
 * called): the data will never be sent. Mirrors Eio's `Buf_write.Flush_aborted`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.BufWrite.Flush_aborted().name);
 * ```
 */
export class Flush_aborted extends Error {
  /** The class name, as Eio's exception is named. */
  override readonly name = "Flush_aborted";
  constructor() {
    super("Flush aborted: the writer was aborted before the data was written.");
  }
}

/**
 * Options for {@link create}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     const options: Eio.BufWrite.CreateOptions = { sw };
 *     console.log(Eio.BufWrite.isClosed(Eio.BufWrite.create(100, options)));
 *   });
 * });
 * ```
 */
export interface CreateOptions {
  /** When this switch finishes, the writer is aborted ({@link abort}). */
  sw?: Switch;
}

function checkSize(size: unknown, what: string): number {
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 1) throw new RangeError(`${what}: expected a buffer size (integer >= 1), got ${String(size)}`);
  return size;
}

/**
 * A writer with no flow, collecting small writes in buffers of `size` bytes (a bigger write gets
 * a buffer of its own size): drive it with {@link serialize}, {@link serializeToString} or
 * {@link awaitBatch} and {@link shift}. Mirrors `Eio.Buf_write.create`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.string(w, "foo");
 * Eio.BufWrite.BE.uint16(w, 0x6261);
 * console.log(Eio.BufWrite.serializeToString(w));
 * ```
 */
export function create(size: number, options: CreateOptions = {}): Writer {
  checkSize(size, "BufWrite.create");
  if (typeof options !== "object" || options === null) throw new TypeError(`BufWrite.create: expected options { sw? }, got ${String(options)}`);
  const writer = new Writer(size);
  if (options.sw !== undefined) onRelease(options.sw, () => abort(writer));
  return writer;
}

function* copy(t: Writer, flow: Sink): Operation<void> {
  for (;;) {
    let batch: Uint8Array[];
    try {
      batch = yield* awaitBatch(t);
    } catch (e) {
      if (e instanceof EndOfFile) return;
      throw e;
    }
    const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
    yield* flow.writeAll(data);
    shift(t, data.length);
  }
}

/**
 * Options for {@link withFlow}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.BufWrite.WithFlowOptions = { initialSize: 1024 };
 * console.log(options.initialSize);
 * ```
 */
export interface WithFlowOptions {
  /** The size of the buffers that collect small writes (default 4096). */
  initialSize?: number;
}

/**
 * Runs `fn(writer)`; what it writes is sent to `flow` in batches by a writer fiber, and
 * everything is flushed before this returns. If `fn` throws, what it wrote is flushed first
 * (unless cancelled). Mirrors `Eio.Buf_write.with_flow`.
 *
 * Suspends: yes — use `yield*`. Cancelling stops the writer fiber too, and pending flushes then
 * throw {@link Flush_aborted}.
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
export function withFlow<T>(flow: Sink, fn: (writer: Writer) => unknown, options: WithFlowOptions = {}): Operation<T> {
  if (typeof flow !== "object" || flow === null || typeof (flow as Sink).writeAll !== "function") {
    throw new TypeError(`BufWrite.withFlow: expected a sink flow (a socket, Flow.bufferSink, ...), got ${String(flow)}`);
  }
  if (typeof fn !== "function") throw new TypeError(`BufWrite.withFlow: expected a function (writer) => ..., got ${typeof fn}`);
  const size = checkSize(options.initialSize ?? 0x1000, "BufWrite.withFlow (options.initialSize)");
  return runSwitch<T>(function* (sw) {
    const t = create(size, { sw });
    fork(sw, () => copy(t, flow));
    let value: T;
    try {
      value = yield* runBody<T>(fn(t));
    } catch (e) {
      close(t);
      // Throwing will cancel the writer fiber, so flush first (a cancelled flush throws).
      yield* flush(t);
      throw e;
    }
    close(t);
    return value;
  });
}

/**
 * Waits until everything written so far has been sent (after {@link shift}). Unpauses the
 * writer first. Mirrors `Eio.Buf_write.flush`.
 *
 * Suspends: if data is pending — use `yield*`. Throws {@link Flush_aborted} if the writer is
 * aborted first; cancelling stops the wait (the data is still sent).
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
  const t = checkWriter(writer, "BufWrite.flush");
  t.flushBuffer();
  unpause(t);
  if (t.scheduled.length === 0) return;
  const target = t.bytesReceived;
  yield* suspend<void>("BufWrite.flush", (fiber) => {
    const entry = { fiber, target };
    t.flushes.push(entry);
    fiber.cancelFn = (cancelled) => {
      const at = t.flushes.indexOf(entry);
      if (at >= 0) t.flushes.splice(at, 1);
      fiber.scheduler.wakeError(fiber, cancelled);
    };
  });
}

/**
 * Stops handing writes to the flow, so more of them collect into one batch; {@link unpause},
 * {@link flush} or {@link close} resume. Mirrors `Eio.Buf_write.pause`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.BufWrite.withFlow(sink, function* (w) {
 *     Eio.BufWrite.pause(w);
 *     Eio.BufWrite.string(w, "a");
 *     yield* Eio.Fiber.yield();
 *     console.log(Eio.Flow.bufferSinkContents(sink) === "");
 *     Eio.BufWrite.unpause(w);
 *   });
 * });
 * ```
 */
export function pause(writer: Writer): void {
  const t = checkWriter(writer, "BufWrite.pause");
  if (t.state === ACTIVE) t.state = PAUSED;
}

/**
 * Resumes writing after {@link pause}. Mirrors `Eio.Buf_write.unpause`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.pause(w);
 * Eio.BufWrite.unpause(w);
 * console.log(Eio.BufWrite.isClosed(w));
 * ```
 */
export function unpause(writer: Writer): void {
  const t = checkWriter(writer, "BufWrite.unpause");
  if (t.state !== PAUSED) return;
  t.state = ACTIVE;
  if (t.pending > 0) t.wake();
}

/**
 * Closes the writer: later writes throw, and once what is pending has been sent the flow (or
 * {@link awaitBatch}) sees the end. Mirrors `Eio.Buf_write.close`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.close(w);
 * console.log(Eio.BufWrite.isClosed(w));
 * ```
 */
export function close(writer: Writer): void {
  const t = checkWriter(writer, "BufWrite.close");
  t.state = CLOSED;
  t.flushBuffer();
  t.wake();
}

/**
 * Whether {@link close} was called (a closed writer may still have pending output). Mirrors
 * `Eio.Buf_write.is_closed`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(Eio.BufWrite.isClosed(Eio.BufWrite.create(100)));
 * ```
 */
export function isClosed(writer: Writer): boolean {
  return checkWriter(writer, "BufWrite.isClosed").state === CLOSED;
}

/**
 * Closes the writer and makes every waiting {@link flush} throw {@link Flush_aborted}. Mirrors
 * `Eio.Buf_write.abort`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const w = Eio.BufWrite.create(100);
 *   yield* Eio.Fiber.both(
 *     function* () {
 *       Eio.BufWrite.string(w, "hi");
 *       try { yield* Eio.BufWrite.flush(w); } catch (e) { console.log((e as Error).name); }
 *     },
 *     () => Eio.BufWrite.abort(w),
 *   );
 * });
 * ```
 */
export function abort(writer: Writer): void {
  const t = checkWriter(writer, "BufWrite.abort");
  close(t);
  const waiting = t.flushes;
  t.flushes = [];
  for (const { fiber } of waiting) fiber.scheduler.wakeError(fiber, new Flush_aborted());
}

/**
 * Bytes written but not yet sent. Mirrors `Eio.Buf_write.pending_bytes`.
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
  return checkWriter(writer, "BufWrite.pendingBytes").pending;
}

/**
 * Waits until there is something to write (and the writer is not paused) and returns the
 * pending buffers, oldest first; report what was written with {@link shift}. Throws `EndOfFile`
 * once the writer is closed and everything was written. Mirrors `Eio.Buf_write.await_batch`.
 *
 * Suspends: while there is nothing to write — use `yield*`. Cancelling stops the wait.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const w = Eio.BufWrite.create(100);
 *   Eio.BufWrite.string(w, "ab");
 *   const batch = yield* Eio.BufWrite.awaitBatch(w);
 *   Eio.BufWrite.shift(w, 2);
 *   console.log(batch.length, Eio.BufWrite.pendingBytes(w));
 * });
 * ```
 */
export function* awaitBatch(writer: Writer): Operation<Uint8Array[]> {
  const t = checkWriter(writer, "BufWrite.awaitBatch");
  for (;;) {
    t.flushBuffer();
    const pending = t.scheduled.length > 0;
    if (t.state === CLOSED && !pending) throw new EndOfFile();
    if (pending && t.state !== PAUSED) return t.scheduled.slice();
    yield* suspend<void>("BufWrite.awaitBatch", (fiber) => {
      t.waiter = fiber;
      fiber.cancelFn = (cancelled) => {
        t.waiter = null;
        fiber.scheduler.wakeError(fiber, cancelled);
      };
    });
  }
}

/**
 * Marks the first `n` pending bytes as written, waking the flushes now due. Mirrors
 * `Eio.Buf_write.shift`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.string(w, "abc");
 * Eio.BufWrite.shift(w, 1);
 * console.log(Eio.BufWrite.pendingBytes(w));
 * ```
 */
export function shift(writer: Writer, n: number): void {
  const t = checkWriter(writer, "BufWrite.shift");
  t.flushBuffer();
  const pending = t.bytesReceived - t.bytesWritten;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > pending) throw new RangeError(`BufWrite.shift: expected a count of written bytes from 0 to ${pending}, got ${String(n)}`);
  let left = n;
  while (left > 0) {
    const first = t.scheduled[0]!;
    if (first.length <= left) {
      t.scheduled.shift();
      left -= first.length;
    } else {
      t.scheduled[0] = first.subarray(left);
      left = 0;
    }
  }
  if (t.scheduled.length === 0 && t.scheduledPos === t.writePos) {
    t.scheduledPos = 0;
    t.writePos = 0;
  }
  t.bytesWritten += n;
  while (t.flushes.length > 0 && t.flushes[0]!.target <= t.bytesWritten) {
    const { fiber } = t.flushes.shift()!;
    fiber.scheduler.wake(fiber, undefined);
  }
}

/**
 * Runs the writer with `writev`: each time there is a batch, calls `writev(buffers)`, which
 * returns `{ ok: true, value: bytesWritten }` (a partial write is fine: the rest comes next,
 * after a `Fiber.yield`) or `{ ok: false, error: "Closed" }` to stop (the writer is then
 * closed). Ends with `{ ok: true }` when the writer is closed and empty. Mirrors
 * `Eio.Buf_write.serialize`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const w = Eio.BufWrite.create(100);
 *   Eio.BufWrite.string(w, "foo");
 *   Eio.BufWrite.string(w, "bar");
 *   Eio.BufWrite.close(w);
 *   const result = yield* Eio.BufWrite.serialize(w, (bufs) => {
 *     console.log(bufs.map((b) => Buffer.from(b).toString()));
 *     return { ok: true, value: bufs.reduce((n, b) => n + b.length, 0) };
 *   });
 *   console.log(result.ok);
 * });
 * ```
 */
export function* serialize(
  writer: Writer,
  writev: (buffers: Uint8Array[]) => Result<number, "Closed"> | Operation<Result<number, "Closed">>,
): Operation<Result<void, "Closed">> {
  const t = checkWriter(writer, "BufWrite.serialize");
  if (typeof writev !== "function") throw new TypeError(`BufWrite.serialize: expected a function (buffers) => result, got ${typeof writev}`);
  for (;;) {
    let batch: Uint8Array[];
    try {
      batch = yield* awaitBatch(t);
    } catch (e) {
      if (e instanceof EndOfFile) return ok(undefined);
      throw e;
    }
    const result = yield* runBody<Result<number, "Closed">>(writev(batch));
    if (!result.ok) {
      close(t);
      return error("Closed");
    }
    shift(t, result.value);
    if (t.scheduled.length > 0) yield* yieldNow();
  }
}

/**
 * Closes the writer and returns everything pending as bytes, marking it written. Mirrors
 * `Eio.Buf_write.serialize_to_cstruct`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.uint8(w, 0xa5);
 * console.log(Eio.BufWrite.serializeToBytes(w));
 * ```
 */
export function serializeToBytes(writer: Writer): Uint8Array {
  const t = checkWriter(writer, "BufWrite.serializeToBytes");
  close(t);
  const data = Uint8Array.from(Buffer.concat(t.scheduled));
  shift(t, data.length);
  return data;
}

/**
 * Closes the writer and returns everything pending, decoded as UTF-8. Mirrors
 * `Eio.Buf_write.serialize_to_string` (use {@link serializeToBytes} for binary data).
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const w = Eio.BufWrite.create(100);
 * Eio.BufWrite.printf(w, "%s=%d", "x", 42);
 * console.log(Eio.BufWrite.serializeToString(w));
 * ```
 */
export function serializeToString(writer: Writer): string {
  return Buffer.from(serializeToBytes(checkWriter(writer, "BufWrite.serializeToString"))).toString("utf8");
}

export { string, bytes, char, printf, uint8, BE, LE } from "./buf-write-values.js";
