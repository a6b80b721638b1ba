/**
 * Cells: a few int32 counters in shared memory that fibers of any domain can change and wait on.
 * Made for slow, rare signals between the domains of one job (a server's stop, its error count,
 * its open-connection limit): a waiting fiber parks its domain's event loop on
 * `Atomics.waitAsync`, so the domain never spins for them, and a change wakes every waiter.
 *
 * Ordering: every operation here is an `Atomics` operation, sequentially consistent, so a write
 * made before a change (to a shared stream, say) is visible to the fiber that sees the change.
 * A change is never lost: {@link awaitChange} waits only while the cell still holds the value
 * its caller saw, and `Atomics.waitAsync` compares and enqueues atomically (it returns
 * "not-equal" at once if the cell changed after the caller's load), while every change notifies
 * after it is made.
 * @internal
 * @module
 */
import { awaitNative } from "../core/fiber.js";
import type { Operation } from "../core/scheduler.js";

/** `count` cells, all 0. A typed array over a `SharedArrayBuffer`: it crosses domains as is. */
export function createCells(count: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(count * 4));
}

/** The value of cell `i`. */
export function read(cells: Int32Array, i: number): number {
  return Atomics.load(cells, i);
}

/** Sets cell `i` and wakes its waiters. */
export function write(cells: Int32Array, i: number, value: number): void {
  Atomics.store(cells, i, value);
  Atomics.notify(cells, i);
}

/**
 * Adds `delta` to cell `i` and wakes its waiters, every one: a waiter may have been cancelled
 * meanwhile, so waking one would not be enough. Returns the value before.
 */
export function add(cells: Int32Array, i: number, delta: number): number {
  const before = Atomics.add(cells, i, delta);
  Atomics.notify(cells, i);
  return before;
}

/**
 * Adds 1 to cell `i` if it is below `max`. Returns the value seen: the cell was incremented
 * from it if it is below `max`, else it is a value to {@link awaitChange} from. The
 * compare-exchange makes two domains that see the same free count take it only once.
 */
export function incrementBelow(cells: Int32Array, i: number, max: number): number {
  let seen = Atomics.load(cells, i);
  while (seen < max) {
    const actual = Atomics.compareExchange(cells, i, seen, seen + 1);
    if (actual === seen) return seen;
    seen = actual;
  }
  return seen;
}

function keepAlive(): void {}

/**
 * Waits, without blocking the domain, until cell `i` no longer holds `seen`. A ref'd timer is
 * held meanwhile: `Atomics.waitAsync` holds no handle of the event loop, so a thread whose only
 * work is this wait would look finished to Node, and its run would report a deadlock.
 */
export function* awaitChange(cells: Int32Array, i: number, seen: number): Operation<void> {
  while (Atomics.load(cells, i) === seen) {
    const wait = Atomics.waitAsync(cells, i, seen);
    if (!wait.async) continue;
    const timer = setInterval(keepAlive, 2 ** 30);
    try {
      yield* awaitNative(wait.value);
    } finally {
      clearInterval(timer);
    }
  }
}
