/**
 * A set value: members as latin1 strings (one character per byte), with the encoding Redis 7.0
 * would report for it (an intset while every member is an integer and there are few).
 * @module
 */

/** Redis's `set-max-intset-entries` default. */
const MAX_INTSET_ENTRIES = 512;

/** True when Redis would store `member` in an intset: a canonical 64-bit integer. */
function isInteger(member: string): boolean {
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(member)) return false;
  const n = BigInt(member);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/**
 * A set (opaque: use the methods).
 *
 * @example
 * ```ts
 * const set = new SetValue();
 * set.add("a"); // true
 * set.members.has("a"); // true
 * ```
 */
export class SetValue {
  readonly kind = "set";
  readonly members = new Set<string>();
  /** Redis converts an intset to a hashtable once, for good. */
  private big = false;

  /** Adds `member`; true if it is new. */
  add(member: string): boolean {
    if (this.members.has(member)) return false;
    this.members.add(member);
    if (!this.big && (this.members.size > MAX_INTSET_ENTRIES || !isInteger(member))) this.big = true;
    return true;
  }

  /** OBJECT ENCODING's answer. */
  encoding(): string {
    return this.big ? "hashtable" : "intset";
  }

  /** A copy. */
  clone(): SetValue {
    const copy = new SetValue();
    for (const member of this.members) copy.members.add(member);
    copy.big = this.big;
    return copy;
  }
}
