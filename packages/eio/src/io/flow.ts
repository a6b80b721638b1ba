/**
 * Byte streams, as in Eio's `Eio.Flow`: a source gives bytes, a sink takes them, a two-way flow
 * (a socket) does both. Fibers block on flows; the domain does not.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { CopyOp } from "./flow-copy.js";
import type { CloseImpl, ShutdownCommand, SinkImpl, SourceImpl, TwoWayImpl } from "./flow-impl.js";

/**
 * Something to read bytes from (Eio's `Flow.source`): a socket, a `BufRead` reader,
 * {@link stringSource}. Opaque: use {@link read}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const source: Eio.Flow.Source = Eio.Flow.stringSource("data");
 * await Eio.run(function* () {
 *   console.log(yield* Eio.BufRead.takeAll(Eio.BufRead.of(source, { maxSize: 64 })));
 * });
 * ```
 */
export interface Source {
  /** @internal */
  readonly readInto: SourceImpl["readInto"];
}

/**
 * Something to write bytes to (Eio's `Flow.sink`): a socket, {@link bufferSink}. Opaque: use
 * {@link write}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const sink: Eio.Flow.Sink = Eio.Flow.bufferSink();
 * await Eio.run(function* () {
 *   yield* Eio.Flow.write(sink, "data");
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export interface Sink {
  /** @internal */
  readonly writeAll: SinkImpl["writeAll"];
}

/**
 * A flow that reads and writes, such as a TCP connection (Eio's `Flow.two_way`).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     const flow: Eio.Flow.TwoWay = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
 *     Eio.Flow.shutdown(flow, "send");
 *   });
 * });
 * ```
 */
export interface TwoWay extends Source, Sink {
  /** @internal */
  readonly shutdownDirection: TwoWayImpl["shutdownDirection"];
}

export type { ShutdownCommand } from "./flow-impl.js";

/**
 * The end of a flow was reached: the peer will send nothing more. Mirrors OCaml's
 * `End_of_file`, which Eio's flows raise.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.Flow.EndOfFile().name);
 * ```
 */
export class EndOfFile extends Error {
  /** The class name, as for built-in errors. */
  override readonly name = "EndOfFile";
  constructor(message = "End of file: the flow has no more data.") {
    super(message);
  }
}

function isSource(value: unknown): value is SourceImpl {
  return typeof value === "object" && value !== null && typeof (value as SourceImpl).readInto === "function";
}

function isSink(value: unknown): value is SinkImpl {
  return typeof value === "object" && value !== null && typeof (value as SinkImpl).writeAll === "function";
}

function checkSource(value: unknown, what: string): SourceImpl {
  if (!isSource(value)) throw new TypeError(`${what}: expected a source flow (a socket, Flow.stringSource, ...), got ${String(value)}`);
  return value;
}

function checkSink(value: unknown, what: string): SinkImpl {
  if (!isSink(value)) throw new TypeError(`${what}: expected a sink flow (a socket, Flow.bufferSink, ...), got ${String(value)}`);
  return value;
}

function checkBuffer(buffer: unknown, what: string): Uint8Array {
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`${what}: expected a Uint8Array (or Buffer), got ${buffer === null ? "null" : typeof buffer}`);
  }
  return buffer;
}

/**
 * Reads at least one byte into `buffer` and returns how many were read; throws `EndOfFile`
 * when the flow has ended. Mirrors `Eio.Flow.single_read`.
 *
 * Suspends: when no data is buffered — use `yield*`. Cancelling the waiting fiber throws
 * `Cancelled` and consumes nothing.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const buffer = new Uint8Array(16);
 *   const n = yield* Eio.Flow.read(Eio.Flow.stringSource("hello"), buffer);
 *   console.log(n, Buffer.from(buffer.subarray(0, n)).toString());
 * });
 * ```
 */
export function read(flow: Source, buffer: Uint8Array): Operation<number> {
  const source = checkSource(flow, "Flow.read");
  checkBuffer(buffer, "Flow.read");
  if (buffer.length === 0) throw new RangeError("Flow.read: the buffer is empty (length 0); pass a buffer with room for at least one byte");
  return source.readInto(buffer);
}

/**
 * Fills `buffer` completely, reading as often as needed; throws `EndOfFile` if the flow ends
 * first. Mirrors `Eio.Flow.read_exact`.
 *
 * Suspends: yes — use `yield*`. On cancellation throws `Cancelled`; bytes already read stay in
 * `buffer`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const buffer = new Uint8Array(3);
 *   yield* Eio.Flow.readExact(Eio.Flow.stringSource("abcdef"), buffer);
 *   console.log(Buffer.from(buffer).toString());
 * });
 * ```
 */
export function* readExact(flow: Source, buffer: Uint8Array): Operation<void> {
  const source = checkSource(flow, "Flow.readExact");
  checkBuffer(buffer, "Flow.readExact");
  let offset = 0;
  while (offset < buffer.length) offset += yield* source.readInto(buffer.subarray(offset));
}

function toBytes(data: unknown, what: string): Uint8Array {
  if (typeof data === "string") return Buffer.from(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`${what}: expected a string or a Uint8Array, got ${data === null ? "null" : typeof data}`);
}

/**
 * Writes all of `data` (bytes, or a string as UTF-8). Returns once the bytes are handed to the
 * system, so `data` may be reused afterwards. Mirrors `Eio.Flow.write`.
 *
 * Suspends: while the peer is not keeping up (the socket's buffer is full) — use `yield*`.
 * Other fibers keep running. Cancelling throws `Cancelled`; part of `data` may have been sent.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.Flow.write(sink, "hello ");
 *   yield* Eio.Flow.write(sink, new TextEncoder().encode("world"));
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function write(flow: Sink, data: Uint8Array | string): Operation<void> {
  const sink = checkSink(flow, "Flow.write");
  const bytes = toBytes(data, "Flow.write");
  return sink.writeAll(bytes);
}

/**
 * Writes a string as UTF-8. Mirrors `Eio.Flow.copy_string`.
 *
 * Suspends: like {@link write} — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.Flow.copyString("hi", sink);
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function copyString(text: string, flow: Sink): Operation<void> {
  if (typeof text !== "string") throw new TypeError(`Flow.copyString: expected a string, got ${typeof text}`);
  return write(flow, text);
}

/**
 * Copies everything from `src` to `dst` until `src` ends; returns the number of bytes copied.
 * Mirrors `Eio.Flow.copy`.
 *
 * Suspends: yes — use `yield*`. Cancelling stops the copy with `Cancelled`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   const n = yield* Eio.Flow.copy(Eio.Flow.stringSource("copied"), sink);
 *   console.log(n, Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function copy(src: Source, dst: Sink, options: { chunkSize?: number } = {}): Operation<number> {
  const source = checkSource(src, "Flow.copy");
  const sink = checkSink(dst, "Flow.copy");
  const chunkSize = options.chunkSize ?? 65536;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) {
    throw new RangeError(`Flow.copy: options.chunkSize must be a positive integer, got ${String(chunkSize)}`);
  }
  if (typeof sink.copyFrom === "function") return sink.copyFrom(source);
  return new CopyOp(source, sink, chunkSize) as unknown as Operation<number>;
}

/**
 * Closes one or both directions of a two-way flow: `"send"` tells the peer we are done
 * writing (it then reads end of file), `"receive"` makes our reads end. Mirrors
 * `Eio.Flow.shutdown`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     const client = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
 *     const [conn] = yield* Eio.Net.accept(sw, server);
 *     Eio.Flow.shutdown(client, "send");
 *     try { yield* Eio.Flow.read(conn, new Uint8Array(1)); } catch (e) { console.log((e as Error).name); }
 *   });
 * });
 * ```
 */
export function shutdown(flow: TwoWay, command: ShutdownCommand): void {
  if (typeof flow !== "object" || flow === null || typeof (flow as TwoWayImpl).shutdownDirection !== "function") {
    throw new TypeError(`Flow.shutdown: expected a two-way flow (a socket), got ${String(flow)}`);
  }
  if (command !== "send" && command !== "receive" && command !== "all") {
    throw new RangeError(`Flow.shutdown: expected "send", "receive" or "all", got ${String(command)}`);
  }
  (flow as TwoWayImpl).shutdownDirection(command);
}

/**
 * Closes a flow (or listening socket) now; further operations on it fail. Closing twice is
 * harmless. Resources attached to a switch are closed by the switch anyway; use this to close
 * them sooner. Mirrors `Eio.Flow.close` / `Eio.Resource.close`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     Eio.Flow.close(server);
 *     console.log("closed");
 *   });
 * });
 * ```
 */
export function close(flow: unknown): void {
  if (typeof flow !== "object" || flow === null || typeof (flow as CloseImpl).closeNow !== "function") {
    throw new TypeError(`Flow.close: expected a socket or other closable flow, got ${String(flow)}`);
  }
  (flow as CloseImpl).closeNow();
}

export { stringSource, bufferSink, bufferSinkContents } from "./memory-flow.js";
