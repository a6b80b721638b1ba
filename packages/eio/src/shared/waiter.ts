/**
 * Waiter records: a fiber of some domain waiting on a shared object, kept in that object's
 * FIFO queue (under the object's lock). A waker claims a record under the lock, then delivers
 * it (see `doorbell.ts`). Cancellation removes a record that is still waiting; once claimed,
 * the wake is on its way and wins, as in Eio (an item handed to a taker is never lost).
 * @internal
 * @module
 */
import { getArena, isDomainLive } from "./arena.js";
import { CLAIMED, W_DOMAIN, W_NEXT, W_SLOT, W_STATE, W_VALUE, WAITER_BYTES, WAITING } from "./layout.js";

/** A new waiting record for a fiber of this domain. */
export function allocWaiter(): number {
  const arena = getArena();
  const w = arena.alloc(WAITER_BYTES);
  arena.recordMade(); // see freeWaiter
  const word = w >> 2;
  arena.i32[word + W_NEXT] = 0;
  arena.i32[word + W_DOMAIN] = arena.domainId;
  arena.i32[word + W_STATE] = WAITING;
  arena.i32[word + W_VALUE] = 0;
  arena.i32[word + W_SLOT] = -1;
  return w;
}

/** Frees a record (never free one with `arena.free`: each domain counts its live records). */
export function freeWaiter(w: number): void {
  const arena = getArena();
  const domainId = arena.i32[(w >> 2) + W_DOMAIN]!;
  arena.free(w);
  arena.recordFreed(domainId);
}

export function waiterDomain(w: number): number {
  return getArena().i32[(w >> 2) + W_DOMAIN]!;
}

export function waiterValue(w: number): number {
  return getArena().i32[(w >> 2) + W_VALUE]!;
}

export function setWaiterValue(w: number, value: number): void {
  getArena().i32[(w >> 2) + W_VALUE] = value;
}

/** Appends `w` to the queue whose head and tail are words `head`, `head + 1`. Lock held. */
export function enqueueWaiter(head: number, w: number): void {
  const i32 = getArena().i32;
  const tail = i32[head + 1]!;
  if (tail === 0) i32[head] = w;
  else i32[(tail >> 2) + W_NEXT] = w;
  i32[head + 1] = w;
}

/**
 * Removes and claims the first waiter whose domain is still alive; 0 if none. Records of
 * crashed domains are dropped on the way. Lock held.
 */
export function claimFirst(head: number): number {
  const arena = getArena();
  const i32 = arena.i32;
  for (;;) {
    const w = i32[head]!;
    if (w === 0) return 0;
    const next = i32[(w >> 2) + W_NEXT]!;
    i32[head] = next;
    if (next === 0) i32[head + 1] = 0;
    if (isDomainLive(arena, i32[(w >> 2) + W_DOMAIN]!)) {
      // The cancelling fiber reads the state under this same lock (see removeWaiter).
      i32[(w >> 2) + W_STATE] = CLAIMED;
      return w;
    }
    freeWaiter(w);
  }
}

/**
 * Removes `w` from the queue if it is still waiting (the fiber's cancellation); false if a
 * waker already claimed it. Lock held.
 */
export function removeWaiter(head: number, w: number): boolean {
  const i32 = getArena().i32;
  if (i32[(w >> 2) + W_STATE] !== WAITING) return false;
  let previous = 0;
  let current = i32[head]!;
  while (current !== 0 && current !== w) {
    previous = current;
    current = i32[(current >> 2) + W_NEXT]!;
  }
  if (current === 0) return false;
  const next = i32[(w >> 2) + W_NEXT]!;
  if (previous === 0) i32[head] = next;
  else i32[(previous >> 2) + W_NEXT] = next;
  if (i32[head + 1] === w) i32[head + 1] = previous;
  return true;
}
