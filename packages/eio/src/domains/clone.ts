/**
 * Structured clone for values that cross domains, with `SharedArrayBuffer`s shared, not copied
 * (as `postMessage` does). `v8.serialize` alone copies a shared buffer's contents, and Node's
 * deserializer cannot take one back by id, so typed arrays are written here: a view of shared
 * memory becomes (buffer number, type, offset, length), and the buffers themselves travel
 * alongside the message (see `Domain`), a view of ordinary memory is copied.
 * A bare `SharedArrayBuffer` (not inside a view) is refused: wrap it in a typed array.
 * @internal
 * @module
 */
import * as v8 from "node:v8";

const viewTypes = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
] as const;
type ViewType = (typeof viewTypes)[number];

const SHARED_VIEW = 0xe10_0001;
const COPIED_VIEW = 0xe10_0002;

function typeIndex(view: ArrayBufferView): number {
  const exact = viewTypes.indexOf(view.constructor as ViewType);
  if (exact >= 0) return exact;
  return viewTypes.findIndex((type) => view instanceof type); // Buffer → Uint8Array
}

function makeView(type: ViewType, buffer: ArrayBufferLike, offset: number, byteLength: number): ArrayBufferView {
  if (type === DataView) return new DataView(buffer, offset, byteLength);
  const typed = type as Exclude<ViewType, DataViewConstructor>;
  return new typed(buffer as ArrayBuffer, offset, byteLength / typed.BYTES_PER_ELEMENT);
}

class Serializer extends v8.DefaultSerializer {
  constructor(private readonly shared: SharedArrayBuffer[]) {
    super();
  }

  _writeHostObject(object: object): void {
    // Only views reach here (other host objects are not cloneable): let the base class say so.
    if (!ArrayBuffer.isView(object)) return (v8.DefaultSerializer.prototype as unknown as { _writeHostObject(o: object): void })._writeHostObject.call(this, object);
    const view = object;
    const type = typeIndex(view);
    if (view.buffer instanceof SharedArrayBuffer) {
      let index = this.shared.indexOf(view.buffer);
      if (index < 0) index = this.shared.push(view.buffer) - 1;
      this.writeUint32(SHARED_VIEW);
      this.writeUint32(type);
      this.writeUint32(index);
      this.writeUint32(view.byteOffset);
      this.writeUint32(view.byteLength);
    } else {
      this.writeUint32(COPIED_VIEW);
      this.writeUint32(type);
      this.writeUint32(view.byteLength);
      this.writeRawBytes(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    }
  }

  _getSharedArrayBufferId(): number {
    throw new TypeError("A bare SharedArrayBuffer cannot be sent to another domain: send a typed array over it (new Int32Array(sab)).");
  }
}

class Deserializer extends v8.DefaultDeserializer {
  constructor(
    bytes: Uint8Array,
    private readonly shared: readonly SharedArrayBuffer[],
  ) {
    super(bytes as Buffer);
  }

  _readHostObject(): ArrayBufferView {
    const mark = this.readUint32();
    const type = viewTypes[this.readUint32()]!;
    if (mark === SHARED_VIEW) {
      const buffer = this.shared[this.readUint32()]!;
      const offset = this.readUint32();
      return makeView(type, buffer, offset, this.readUint32());
    }
    if (mark !== COPIED_VIEW) throw new Error("Corrupt domain message: unknown typed array record.");
    const length = this.readUint32();
    const copy = new Uint8Array(length);
    copy.set(this.readRawBytes(length) as unknown as Uint8Array);
    return makeView(type, copy.buffer, 0, length);
  }
}

/** Serializes `value`; shared buffers it refers to are appended to `shared`. */
export function serialize(value: unknown, shared: SharedArrayBuffer[]): Uint8Array {
  const serializer = new Serializer(shared);
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}

/** Reads a value written by {@link serialize}, given the same shared buffers in order. */
export function deserialize(bytes: Uint8Array, shared: readonly SharedArrayBuffer[]): unknown {
  const deserializer = new Deserializer(bytes, shared);
  deserializer.readHeader();
  return deserializer.readValue();
}
