/**
 * One limit on open connections, shared by every domain serving a socket: a counter in a
 * `SharedArrayBuffer`, so each domain's accept loop takes a slot before accepting.
 * @internal
 * @module
 */
import { awaitNative } from "../core/fiber.js";
import type { Operation } from "../core/scheduler.js";

const ACTIVE = 0;

/** The shared cells: `[active connections]`. Sent to worker domains as is. */
export function createLimitCells(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Takes a slot, waiting (without blocking the domain) while `max` connections are open. */
export function* acquireSlot(cells: Int32Array, max: number): Operation<void> {
  for (;;) {
    const active = Atomics.load(cells, ACTIVE);
    if (active < max) {
      // compareExchange: two domains may see the same free slot; only one may take it.
      if (Atomics.compareExchange(cells, ACTIVE, active, active + 1) === active) return;
      continue;
    }
    // waitAsync returns at once ("not-equal") if a slot was freed since our load, so a release
    // between the load and the wait is not lost.
    const wait = Atomics.waitAsync(cells, ACTIVE, active);
    if (wait.async) yield* awaitNative(wait.value);
  }
}

/** Gives a slot back and wakes every waiting domain (a waiter may have been cancelled, so one is not enough). */
export function releaseSlot(cells: Int32Array): void {
  Atomics.sub(cells, ACTIVE, 1);
  Atomics.notify(cells, ACTIVE);
}
