/**
 * The cycle collector's candidate list: one list in the arena, shared by every domain, of
 * objects that a `release` may have left on a cycle (see cycles.ts). The list holds one
 * reference to each (the one that release was dropping), and an object is listed once at most
 * (flag `BUFFERED`). One list rather than one per domain: a cycle built across domains has
 * members released in several, and a collection must see the list's references as its own.
 * @internal
 * @module
 */
import { type Arena, getArena } from "./arena.js";
import { lockWord, unlockWord } from "./atomics.js";
import { setCandidateBuffer } from "./handle.js";
import { BUFFERED, H_CANDIDATE_CAPACITY, H_CANDIDATE_COUNT, H_CANDIDATE_LOCK, H_CANDIDATES, O_FLAGS, O_REFCOUNT } from "./layout.js";

/** Called with the list's length after a domain listed a candidate (cycles.ts schedules). */
let onListed: (waiting: number) => void = () => {};

/** @internal */
export function setOnListed(fn: (waiting: number) => void): void {
  onListed = fn;
}

/** Takes over the reference `release` is dropping on `offset`, listing it; false to decrement. */
function bufferCandidate(offset: number): boolean {
  const arena = getArena();
  const i32 = arena.i32;
  const word = offset >> 2;
  // The last reference: nothing can be left on a cycle, free it now.
  if (Atomics.load(i32, word + O_REFCOUNT) === 1) return false;
  if ((Atomics.or(i32, word + O_FLAGS, BUFFERED) & BUFFERED) !== 0) return false;
  lockWord(i32, H_CANDIDATE_LOCK);
  const count = i32[H_CANDIDATE_COUNT]!;
  let block = i32[H_CANDIDATES]!;
  const capacity = i32[H_CANDIDATE_CAPACITY]!;
  if (count === capacity) {
    let bigger: number;
    try {
      bigger = arena.alloc(Math.max(256, capacity * 2) * 4);
    } catch {
      // The arena is full: drop the reference as usual (a cycle may leak; nothing breaks).
      unlockWord(i32, H_CANDIDATE_LOCK);
      Atomics.and(i32, word + O_FLAGS, ~BUFFERED);
      return false;
    }
    if (block !== 0) {
      i32.copyWithin(bigger >> 2, block >> 2, (block >> 2) + count);
      arena.free(block);
    }
    i32[H_CANDIDATES] = block = bigger;
    i32[H_CANDIDATE_CAPACITY] = Math.max(256, capacity * 2);
  }
  i32[(block >> 2) + count] = offset;
  i32[H_CANDIDATE_COUNT] = count + 1;
  unlockWord(i32, H_CANDIDATE_LOCK);
  onListed(count + 1);
  return true;
}
setCandidateBuffer(bufferCandidate);

/** How many candidates wait in the list. */
export function pendingCandidates(): number {
  return Atomics.load(getArena().i32, H_CANDIDATE_COUNT);
}

/** Takes up to `max` candidates (the newest, oldest first); their references become the caller's. */
export function takeCandidates(arena: Arena, max: number): number[] {
  const i32 = arena.i32;
  lockWord(i32, H_CANDIDATE_LOCK);
  const count = i32[H_CANDIDATE_COUNT]!;
  const start = Math.max(0, count - max);
  const block = i32[H_CANDIDATES]! >> 2;
  const taken = Array.from(i32.subarray(block + start, block + count));
  i32[H_CANDIDATE_COUNT] = start;
  if (start === 0 && block !== 0) {
    // Empty: give the list's block back (live bytes return to where they were).
    arena.free(block << 2);
    i32[H_CANDIDATES] = 0;
    i32[H_CANDIDATE_CAPACITY] = 0;
  }
  unlockWord(i32, H_CANDIDATE_LOCK);
  // Their references are the collection's now. They stay flagged `BUFFERED` until the
  // collection looks at each (`unlist`): releases meanwhile just decrement.
  return taken;
}

/** A taken candidate stops counting as listed: a release from now on may list it again. */
export function unlist(i32: Int32Array, offset: number): void {
  Atomics.and(i32, (offset >> 2) + O_FLAGS, ~BUFFERED);
}
