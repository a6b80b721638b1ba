/**
 * Mock flows, as in Eio's `Eio_mock.Flow`: a flow that is a source, a sink and a connection at
 * once, reads what it is scripted to, and traces every read, write, shutdown and close.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { onReleaseCancellable, tryRemoveHook, type Hook, type Switch } from "../core/switch.js";
import { EndOfFile, type ShutdownCommand } from "../io/flow.js";
import type { SourceImpl } from "../io/flow-impl.js";
import type { Stream } from "../io/net-stream.js";
import type { Action } from "./action.js";
import { Handler, make as makeHandler, run as runHandler, seq } from "./handler.js";
import { dumpLines, traceBox } from "./show-bytes.js";

/**
 * Options for {@link make}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Mock.Flow.MakeOptions = { pp: (bytes) => `${bytes.length} bytes` };
 * console.log(typeof options.pp);
 * ```
 */
export interface MakeOptions {
  /** How to show data in the trace (default: Eio's, one quoted OCaml string per line). */
  pp?: (bytes: Uint8Array) => string;
}

/**
 * How a mock flow reads from the source when `Flow.copy` copies into it (Eio's
 * `Flow.copy_method`): `"readInto"` (the default) reads into a buffer of `onCopyBytes` bytes;
 * `"readSourceBuffer"` takes the source's own chunks (Eio's `Read_source_buffer`), which
 * `Flow.stringSource` and sockets offer, and traces them as `(rsb) [...]`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const method: Eio.Mock.Flow.CopyMethod = "readSourceBuffer";
 * console.log(method);
 * ```
 */
export type CopyMethod = "readInto" | "readSourceBuffer";

/**
 * A mock flow (Eio's `Eio_mock.Flow.t`): usable as a source, a sink, a two-way flow and a
 * connection (`Net.Stream`). Make one with {@link make}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const flow: Eio.Mock.Flow.MockFlow = Eio.Mock.Flow.make("flow");
 * const stream: Eio.Net.Stream = flow;
 * console.log(stream === flow);
 * ```
 */
export class MockFlow implements Stream {
  /** @internal */
  readonly onRead: Handler<string | Uint8Array> = makeHandler<string | Uint8Array>({ raise: new EndOfFile() });
  /** @internal */
  readonly onCopyBytes: Handler<number> = makeHandler<number>({ return: 4096 });
  /** @internal */
  copyMethod: CopyMethod = "readInto";
  private closed = false;
  private hooks: Hook[] = [];

  /** @internal */
  constructor(
    /** The name it is traced with. */
    readonly label: string,
    private readonly pp: (bytes: Uint8Array) => string,
  ) {}

  /** @internal */
  *readInto(buffer: Uint8Array): Operation<number> {
    const data = toBytes(yield* runHandler(this.onRead), `${this.label}: on_read`);
    if (buffer.length < data.length) throw new Error(`${this.label}: read buffer too short for ${this.pp(data)}!`);
    buffer.set(data);
    traceBox(`${this.label}: read `, this.pp(data));
    return data.length;
  }

  /** @internal */
  *writeAll(data: Uint8Array): Operation<void> {
    let offset = 0;
    // As Eio's single_write: each write takes at most on_copy_bytes bytes, and write_all loops.
    do {
      const chunk = data.subarray(offset, offset + (yield* this.copyBytes()));
      traceBox(`${this.label}: wrote `, this.pp(chunk));
      offset += chunk.length;
    } while (offset < data.length);
  }

  /** As Eio's mock: the sink decides how it reads from the source. @internal */
  *copyFrom(source: SourceImpl): Operation<number> {
    return this.copyMethod === "readInto" ? yield* this.copyViaBuffer(source) : yield* this.copyRsb(source);
  }

  private *copyViaBuffer(source: SourceImpl): Operation<number> {
    let total = 0;
    for (;;) {
      const buffer = new Uint8Array(yield* this.copyBytes());
      let n: number;
      try {
        n = yield* source.readInto(buffer);
      } catch (error) {
        if (error instanceof EndOfFile) return total;
        throw error;
      }
      traceBox(`${this.label}: wrote `, this.pp(buffer.subarray(0, n)));
      total += n;
    }
  }

  private *copyRsb(source: SourceImpl): Operation<number> {
    if (typeof source.readChunk !== "function") throw new Error("Source does not offer Read_source_buffer optimisation");
    let total = 0;
    for (;;) {
      const chunk = yield* source.readChunk();
      if (chunk === null) return total;
      // As Eio's rsb: each write takes at most on_copy_bytes bytes of what the source holds.
      for (let offset = 0; offset < chunk.length; ) {
        const part = chunk.subarray(offset, offset + (yield* this.copyBytes()));
        traceBox(`${this.label}: wrote (rsb) `, `[${this.pp(part).split("\n").join(";\n ")}]`);
        offset += part.length;
        total += part.length;
      }
    }
  }

  private *copyBytes(): Operation<number> {
    const size = yield* runHandler(this.onCopyBytes);
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`${this.label}: on_copy_bytes must give a positive integer, got ${String(size)}`);
    return size;
  }

  /** @internal */
  shutdownDirection(command: ShutdownCommand): void {
    traceBox(`${this.label}: shutdown `, command);
  }

  /** Attaches it to `sw`, to be closed when `sw` finishes (unless closed before). @internal */
  attach(sw: Switch): void {
    this.hooks.push(onReleaseCancellable(sw, () => this.closeNow()));
  }

  /** @internal */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    for (const hook of this.hooks.splice(0)) tryRemoveHook(hook);
    traceBox(`${this.label}: `, "closed");
  }

  /** @internal */
  toString(): string {
    return `Mock.Flow(${this.label})`;
  }
}

function toBytes(data: unknown, what: string): Uint8Array {
  if (typeof data === "string") return Buffer.from(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`${what}: an action must give a string or a Uint8Array, got ${data === null ? "null" : typeof data}`);
}

function checkFlow(flow: unknown, what: string): MockFlow {
  if (!(flow instanceof MockFlow)) throw new TypeError(`${what}: expected a mock flow from Mock.Flow.make, got ${String(flow)}`);
  return flow;
}

/**
 * A new mock flow named `label`. Reading it performs its `onRead` script (by default it is at
 * its end: `EndOfFile`); writing to it traces the data. Mirrors `Eio_mock.Flow.make`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const stdout = Eio.Mock.Flow.make("stdout");
 *   yield* Eio.Flow.copyString("hello\nworld", stdout);
 *   Eio.Flow.close(stdout);
 * });
 * ```
 */
export function make(label: string, options: MakeOptions = {}): MockFlow {
  if (typeof label !== "string") throw new TypeError(`Mock.Flow.make: expected a label string, got ${typeof label}`);
  const pp = options.pp ?? dumpLines;
  if (typeof pp !== "function") throw new TypeError(`Mock.Flow.make: options.pp must be a function (bytes) => string, got ${typeof pp}`);
  return new MockFlow(label, pp);
}

/**
 * Scripts what reads of `flow` return: each read performs the next action, whose string (as
 * UTF-8) or bytes it returns; after the last, reads throw `EndOfFile`. Mirrors
 * `Eio_mock.Flow.on_read`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const stdin = Eio.Mock.Flow.make("stdin");
 *   Eio.Mock.Flow.onRead(stdin, [{ return: "line 1\nline 2\n" }]);
 *   const reader = Eio.BufRead.of(stdin, { maxSize: 100 });
 *   console.log(yield* Eio.BufRead.line(reader));
 * });
 * ```
 */
export function onRead(flow: MockFlow, actions: readonly Action<string | Uint8Array>[]): void {
  seq(checkFlow(flow, "Mock.Flow.onRead").onRead, actions);
}

/**
 * Scripts how many bytes each write to `flow` takes at most (default 4096), so a test can see
 * a write split in parts. Mirrors `Eio_mock.Flow.on_copy_bytes`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const sink = Eio.Mock.Flow.make("sink");
 *   Eio.Mock.Flow.onCopyBytes(sink, [{ return: 3 }]);
 *   yield* Eio.Flow.write(sink, "abcdef");
 * });
 * ```
 */
export function onCopyBytes(flow: MockFlow, actions: readonly Action<number>[]): void {
  seq(checkFlow(flow, "Mock.Flow.onCopyBytes").onCopyBytes, actions);
}

/**
 * Chooses how `flow` reads from the source when `Flow.copy` copies into it (see
 * {@link CopyMethod}). Mirrors `Eio_mock.Flow.set_copy_method`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const dst = Eio.Mock.Flow.make("dst");
 *   Eio.Mock.Flow.setCopyMethod(dst, "readSourceBuffer");
 *   Eio.Mock.Flow.onCopyBytes(dst, [{ return: 3 }]);
 *   yield* Eio.Flow.copy(Eio.Flow.stringSource("foobar"), dst);
 * });
 * ```
 */
export function setCopyMethod(flow: MockFlow, method: CopyMethod): void {
  const mock = checkFlow(flow, "Mock.Flow.setCopyMethod");
  if (method !== "readInto" && method !== "readSourceBuffer") {
    throw new RangeError(`Mock.Flow.setCopyMethod: expected "readInto" or "readSourceBuffer", got ${String(method)}`);
  }
  mock.copyMethod = method;
}

