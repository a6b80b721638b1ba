/**
 * Waking a thread through shared memory. A doorbell is two Int32 words: SLEEPING (the
 * consumer is parked or about to be) and DOORBELL (a counter the producer bumps).
 *
 * The protocol has no lost wake-ups: the consumer reads DOORBELL, sets SLEEPING, re-checks
 * for work and only then waits for DOORBELL to change from the value it read. The producer
 * publishes its work, then reads SLEEPING. All four accesses are seq-cst atomics, so either
 * the producer sees SLEEPING = 1 (and bumps DOORBELL, which ends the wait or makes it return
 * at once as "not-equal"), or the consumer's re-check sees the work.
 * Spurious wake-ups are harmless: the consumer always re-checks its rings. The consumer's
 * waiting (`Atomics.wait`, `Atomics.waitAsync`) is the thread's idle policy's
 * (`shared/idle-policy.ts`): the hub and the runner are its sources.
 * @internal
 * @module
 */
import { BLOCKING, DOORBELL, SLEEPING } from "./ring.js";

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
 * Consumer side (the parent): says whether it is about to block in `Atomics.wait`, polling
 * the outboxes within a millisecond. A hint for producers: a domain busy with staged jobs may
 * then hold a result back, since the parent reads it by then anyway (worker/runner.ts).
 */
export function announceBlocking(bell: Int32Array, blocking: boolean): void {
  Atomics.store(bell, BLOCKING, blocking ? 1 : 0);
}
