/**
 * How values cross between domains: structured-clone semantics, with a fast path for the
 * primitives most jobs take and return (a tag byte and the raw bytes), `v8.serialize` for
 * everything else, and errors rebuilt with their name, message, stack, `cause` and own fields.
 *
 * Objects go through {@link objectCodec}; the shared heap replaces it with a codec that turns
 * shared promises and streams inside values into handles and back.
 * @internal
 * @module
 */
import * as v8 from "node:v8";
import { deserialize, serialize } from "./clone.js";
import { decodeError, describeError } from "./error-codec.js";
import { decodeAndFree, encodeValue, freeValue } from "../shared/index.js";

/**
 * Serializes objects (structured clone). Shared buffers met on the way are appended to
 * `shared` and travel beside the bytes. Swappable so that shared handles can travel.
 */
export interface ObjectCodec {
  serialize(value: unknown, shared: SharedArrayBuffer[]): Uint8Array;
  deserialize(bytes: Uint8Array, shared: readonly SharedArrayBuffer[]): unknown;
}

export let objectCodec: ObjectCodec = { serialize, deserialize };

/** Installs the shared heap's codec (it must handle plain values the same way). */
export function setObjectCodec(codec: ObjectCodec): void {
  objectCodec = codec;
}

const enum Tag {
  Undefined,
  Null,
  True,
  False,
  Int32,
  Float64,
  String,
  Object,
  Error,
  /** A block of the shared heap holding the value (it has shared handles inside). */
  SharedHeap,
}

const plainPrototypes = new Set<unknown>([Object.prototype, Array.prototype, Map.prototype, Set.prototype, Date.prototype, RegExp.prototype, null]);

/**
 * True if `value` holds an instance of some class (a shared promise or stream, say) rather
 * than only plain data: such values go through the shared heap's codec, which turns shared
 * handles into live ones on the other side and refuses in-domain promises and streams with a
 * clear message. Plain data (and typed arrays over shared memory) takes the direct path.
 */
function holdsInstances(value: object, seen: Set<object>, depth: number): boolean {
  if (seen.has(value) || ArrayBuffer.isView(value) || value instanceof Error) return false;
  if (!plainPrototypes.has(Object.getPrototypeOf(value))) return true;
  if (depth > 64) return true; // let the shared codec deal with very deep values
  seen.add(value);
  const items = value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? [...value] : Object.values(value);
  for (const item of items) {
    if (typeof item === "object" && item !== null && holdsInstances(item, seen, depth + 1)) return true;
  }
  return false;
}

/** Writes tagged values into one reusable buffer. */
export class Encoder {
  buffer: Buffer = Buffer.allocUnsafe(4096);
  length = 0;
  /** Shared buffers referred to by the values written since the last reset. */
  shared: SharedArrayBuffer[] = [];

  reset(): this {
    this.length = 0;
    if (this.shared.length > 0) this.shared = [];
    return this;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  private blob(tag: Tag, bytes: Uint8Array): void {
    this.reserve(5 + bytes.length);
    this.buffer[this.length] = tag;
    this.buffer.writeUInt32LE(bytes.length, this.length + 1);
    this.buffer.set(bytes, this.length + 5);
    this.length += 5 + bytes.length;
  }

  value(value: unknown): this {
    switch (typeof value) {
      case "undefined":
        return this.tag(Tag.Undefined);
      case "boolean":
        return this.tag(value ? Tag.True : Tag.False);
      case "number":
        if ((value | 0) === value && !Object.is(value, -0)) {
          this.reserve(5);
          this.buffer[this.length] = Tag.Int32;
          this.buffer.writeInt32LE(value, this.length + 1);
          this.length += 5;
        } else {
          this.reserve(9);
          this.buffer[this.length] = Tag.Float64;
          this.buffer.writeDoubleLE(value, this.length + 1);
          this.length += 9;
        }
        return this;
      case "string": {
        this.reserve(5 + value.length * 3);
        this.buffer[this.length] = Tag.String;
        const written = this.buffer.write(value, this.length + 5, "utf8");
        this.buffer.writeUInt32LE(written, this.length + 1);
        this.length += 5 + written;
        return this;
      }
      case "object":
        if (value === null) return this.tag(Tag.Null);
        if (value instanceof Error) {
          this.blob(Tag.Error, v8.serialize(describeError(value)));
          return this;
        }
        if (holdsInstances(value, new Set(), 0)) {
          this.reserve(5);
          this.buffer[this.length] = Tag.SharedHeap;
          this.buffer.writeInt32LE(encodeValue(value), this.length + 1);
          this.length += 5;
          return this;
        }
        this.blob(Tag.Object, objectCodec.serialize(value, this.shared));
        return this;
      default:
        // Functions and symbols cannot be cloned: let the structured-clone error say so.
        this.blob(Tag.Object, objectCodec.serialize(value, this.shared));
        return this;
    }
  }

  private tag(tag: Tag): this {
    this.reserve(1);
    this.buffer[this.length++] = tag;
    return this;
  }
}

/** Reads tagged values back, in order. */
export class Decoder {
  private bytes: Buffer = Buffer.alloc(0);
  private offset = 0;
  private shared: readonly SharedArrayBuffer[] = [];

  private end = 0;

  /** Starts reading `bytes[start, end)`; `shared` are the buffers that travelled with them. */
  reset(bytes: Buffer, start: number, end: number, shared: readonly SharedArrayBuffer[] = []): this {
    this.bytes = bytes;
    this.offset = start;
    this.end = end;
    this.shared = shared;
    return this;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  value(): unknown {
    const bytes = this.bytes;
    const tag = bytes[this.offset++] as Tag;
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.True:
        return true;
      case Tag.False:
        return false;
      case Tag.Int32:
        this.offset += 4;
        return bytes.readInt32LE(this.offset - 4);
      case Tag.Float64:
        this.offset += 8;
        return bytes.readDoubleLE(this.offset - 8);
      case Tag.String: {
        const length = bytes.readUInt32LE(this.offset);
        this.offset += 4 + length;
        return bytes.toString("utf8", this.offset - length, this.offset);
      }
      case Tag.SharedHeap:
        this.offset += 4;
        return decodeAndFree(bytes.readInt32LE(this.offset - 4));
      case Tag.Object:
      case Tag.Error: {
        const length = bytes.readUInt32LE(this.offset);
        const start = this.offset + 4;
        this.offset = start + length;
        // Copy out: the ring's bytes are reused once the record is released.
        const copy = new Uint8Array(bytes.subarray(start, start + length));
        return tag === Tag.Error ? decodeError(v8.deserialize(copy)) : objectCodec.deserialize(copy, this.shared);
      }
      default:
        throw new Error(`Corrupt domain message: unknown value tag ${String(tag)}.`);
    }
  }
}

/**
 * Gives back what an encoded payload holds in the shared heap (the blocks of values with
 * shared handles inside, and through them the handles' references) without decoding it: for
 * a job that was withdrawn before any domain read its arguments. Call it once per payload.
 */
export function releasePayload(bytes: Uint8Array, start = 0, end = bytes.length): void {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = start;
  while (offset < end) {
    const tag = view[offset++] as Tag;
    switch (tag) {
      case Tag.Undefined:
      case Tag.Null:
      case Tag.True:
      case Tag.False:
        break;
      case Tag.Int32:
        offset += 4;
        break;
      case Tag.Float64:
        offset += 8;
        break;
      case Tag.SharedHeap:
        freeValue(view.readInt32LE(offset));
        offset += 4;
        break;
      case Tag.String:
      case Tag.Object:
      case Tag.Error:
        offset += 4 + view.readUInt32LE(offset);
        break;
      default:
        throw new Error(`Corrupt domain message: unknown value tag ${String(tag)}.`);
    }
  }
}
