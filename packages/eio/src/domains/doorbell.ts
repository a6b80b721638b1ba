/**
 * Waking a thread through shared memory. A doorbell is two Int32 words: SLEEPING (the
 * consumer is parked or about to be) and DOORBELL (a counter the producer bumps).
 *
 * The protocol has no lost wake-ups: the consumer reads DOORBELL, sets SLEEPING, re-checks
 * for work and only then waits for DOORBELL to change from the value it read. The producer
 * publishes its work, then reads SLEEPING. All four accesses are seq-cst atomics, so either
 * the producer sees SLEEPING = 1 (and bumps DOORBELL, which ends the wait or makes it return
 * at once as "not-equal"), or the consumer's re-check sees the work.
 * Spurious wake-ups are harmless: the consumer always re-checks its rings.
 * @internal
 * @module
 */
import { DOORBELL, SLEEPING } from "./ring.js";

/**
 * Producer side: after publishing work, wake the consumer if it parked. Returns true if it
 * had (the consumer was asleep, so its answer, if any, will not come within microseconds).
 */
export function ringBell(bell: Int32Array): boolean {
  if (Atomics.load(bell, SLEEPING) === 0) return false;
  Atomics.add(bell, DOORBELL, 1);
  Atomics.notify(bell, DOORBELL);
  return true;
}

/** Consumer side, step 1: announce that we are about to park; returns the value to wait on. */
export function prepareToSleep(bell: Int32Array): number {
  const seen = Atomics.load(bell, DOORBELL);
  Atomics.store(bell, SLEEPING, 1);
  return seen;
}

/** Consumer side: we found work (or woke up); producers need not ring any more. */
export function awake(bell: Int32Array): void {
  Atomics.store(bell, SLEEPING, 0);
}

/**
 * Consumer side, step 2 (blocking): waits up to `ms` for the doorbell to change. Only for a
 * thread with nothing else to do, since it blocks its event loop.
 */
export function sleepBlocking(bell: Int32Array, seen: number, ms: number): void {
  Atomics.wait(bell, DOORBELL, seen, ms);
}

/**
 * Consumer side, step 2 (async): a native promise that settles when the doorbell changes.
 * A pending `Atomics.waitAsync` does not keep Node alive: the caller must hold a ref'd
 * handle (a worker, a port listener) for as long as it relies on this.
 */
export function sleepAsync(bell: Int32Array, seen: number): globalThis.Promise<unknown> | null {
  const result = Atomics.waitAsync(bell, DOORBELL, seen);
  return result.async ? (result.value as globalThis.Promise<unknown>) : null;
}

/** Spins for about `iterations` rounds calling `poll` until it returns true. */
export function spin(iterations: number, poll: () => boolean): boolean {
  for (let i = 0; i < iterations; i++) if (poll()) return true;
  return false;
}
