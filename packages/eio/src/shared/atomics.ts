/**
 * The few Atomics helpers the shared heap uses. Each says which ordering makes it safe. All
 * `Atomics` operations are sequentially consistent, so a plain write made before an atomic
 * store (or a lock release) is visible to a thread after its matching atomic load (or lock
 * acquire): that is how block contents are published.
 * @internal
 * @module
 */

/**
 * Loads before a contended lock sleeps: about 12 µs here (6 ns a load). Critical sections are a
 * few dozen instructions, but the holder in another thread can stall inside one (a cache miss,
 * an interrupt), and sleeping costs more than this spin: the OS took 20-50 µs to wake the
 * sleeper. With 100 loads, 1 round trip of the cross-domain ping-pong in 75 slept on a lock.
 */
const SPINS = 2000;

/**
 * Acquires a lock word (0 free, 1 held, 2 held with sleepers): Drepper's futex mutex. Spins
 * first (see {@link SPINS}); only then sleeps with `Atomics.wait`. A lost wake-up is impossible: a sleeper first sets the word to 2, and
 * `unlockWord` notifies whenever it sees 2; `Atomics.wait` returns at once if the word changed.
 */
export function lockWord(words: Int32Array, index: number): void {
  let c = Atomics.compareExchange(words, index, 0, 1);
  if (c === 0) return;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === 0) {
      c = Atomics.compareExchange(words, index, 0, 1);
      if (c === 0) return;
    }
  }
  if (c !== 2) c = Atomics.exchange(words, index, 2);
  while (c !== 0) {
    Atomics.wait(words, index, 2);
    c = Atomics.exchange(words, index, 2);
  }
}

/** Releases a lock word taken by {@link lockWord}; wakes one sleeper if there may be one. */
export function unlockWord(words: Int32Array, index: number): void {
  if (Atomics.exchange(words, index, 0) === 2) Atomics.notify(words, index, 1);
}

/**
 * Pushes record `record` (a byte offset, never 0) on the lock-free stack whose head is
 * `words[head]`, linking through `words[(record >> 2) + linkWord]`. The link is written before
 * the compare-exchange that publishes it, so the consumer, which takes the whole stack with
 * {@link takeAll}, sees it. No ABA problem: nobody pops single records. Returns the record
 * that was on top before (0: the stack was empty).
 */
export function pushRecord(words: Int32Array, head: number, record: number, linkWord: number): number {
  const link = (record >> 2) + linkWord;
  let seen = Atomics.load(words, head);
  for (;;) {
    words[link] = seen;
    const actual = Atomics.compareExchange(words, head, seen, record);
    if (actual === seen) return seen;
    seen = actual;
  }
}

/** Takes the whole stack pushed by {@link pushRecord} (newest first) and leaves it empty. */
export function takeAll(words: Int32Array, head: number): number {
  return Atomics.exchange(words, head, 0);
}
