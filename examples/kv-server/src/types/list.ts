/**
 * A list value: a double-ended queue of byte strings in a ring buffer, so pushes and pops at
 * either end cost O(1) and LINDEX/LRANGE reach any element directly.
 * @module
 */

/**
 * A list (opaque: use the methods).
 *
 * @example
 * ```ts
 * const list = new List();
 * list.pushBack(Buffer.from("a"));
 * list.get(0)?.toString(); // "a"
 * ```
 */
export class List {
  readonly kind = "list";
  /** @internal */ items: (Buffer | undefined)[] = new Array(4);
  /** @internal */ head = 0;
  /** The number of elements. */
  length = 0;

  /** The element at `index` (0 is the head), undefined out of range. */
  get(index: number): Buffer | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return this.items[(this.head + index) & (this.items.length - 1)];
  }

  /** Replaces the element at `index` (which must be in range). */
  set(index: number, value: Buffer): void {
    this.items[(this.head + index) & (this.items.length - 1)] = value;
  }

  private grow(): void {
    if (this.length < this.items.length) return;
    this.replace(this.slice(0, this.length), this.items.length * 2);
  }

  /** Adds `value` before the head. */
  pushFront(value: Buffer): void {
    this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = value;
    this.length++;
  }

  /** Adds `value` after the tail. */
  pushBack(value: Buffer): void {
    this.grow();
    this.items[(this.head + this.length) & (this.items.length - 1)] = value;
    this.length++;
  }

  /** Removes and returns the head (undefined when empty). */
  popFront(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const value = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    return value;
  }

  /** Removes and returns the tail (undefined when empty). */
  popBack(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const at = (this.head + this.length - 1) & (this.items.length - 1);
    const value = this.items[at];
    this.items[at] = undefined;
    this.length--;
    return value;
  }

  /** The elements from `start` to `end` (exclusive), in order. */
  slice(start: number, end: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = Math.max(0, start); i < Math.min(end, this.length); i++) out.push(this.get(i)!);
    return out;
  }

  /** Makes the list hold exactly `values` (the array is kept). */
  replace(values: Buffer[], capacity = 4): void {
    const length = values.length;
    let size = Math.max(4, capacity);
    while (size < length) size *= 2;
    const items: (Buffer | undefined)[] = values;
    items.length = size;
    this.items = items;
    this.head = 0;
    this.length = length;
  }

  /** A copy that shares the (immutable) elements. */
  clone(): List {
    const copy = new List();
    copy.replace(this.slice(0, this.length));
    return copy;
  }
}
