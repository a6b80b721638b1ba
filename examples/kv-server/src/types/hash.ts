/**
 * A hash value: fields (latin1 strings, one character per byte) to byte-string values, in
 * insertion order, with the encoding Redis 7.0 would report for it.
 * @module
 */

/** Redis's `hash-max-listpack-entries` and `hash-max-listpack-value` defaults. */
const MAX_LISTPACK_ENTRIES = 128;
const MAX_LISTPACK_VALUE = 64;

/**
 * A hash (opaque: use the methods).
 *
 * @example
 * ```ts
 * const hash = new Hash();
 * hash.set("f", Buffer.from("v"));
 * hash.fields.get("f")?.toString(); // "v"
 * ```
 */
export class Hash {
  readonly kind = "hash";
  /** Field to value. */
  readonly fields = new Map<string, Buffer>();
  /** Redis converts a listpack to a hashtable once, for good. */
  private big = false;

  /** Sets `field` to `value`; true if the field is new. */
  set(field: string, value: Buffer): boolean {
    const added = !this.fields.has(field);
    this.fields.set(field, value);
    if (field.length > MAX_LISTPACK_VALUE || value.length > MAX_LISTPACK_VALUE || this.fields.size > MAX_LISTPACK_ENTRIES) this.big = true;
    return added;
  }

  /** OBJECT ENCODING's answer. */
  encoding(): string {
    return this.big ? "hashtable" : "listpack";
  }

  /** A copy that shares the (immutable) values. */
  clone(): Hash {
    const copy = new Hash();
    for (const [field, value] of this.fields) copy.set(field, value);
    copy.big = this.big;
    return copy;
  }
}
