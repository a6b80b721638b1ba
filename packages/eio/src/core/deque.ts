/**
 * A growable ring buffer used as the run queue: Eio pushes a forking fiber to the head and a
 * woken fiber to the tail, so both ends must be cheap.
 * @internal
 * @module
 */
export class Deque<T> {
  private items: (T | undefined)[] = new Array(64);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  pushTail(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  pushHead(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** Removes the first occurrence of `item`; true if it was there. */
  remove(item: T): boolean {
    const mask = this.items.length - 1;
    for (let i = 0; i < this.count; i++) {
      if (this.items[(this.head + i) & mask] === item) {
        for (let j = i; j < this.count - 1; j++) {
          this.items[(this.head + j) & mask] = this.items[(this.head + j + 1) & mask];
        }
        this.items[(this.head + this.count - 1) & mask] = undefined;
        this.count--;
        return true;
      }
    }
    return false;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const mask = this.items.length - 1;
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) & mask] as T;
  }

  private grow(): void {
    const old = this.items;
    const next: (T | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
