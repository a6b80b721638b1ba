/**
 * The serializer of values that cross domains, on every road (ring records and arena blocks):
 * structured clone through `v8.serialize`, except that a typed array, `DataView` or Buffer is
 * written as its class and its own bytes, and arrives over a buffer of exactly those bytes (the
 * default would ship a Buffer's whole 8 KiB pool, or hand back a view into the message).
 * Shared memory and large buffers never get here: the walk (`markers.ts`) has swapped them
 * for markers of buffers that travel beside the value.
 * @internal
 * @module
 */
import * as v8 from "node:v8";

const viewTypes = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView, Buffer,
] as const;
type ViewType = (typeof viewTypes)[number];

/** The index of `view`'s class in {@link viewTypes} (a subclass counts as its base). */
export function viewTypeIndex(view: ArrayBufferView): number {
  const exact = viewTypes.indexOf(view.constructor as ViewType);
  return exact >= 0 ? exact : viewTypes.findIndex((type) => view instanceof type);
}

/** A view of class `viewTypes[type]` over `buffer`. */
export function makeView(type: number, buffer: ArrayBufferLike, offset: number, byteLength: number): ArrayBufferView {
  const ctor = viewTypes[type]!;
  if (ctor === DataView) return new DataView(buffer, offset, byteLength);
  if (ctor === Buffer) return Buffer.from(buffer, offset, byteLength);
  const typed = ctor as Exclude<ViewType, DataViewConstructor | typeof Buffer>;
  return new typed(buffer as ArrayBuffer, offset, byteLength / typed.BYTES_PER_ELEMENT);
}

class Serializer extends v8.DefaultSerializer {
  _writeHostObject(object: object): void {
    // Only views reach here (other host objects are not cloneable): let the base class say so.
    if (!ArrayBuffer.isView(object)) return (v8.DefaultSerializer.prototype as unknown as { _writeHostObject(o: object): void })._writeHostObject.call(this, object);
    this.writeUint32(viewTypeIndex(object));
    this.writeUint32(object.byteLength);
    this.writeRawBytes(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
  }

  _getSharedArrayBufferId(): number {
    throw new TypeError("Cannot send this SharedArrayBuffer to another domain: put it in an array item, a Map, a Set or an object field, where it is found and shared.");
  }
}

class Deserializer extends v8.DefaultDeserializer {
  _readHostObject(): ArrayBufferView {
    const type = this.readUint32();
    const length = this.readUint32();
    const copy = new Uint8Array(length);
    copy.set(this.readRawBytes(length) as unknown as Uint8Array);
    return makeView(type, copy.buffer, 0, length);
  }
}

/** Serializes `value` (already walked by `prepareValue`). */
export function serialize(value: unknown): Buffer {
  const serializer = new Serializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}

/** Reads a value written by {@link serialize}; `bytes` may be reused once it returns. */
export function deserialize(bytes: Uint8Array): unknown {
  const deserializer = new Deserializer(bytes as Buffer);
  deserializer.readHeader();
  return deserializer.readValue();
}
