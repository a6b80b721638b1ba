/**
 * The cycle collector's candidates: objects that a `release` may have left on a cycle (see
 * cycles.ts). Whoever lists an object holds one reference to it (the one that release was
 * dropping), and an object is listed once at most (flag `BUFFERED`).
 *
 * Two stages. A domain first lists a candidate in its own buffer (a block in the arena named
 * by its domain slot, so the references of a domain that dies are still found). Most
 * candidates are dropped by everyone else soon after: a ping whose resolver let go is read by
 * its receiver a few microseconds later. So when the buffer is full, its oldest entries that
 * nothing but the buffer refers to any more are freed on the spot (they are on no cycle, and
 * with no reference left to reach them through, nobody can take a new one); only the others
 * move to the shared list that collections take from. One shared list rather than one per
 * domain: a cycle built across domains has members released in several, and a collection must
 * see the list's references as its own. Before the buffer, every candidate took the shared
 * list's lock (a cache line that two domains in a ping-pong passed back and forth on every
 * round trip), and collections freed them in batches of a thousand, a pause of about 0.2 ms.
 * @internal
 * @module
 */
import { type Arena, getArena, onRetire } from "./arena.js";
import { lockWord, unlockWord } from "./atomics.js";
import { dropReference, release, setCandidateBuffer } from "./handle.js";
import { setSpareWork } from "./idle-policy.js";
import {
  BUFFERED, D_CANDIDATES, H_CANDIDATE_CAPACITY, H_CANDIDATE_COUNT, H_CANDIDATE_LOCK, H_CANDIDATES, O_FLAGS, O_REFCOUNT,
} from "./layout.js";

/** Entries of a domain's buffer. */
const LOCAL_MAX = 64;
/**
 * The newest entries a full buffer keeps: their other holders are the likeliest to be still
 * at work on them (a receiver that has not read its ping yet).
 */
const LOCAL_KEEP = 16;

/**
 * Called with the shared list's length after this domain listed there, or with 0 when its
 * buffer got entries a collection must come for (cycles.ts schedules).
 */
let onListed: (waiting: number) => void = () => {};

/** @internal */
export function setOnListed(fn: (waiting: number) => void): void {
  onListed = fn;
}

/** This domain's buffer: word 0 is its length, the entries follow. 0 until first used. */
let local = 0;

function localBuffer(arena: Arena): number {
  // Made on first use, and given back when emptied (a previous owner of this domain id gave
  // its block back when it retired).
  if (local === 0) {
    local = arena.alloc((LOCAL_MAX + 1) * 4);
    arena.i32[local >> 2] = 0;
    Atomics.store(arena.i32, arena.slot(arena.domainId, D_CANDIDATES), local);
  }
  return local;
}

/** Takes over the reference `release` is dropping on `offset`, listing it; false to decrement. */
function bufferCandidate(offset: number): boolean {
  const arena = getArena();
  const i32 = arena.i32;
  const word = offset >> 2;
  // The last reference: nothing can be left on a cycle, free it now.
  if (Atomics.load(i32, word + O_REFCOUNT) === 1) return false;
  if ((Atomics.or(i32, word + O_FLAGS, BUFFERED) & BUFFERED) !== 0) return false;
  const block = localBuffer(arena) >> 2;
  const n = i32[block]!;
  i32[block + 1 + n] = offset;
  i32[block] = n + 1;
  if (n + 1 === LOCAL_MAX) flushBuffer(LOCAL_KEEP);
  // A first entry, or the kept ones: a collection (which empties the buffer) must come.
  if (n === 0 || n + 1 === LOCAL_MAX) onListed(0);
  return true;
}
setCandidateBuffer(bufferCandidate);

/**
 * A fiber of this thread is about to spin for another domain: free (or move) the buffer's
 * older entries now, a few at a time, rather than 48 at once in a release later (in a
 * ping-pong, a release on the way to answering: a pause of microseconds every 48 round trips).
 */
setSpareWork(() => {
  if (local !== 0 && getArena().i32[local >> 2]! > LOCAL_KEEP) flushBuffer(LOCAL_KEEP);
});

/**
 * Empties this domain's buffer but for its `keep` newest entries: frees those nothing else
 * refers to any more, oldest first (freeing one may bring a later one, named in its value,
 * down to the buffer's reference alone), and moves the rest to the shared list.
 */
export function flushBuffer(keep = 0): void {
  if (local === 0) return;
  const arena = getArena();
  const i32 = arena.i32;
  const block = local >> 2;
  const n = i32[block]!;
  if (n <= keep) return;
  // Copied out (not a view: the releases below may list new entries in the buffer).
  const m = n - keep;
  const taken = new Array<number>(m);
  for (let i = 0; i < m; i++) taken[i] = i32[block + 1 + i]!;
  if (keep === 0) {
    // Emptied: give the block back (live bytes return to where they were; a release below
    // may start a new one).
    Atomics.store(i32, arena.slot(arena.domainId, D_CANDIDATES), 0);
    arena.free(local);
    local = 0;
  } else {
    i32.copyWithin(block + 1, block + 1 + n - keep, block + 1 + n);
    i32[block] = keep;
  }
  // Made only when needed: in a ping-pong almost every entry is freed here.
  let survivors: number[] | null = null;
  for (let i = 0; i < m; i++) {
    const offset = taken[i]!;
    // Still flagged listed, so a release meanwhile (one that made the count 1) only decremented.
    if (Atomics.load(i32, (offset >> 2) + O_REFCOUNT) === 1) dropReference(offset);
    else (survivors ??= []).push(offset);
  }
  if (survivors !== null) listShared(arena, survivors);
}

/** Appends `offsets` (whose references are handed over, still flagged listed) to the shared list. */
function listShared(arena: Arena, offsets: readonly number[]): void {
  const i32 = arena.i32;
  lockWord(i32, H_CANDIDATE_LOCK);
  const count = i32[H_CANDIDATE_COUNT]!;
  let block = i32[H_CANDIDATES]!;
  const capacity = i32[H_CANDIDATE_CAPACITY]!;
  if (count + offsets.length > capacity) {
    const grown = Math.max(256, capacity * 2, count + offsets.length);
    let bigger: number;
    try {
      bigger = arena.alloc(grown * 4);
    } catch {
      // The arena is full: drop the references as usual (a cycle may leak; nothing breaks).
      unlockWord(i32, H_CANDIDATE_LOCK);
      for (const offset of offsets) {
        Atomics.and(i32, (offset >> 2) + O_FLAGS, ~BUFFERED);
        dropReference(offset);
      }
      return;
    }
    if (block !== 0) {
      i32.copyWithin(bigger >> 2, block >> 2, (block >> 2) + count);
      arena.free(block);
    }
    i32[H_CANDIDATES] = block = bigger;
    i32[H_CANDIDATE_CAPACITY] = grown;
  }
  for (let i = 0; i < offsets.length; i++) i32[(block >> 2) + count + i] = offsets[i]!;
  i32[H_CANDIDATE_COUNT] = count + offsets.length;
  unlockWord(i32, H_CANDIDATE_LOCK);
  onListed(count + offsets.length);
}

/**
 * A retired domain's buffer (its thread is gone): its references are given back, unflagged
 * first so that a release may list them again, and its block is freed.
 */
onRetire((domainId) => {
  const arena = getArena();
  const i32 = arena.i32;
  const slot = arena.slot(domainId, D_CANDIDATES);
  const block = Atomics.load(i32, slot);
  if (block === 0) return;
  Atomics.store(i32, slot, 0);
  const entries = Array.from(i32.subarray((block >> 2) + 1, (block >> 2) + 1 + i32[block >> 2]!));
  arena.free(block);
  for (const offset of entries) {
    Atomics.and(i32, (offset >> 2) + O_FLAGS, ~BUFFERED);
    release(offset);
  }
});

/** How many candidates wait in the shared list (this domain's buffer not included). */
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
