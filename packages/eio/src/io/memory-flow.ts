/**
 * Flows over memory: a string as a source and a growable buffer as a sink. Handy in tests and
 * for parsing strings with `BufRead`. Mirrors Eio's `Flow.string_source` and `Flow.buffer_sink`.
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { EndOfFile, type Sink, type Source } from "./flow.js";

class StringSource implements Source {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  // eslint-disable-next-line require-yield
  *readInto(buffer: Uint8Array): Operation<number> {
    if (this.offset >= this.bytes.length) throw new EndOfFile();
    const n = Math.min(buffer.length, this.bytes.length - this.offset);
    buffer.set(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return n;
  }

  /** Gives the rest away at once (Eio's string source offers `Read_source_buffer` too). */
  // eslint-disable-next-line require-yield
  *readChunk(): Operation<Uint8Array | null> {
    if (this.offset >= this.bytes.length) return null;
    const rest = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return rest;
  }
}

class BufferSink implements Sink {
  chunks: Uint8Array[] = [];

  // eslint-disable-next-line require-yield
  *writeAll(data: Uint8Array): Operation<void> {
    this.chunks.push(Uint8Array.from(data));
  }
}

/**
 * A source that reads the bytes of `text` (UTF-8) or of a byte array, then ends.
 * Mirrors `Eio.Flow.string_source`.
 *
 * Suspends: never (reads return at once).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const reader = Eio.BufRead.of(Eio.Flow.stringSource("one\ntwo\n"), { maxSize: 100 });
 *   console.log(yield* Eio.BufRead.line(reader));
 * });
 * ```
 */
export function stringSource(text: string | Uint8Array): Source {
  if (typeof text === "string") return new StringSource(Buffer.from(text));
  if (text instanceof Uint8Array) return new StringSource(text);
  throw new TypeError(`Flow.stringSource: expected a string or a Uint8Array, got ${text === null ? "null" : typeof text}`);
}

/**
 * A sink that keeps everything written to it; read it back with {@link bufferSinkContents}.
 * Mirrors `Eio.Flow.buffer_sink`.
 *
 * Suspends: never (writes return at once).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.Flow.write(sink, "kept");
 *   console.log(Eio.Flow.bufferSinkContents(sink));
 * });
 * ```
 */
export function bufferSink(): Sink {
  return new BufferSink();
}

/**
 * Everything written to a {@link bufferSink} so far, decoded as UTF-8 (or as bytes with
 * `{ bytes: true }`).
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const sink = Eio.Flow.bufferSink();
 *   yield* Eio.Flow.write(sink, "ab");
 *   console.log(Eio.Flow.bufferSinkContents(sink, { bytes: true }));
 * });
 * ```
 */
export function bufferSinkContents(sink: Sink, options?: { bytes?: false }): string;
export function bufferSinkContents(sink: Sink, options: { bytes: true }): Uint8Array;
export function bufferSinkContents(sink: Sink, options: { bytes?: boolean } = {}): string | Uint8Array {
  if (!(sink instanceof BufferSink)) {
    throw new TypeError(`Flow.bufferSinkContents: expected a sink from Flow.bufferSink(), got ${String(sink)}`);
  }
  const all = Buffer.concat(sink.chunks);
  return options.bytes === true ? new Uint8Array(all) : all.toString("utf8");
}
