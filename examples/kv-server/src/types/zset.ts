/**
 * A sorted-set value: members (latin1 strings, one character per byte) with scores, kept in a
 * sorted array (by score, then by member's bytes) beside a map from member to score, so ranks,
 * score ranges and lexicographic ranges are binary searches.
 * @module
 */

/** Redis's `zset-max-listpack-entries` and `zset-max-listpack-value` defaults. */
const MAX_LISTPACK_ENTRIES = 128;
const MAX_LISTPACK_VALUE = 64;

/**
 * A member and its score.
 *
 * @example
 * ```ts
 * const item: ZItem = { member: "a", score: 1 };
 * ```
 */
export interface ZItem {
  member: string;
  score: number;
}

function compare(a: ZItem, score: number, member: string): number {
  if (a.score < score) return -1;
  if (a.score > score) return 1;
  return a.member < member ? -1 : a.member > member ? 1 : 0;
}

/**
 * A sorted set (opaque: use the methods).
 *
 * @example
 * ```ts
 * const zset = new ZSet();
 * zset.add("a", 2);
 * zset.add("b", 1);
 * zset.at(0)?.member; // "b"
 * ```
 */
export class ZSet {
  readonly kind = "zset";
  /** Member to score. */
  readonly scores = new Map<string, number>();
  /** @internal sorted by score, then member */
  items: ZItem[] = [];
  /** Redis converts a listpack to a skiplist once, for good. */
  private big = false;

  /** The number of members. */
  get size(): number {
    return this.items.length;
  }

  /** The index where (score, member) is or would go. */
  private search(score: number, member: string): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.items[mid]!, score, member) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Sets `member`'s score; true if it is new. */
  add(member: string, score: number): boolean {
    const old = this.scores.get(member);
    if (member.length > MAX_LISTPACK_VALUE || (old === undefined && this.items.length + 1 > MAX_LISTPACK_ENTRIES)) this.big = true;
    // A listpack keeps a score of -0 as the integer 0.
    if (!this.big && score === 0) score = 0;
    if (old !== undefined) {
      if (old === score) return false;
      this.items.splice(this.search(old, member), 1);
    }
    this.scores.set(member, score);
    this.items.splice(this.search(score, member), 0, { member, score });
    return old === undefined;
  }

  /** Removes `member`; true if it was there. */
  remove(member: string): boolean {
    const old = this.scores.get(member);
    if (old === undefined) return false;
    this.scores.delete(member);
    this.items.splice(this.search(old, member), 1);
    return true;
  }

  /** `member`'s rank from the lowest score (0-based), or -1. */
  rank(member: string): number {
    const score = this.scores.get(member);
    return score === undefined ? -1 : this.search(score, member);
  }

  /** The item at rank `index`. */
  at(index: number): ZItem | undefined {
    return this.items[index];
  }

  /** The first rank whose score is above `min` (or at it, unless `exclusive`). */
  scoreStart(min: number, exclusive: boolean): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const score = this.items[mid]!.score;
      if (score < min || (exclusive && score === min)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The first rank whose score is above `max` (or at it, when `exclusive`): the end of a range up to `max`. */
  scoreEnd(max: number, exclusive: boolean): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const score = this.items[mid]!.score;
      if (score < max || (!exclusive && score === max)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * The first rank whose member is after `bound` (lexicographic order, meaningful when all
   * scores are equal): at or after it when `inclusive`. null stands for "-" (before all).
   */
  lexStart(bound: string | null, inclusive: boolean): number {
    if (bound === null) return 0;
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const member = this.items[mid]!.member;
      if (member < bound || (!inclusive && member === bound)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The end (exclusive) of a lexicographic range up to `bound`; null stands for "+". */
  lexEnd(bound: string | null, inclusive: boolean): number {
    if (bound === null) return this.items.length;
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const member = this.items[mid]!.member;
      if (member < bound || (inclusive && member === bound)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** OBJECT ENCODING's answer. */
  encoding(): string {
    return this.big ? "skiplist" : "listpack";
  }

  /** A copy. */
  clone(): ZSet {
    const copy = new ZSet();
    for (const item of this.items) copy.scores.set(item.member, item.score);
    copy.items = this.items.map((item) => ({ ...item }));
    copy.big = this.big;
    return copy;
  }
}
