/**
 * The one set of tags of the value codec, for both of its writers: arena blocks
 * (`shared/codec.ts`) and ring records (`domains/codec.ts`). Each writer uses the tags its
 * framing needs; a tag means the same wherever it appears.
 * @internal
 * @module
 */
export const enum Tag {
  Undefined,
  Null,
  False,
  True,
  /** A float64 (arena: 8-byte aligned; ring: after the tag). */
  Number,
  String,
  /** Serialized (serializer.ts), nothing to revive. */
  Serialized,
  /** A bare shared handle (arena only). */
  Handle,
  /** A plain object of at most 16 primitive, bytes or handle fields (arena fast path, no serializer). */
  Record,
  /** Serialized with markers inside (handles, capabilities, errors, buffers): revive after deserializing. */
  Revivable,
  /** A plain array of the items a Record's fields may hold, arrays included (arena fast path). */
  List,
  /** A short Uint8Array or Buffer: its class, its length and its bytes (arena fast path). */
  Bytes,
  /** An integer that fits in 32 bits (ring: 4 bytes after the tag). */
  Int32,
}
