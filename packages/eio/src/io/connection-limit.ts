/**
 * One limit on open connections, shared by every domain serving a socket: a count in shared
 * cells (shared/cells.ts), so each domain's accept loop takes a slot before accepting.
 * @internal
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import { add, awaitChange, createCells, incrementBelow } from "../shared/cells.js";

const ACTIVE = 0;

/** The shared cells: `[active connections]`. Sent to worker domains as is. */
export function createLimitCells(): Int32Array {
  return createCells(1);
}

/** Takes a slot, waiting (without blocking the domain) while `max` connections are open. */
export function* acquireSlot(cells: Int32Array, max: number): Operation<void> {
  for (;;) {
    const seen = incrementBelow(cells, ACTIVE, max);
    if (seen < max) return;
    yield* awaitChange(cells, ACTIVE, seen);
  }
}

/** Gives a slot back and wakes the domains waiting for one. */
export function releaseSlot(cells: Int32Array): void {
  add(cells, ACTIVE, -1);
}
