/**
 * The ring writer of the one value codec (ARCHITECTURE.md, "Values across domains"): values in
 * domain records (jobs, results, trace batches). Primitives take a fast path (a tag byte and
 * the raw bytes); anything else goes through the walk (`shared/markers.ts`: shared handles,
 * capabilities, errors, shared memory and large bytes swapped for markers) and the serializer
 * (`shared/serializer.ts`), and serialized bytes of 256 KiB or more travel beside the record
 * (`shared/buffers.ts`). The record owns one reference per shared object named: the decoder
 * hands them over to the revived handles, and {@link releasePayload} gives them back for a
 * record never decoded.
 * @internal
 * @module
 */
import { LARGE_BYTES, loadApart, storeApart } from "../shared/buffers.js";
import { deserialize, serialize } from "../shared/serializer.js";
import { Tag } from "../shared/value-tags.js";
import { prepareValue, release, reviveValue, sendPrepared } from "../shared/index.js";


/** Strings up to this length are written in the record as UTF-8 (at most 3 bytes a unit). */
const LONG_STRING = LARGE_BYTES / 4;

/** The flags byte of a serialized value: its bytes travel beside the record, in the buffer its last handle names (buffers.ts). */
const APART = 2;

/** Writes tagged values into one reusable buffer. */
export class Encoder {
  buffer: Buffer = Buffer.allocUnsafe(4096);
  length = 0;

  reset(): this {
    this.length = 0;
    return this;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
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
          this.buffer[this.length] = Tag.Number;
          this.buffer.writeDoubleLE(value, this.length + 1);
          this.length += 9;
        }
        return this;
      case "string": {
        // A long string is serialized, so that it may travel beside the record.
        if (value.length > LONG_STRING) return this.object(value);
        this.reserve(5 + value.length * 3);
        this.buffer[this.length] = Tag.String;
        const written = this.buffer.write(value, this.length + 5, "utf8");
        this.buffer.writeUInt32LE(written, this.length + 1);
        this.length += 5 + written;
        return this;
      }
      case "object":
        if (value === null) return this.tag(Tag.Null);
        return this.object(value);
      default:
        // Functions and symbols cannot be cloned: let the structured-clone error say so.
        return this.object(value);
    }
  }

  /**
   * An object: `Tag.Serialized` or `Tag.Revivable`, the length of the rest, the handle count
   * and offsets (the references this record owns), a flags byte (bytes apart), the bytes.
   */
  private object(value: unknown): this {
    // A record is read once: large bytes travel as parcels (no copy on arrival).
    const walked = prepareValue(value, true);
    const { value: prepared, handles, revivable } = walked;
    let bytes: Uint8Array;
    let flags = 0;
    try {
      bytes = serialize(prepared);
      if (bytes.length >= LARGE_BYTES) {
        handles.push(storeApart(bytes));
        bytes = new Uint8Array(0);
        flags |= APART;
      }
      sendPrepared(walked);
    } catch (error) {
      for (const offset of handles) release(offset);
      throw error;
    }
    const length = 4 + handles.length * 4 + 1 + bytes.length;
    this.reserve(5 + length);
    const buffer = this.buffer;
    let at = this.length;
    buffer[at] = revivable ? Tag.Revivable : Tag.Serialized;
    buffer.writeUInt32LE(length, at + 1);
    buffer.writeUInt32LE(handles.length, at + 5);
    at += 9;
    for (const offset of handles) {
      buffer.writeInt32LE(offset, at);
      at += 4;
    }
    buffer[at++] = flags;
    buffer.set(bytes, at);
    this.length = at + bytes.length;
    return this;
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

  private end = 0;

  /** Starts reading `bytes[start, end)`. */
  reset(bytes: Buffer, start: number, end: number): this {
    this.bytes = bytes;
    this.offset = start;
    this.end = end;
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
      case Tag.Number:
        this.offset += 8;
        return bytes.readDoubleLE(this.offset - 8);
      case Tag.String: {
        const length = bytes.readUInt32LE(this.offset);
        this.offset += 4 + length;
        return bytes.toString("utf8", this.offset - length, this.offset);
      }
      case Tag.Serialized:
      case Tag.Revivable: {
        const end = this.offset + 4 + bytes.readUInt32LE(this.offset);
        const handleCount = bytes.readUInt32LE(this.offset + 4);
        const handlesAt = this.offset + 8;
        const start = handlesAt + handleCount * 4 + 1;
        this.offset = end;
        const flags = bytes[start - 1]!;
        try {
          // The deserializer copies what it keeps: reading straight from the ring is safe.
          const data = (flags & APART) !== 0 ? loadApart(bytes.readInt32LE(handlesAt + (handleCount - 1) * 4)) : bytes.subarray(start, end);
          const value = deserialize(data);
          return tag === Tag.Revivable ? reviveValue(value) : value;
        } finally {
          // The revived handles hold references of their own: give back the record's.
          for (let i = 0; i < handleCount; i++) release(bytes.readInt32LE(handlesAt + i * 4));
        }
      }
      default:
        throw new Error(`Corrupt domain message: unknown value tag ${String(tag)}.`);
    }
  }
}

/**
 * Gives back the references to shared objects that an encoded payload owns, without decoding
 * it: for a job that was withdrawn before any domain read its arguments. Call it once per
 * payload.
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
      case Tag.Number:
        offset += 8;
        break;
      case Tag.Serialized:
      case Tag.Revivable: {
        const handleCount = view.readUInt32LE(offset + 4);
        for (let i = 0; i < handleCount; i++) release(view.readInt32LE(offset + 8 + i * 4));
        offset += 4 + view.readUInt32LE(offset);
        break;
      }
      case Tag.String:
        offset += 4 + view.readUInt32LE(offset);
        break;
      default:
        throw new Error(`Corrupt domain message: unknown value tag ${String(tag)}.`);
    }
  }
}
