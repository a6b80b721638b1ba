// The plain async/await baseline for streams: a bounded channel on native promises, written the
// way a careful JS programmer would (no promise is made when the operation can finish at once).
// Capacity 0 is a rendezvous, as in Eio: `add` finishes only when a taker has the item.

/** A growable ring buffer: `Array#shift` is O(n), and would make the baseline look slow. */
class Ring {
  constructor() {
    this.items = new Array(16);
    this.head = 0;
    this.size = 0;
  }
  push(item) {
    if (this.size === this.items.length) {
      const bigger = new Array(this.items.length * 2);
      for (let i = 0; i < this.size; i++) bigger[i] = this.items[(this.head + i) % this.items.length];
      this.items = bigger;
      this.head = 0;
    }
    this.items[(this.head + this.size) % this.items.length] = item;
    this.size++;
  }
  shift() {
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }
}

export class Channel {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = new Ring();
    this.takers = new Ring(); // resolve functions of waiting takers
    this.adders = new Ring(); // { item, resolve } of waiting adders
  }

  /** Returns undefined when the item was accepted at once, else a promise to await. */
  add(item) {
    if (this.takers.size > 0) {
      this.takers.shift()(item);
      return undefined;
    }
    if (this.items.size < this.capacity) {
      this.items.push(item);
      return undefined;
    }
    return new Promise((resolve) => this.adders.push({ item, resolve }));
  }

  /** Returns a promise for the next item (already resolved when one is waiting). */
  take() {
    if (this.items.size > 0) {
      const item = this.items.shift();
      if (this.adders.size > 0) {
        const adder = this.adders.shift();
        this.items.push(adder.item);
        adder.resolve();
      }
      return item;
    }
    if (this.adders.size > 0) {
      const adder = this.adders.shift();
      adder.resolve();
      return adder.item;
    }
    return new Promise((resolve) => this.takers.push(resolve));
  }
}
