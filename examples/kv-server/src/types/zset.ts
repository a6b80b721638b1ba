/**
 * A sorted-set value: members (latin1 strings, one character per byte) with scores, kept in
 * order (by score, then by member's bytes) in blocks of at most {@link BLOCK} items beside a map
 * from member to score. A sorted array would move half of its items on every insert or removal
 * (a ZADD of a new member, a ZPOPMIN: O(n), milliseconds at a million members); a block moves at
 * most its own, and finding one is a binary search over the blocks' last items (Redis's skip
 * list costs O(log n) too). A rank is the sum of the lengths of the blocks before it.
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

/** The most items in a block: a block that grows past it is split in two. */
const BLOCK = 256;

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
  /** @internal the items in order, in non-empty blocks */
  blocks: ZItem[][] = [];
  /** Redis converts a listpack to a skiplist once, for good. */
  private big = false;

  /** The number of members. */
  get size(): number {
    return this.scores.size;
  }

  /** The first block whose last item is at or after (score, member), or blocks.length. */
  private blockOf(score: number, member: string): number {
    const blocks = this.blocks;
    let low = 0;
    let high = blocks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const block = blocks[mid]!;
      if (compare(block[block.length - 1]!, score, member) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The index in `block` where (score, member) is or would go. */
  private static indexIn(block: ZItem[], score: number, member: string): number {
    let low = 0;
    let high = block.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(block[mid]!, score, member) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The rank of the first item of block `b`. */
  private rankOfBlock(b: number): number {
    let rank = 0;
    for (let i = 0; i < b; i++) rank += this.blocks[i]!.length;
    return rank;
  }

  /** Sets `member`'s score; true if it is new. */
  add(member: string, score: number): boolean {
    const old = this.scores.get(member);
    if (member.length > MAX_LISTPACK_VALUE || (old === undefined && this.scores.size + 1 > MAX_LISTPACK_ENTRIES)) this.big = true;
    // A listpack keeps a score of -0 as the integer 0.
    if (!this.big && score === 0) score = 0;
    if (old !== undefined) {
      if (old === score) return false;
      this.take(old, member);
    }
    this.scores.set(member, score);
    const blocks = this.blocks;
    const item = { member, score };
    if (blocks.length === 0) {
      blocks.push([item]);
      return old === undefined;
    }
    // Past the last item: into the last block.
    const b = Math.min(this.blockOf(score, member), blocks.length - 1);
    const block = blocks[b]!;
    const at = ZSet.indexIn(block, score, member);
    if (at === block.length) block.push(item);
    else block.splice(at, 0, item);
    if (block.length > BLOCK) blocks.splice(b + 1, 0, block.splice(BLOCK / 2));
    return old === undefined;
  }

  /** Removes `member`; true if it was there. */
  remove(member: string): boolean {
    const old = this.scores.get(member);
    if (old === undefined) return false;
    this.scores.delete(member);
    this.take(old, member);
    return true;
  }

  /** Takes (score, member)'s item out of its block; an empty block goes, a small one joins the next. */
  private take(score: number, member: string): void {
    const blocks = this.blocks;
    const b = this.blockOf(score, member);
    const block = blocks[b]!;
    const at = ZSet.indexIn(block, score, member);
    if (at === block.length - 1) block.pop();
    else if (at === 0) block.shift();
    else block.splice(at, 1);
    if (block.length === 0) blocks.splice(b, 1);
    else if (b + 1 < blocks.length && block.length + blocks[b + 1]!.length <= BLOCK / 2) {
      for (const next of blocks[b + 1]!) block.push(next);
      blocks.splice(b + 1, 1);
    }
  }

  /** `member`'s rank from the lowest score (0-based), or -1. */
  rank(member: string): number {
    const score = this.scores.get(member);
    if (score === undefined) return -1;
    const b = this.blockOf(score, member);
    return this.rankOfBlock(b) + ZSet.indexIn(this.blocks[b]!, score, member);
  }

  /** The item at rank `index`. */
  at(index: number): ZItem | undefined {
    if (index < 0) return undefined;
    for (const block of this.blocks) {
      if (index < block.length) return block[index];
      index -= block.length;
    }
    return undefined;
  }

  /** The items from rank `start` to `end` (exclusive), in order (as Array's slice, without negative indexes). */
  slice(start = 0, end = this.size): ZItem[] {
    const out: ZItem[] = [];
    start = Math.max(0, start);
    end = Math.min(end, this.size);
    let rank = 0;
    for (const block of this.blocks) {
      if (rank >= end) break;
      const next = rank + block.length;
      if (next > start) for (let i = Math.max(0, start - rank); i < block.length && rank + i < end; i++) out.push(block[i]!);
      rank = next;
    }
    return out;
  }

  /**
   * The first rank whose item is not `before` the bound: a binary search over the blocks' last
   * items, then within the block.
   */
  private firstNot(before: (item: ZItem) => boolean): number {
    const blocks = this.blocks;
    let low = 0;
    let high = blocks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const block = blocks[mid]!;
      if (before(block[block.length - 1]!)) low = mid + 1;
      else high = mid;
    }
    if (low === blocks.length) return this.size;
    const block = blocks[low]!;
    let i = 0;
    let j = block.length;
    while (i < j) {
      const mid = (i + j) >>> 1;
      if (before(block[mid]!)) i = mid + 1;
      else j = mid;
    }
    return this.rankOfBlock(low) + i;
  }

  /** The first rank whose score is above `min` (or at it, unless `exclusive`). */
  scoreStart(min: number, exclusive: boolean): number {
    return this.firstNot((item) => item.score < min || (exclusive && item.score === min));
  }

  /** The first rank whose score is above `max` (or at it, when `exclusive`): the end of a range up to `max`. */
  scoreEnd(max: number, exclusive: boolean): number {
    return this.firstNot((item) => item.score < max || (!exclusive && item.score === max));
  }

  /** OBJECT ENCODING's answer. */
  encoding(): string {
    return this.big ? "skiplist" : "listpack";
  }

  /** A copy. */
  clone(): ZSet {
    const copy = new ZSet();
    for (const [member, score] of this.scores) copy.scores.set(member, score);
    copy.blocks = this.blocks.map((block) => block.map((item) => ({ ...item })));
    copy.big = this.big;
    return copy;
  }
}
