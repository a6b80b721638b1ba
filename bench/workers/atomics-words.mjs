// The shared-memory layout of the raw Atomics ping-pong, used by both threads.
/** Index of the word the main thread bumps (a sequence number, 1, 2, 3 ...). */
export const PING = 0;
/** Index of the word the worker sets to the sequence number it answered. */
export const PONG = 1;
/** A ping value that tells the worker to exit. */
export const STOP = -1;
export const WORDS = 2;

/**
 * Spins for at most `spin` reads while `words[index]` still holds `old`; returns the last value.
 * Atomics.load is sequentially consistent, so once the other thread's store is visible so is
 * everything it wrote before it.
 */
export function spinUntilChanged(words, index, old, spin) {
  let value = Atomics.load(words, index);
  for (let i = 0; value === old && i < spin; i++) value = Atomics.load(words, index);
  return value;
}
