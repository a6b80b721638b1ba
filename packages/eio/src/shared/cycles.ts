/**
 * The cycle collector: frees groups of shared objects that keep one another alive through their
 * values (promise A's value holds B's resolver and B's holds A's; stream A carries a handle of
 * stream B which carries one of A) once nothing outside the group refers to them. Reference
 * counting alone never frees such a group. This is Bacon & Rajan's trial deletion ("Concurrent
 * Cycle Collection in Reference Counted Systems", 2001), made safe against domains that keep
 * running while it looks.
 *
 * Candidates (cycle-candidates.ts). `release` of an object flagged `MAY_CYCLE` (a value that
 * named another object was stored in it) that does not drop the last reference hands that
 * reference to the releasing domain's candidate buffer (flag `BUFFERED`: listed once at most);
 * a full buffer frees its old entries that nothing else refers to any more and moves the rest
 * to one candidate list in the arena, which collections take from. A domain that adds to the
 * list schedules a collection: at the end of its turn once `COLLECT_AT` candidates wait (or at
 * its next idle moment, `collectIfDue`, if that comes first), else `COLLECT_AFTER_MS` later
 * (an unref'd timer, also set when its buffer gets a first entry); one also runs when a domain
 * is about to exit. One collection runs at a time (the collector word). The references a
 * domain's buffer holds count, for a collection, as references from outside.
 *
 * A collection takes up to `MAX_CANDIDATES` of the list (their references become its own) and
 * walks what their values name, breadth first, up to `MAX_SCANNED` objects. For each object
 * met it (f) stores SCANNING in its scan word, takes a reference of its own (under the lock of
 * the object whose value named it, so it is alive), then (c) reads its values under its lock
 * and counts the references between the objects met. Then (r) it reads every count, and (v)
 * every scan word. An object whose count exceeds its own reference plus those from inside,
 * that is DIRTY, that was not walked (the limit), or whose kind this thread does not know, is
 * live, and so is everything it reaches.
 * The rest, S, is garbage: each member's values are destroyed, then its block freed.
 *
 * Why S is garbage although domains run meanwhile. Rules the mutators follow:
 * (1) every reference is counted, and a domain reaches an object only through a reference it
 *     holds: a handle, or a value block it owns (a message), naming the object or a container
 *     whose value names it (a promise's value is read without being taken);
 * (2) a new reference is an increment (`retain`) made while the domain holds such a reference
 *     J, and J is kept until the increment has finished, which ends by marking the object
 *     DIRTY if it sees SCANNING (the increment comes first, the mark after);
 * (3) the references a value holds change (a promise resolved with a value naming objects, an
 *     item added to or taken from a stream's buffer) only under the object's lock, after
 *     marking it DIRTY if it is SCANNING (the mark first, the change after).
 * Let T be the last (r). Every member's contents are as read at (c) until T: a change after
 * (c) took the lock after the collection's (c), so it saw SCANNING and marked DIRTY before
 * changing, before T, before (v). At its (r) each member had no reference from outside S.
 * Suppose one exists at T: it was made by an increment after that member's (r), whose mark
 * came after (v) (it is not DIRTY). Take the first such increment. By (2) its domain held J
 * from before it until after the mark, so at T. If J names the same member, J came after its
 * (r), from an earlier such increment: contradiction. If J names a container, the container
 * is in S (a live one would make the member live; one not walked would be counted as outside),
 * and the same argument applies to it. Taking a reference out of a member's value is a change
 * of (3). So at T nothing outside S refers to S; from then on, by (1), no domain can reach it.
 * Decrements are allowed throughout: they only move counts towards garbage. The collection's
 * own references (one per object met) are subtracted from the counts; a reference the
 * candidate list holds (an object listed again meanwhile) counts as outside.
 *
 * Liveness: a live object whose count fell while the collection ran goes back through
 * `release`, so it is listed again (a release that saw it still `BUFFERED`, before this
 * collection cleared the flag, only decremented: without this, that cycle would never be
 * looked at again).
 *
 * Freeing: the members' `MAY_CYCLE` flags are cleared (their releases then decrement), every
 * member is destroyed (references among members fall back to the collection's own one), then
 * every block is freed. A member whose count is not exactly 1 then would mean the argument
 * failed: it is left allocated (leaked, never freed twice) and counted in `anomalies`.
 * @internal
 * @module
 */
import { type Arena, getArena } from "./arena.js";
import { flushBuffer, pendingCandidates, setOnListed, takeCandidates, unlist } from "./cycle-candidates.js";
import { dropReference, kindById, kindOf, release } from "./handle.js";
import {
  DIRTY, H_COLLECTOR, MAY_CYCLE, O_FLAGS, O_REFCOUNT, O_SCAN, SCANNING,
} from "./layout.js";

/** Candidates waiting that make a domain collect at the end of its turn. */
const COLLECT_AT = 1024;
/** Otherwise a domain that listed a candidate collects this long after. */
const COLLECT_AFTER_MS = 10;
/** Bounds on one collection's work: candidates taken, objects walked. */
const MAX_CANDIDATES = 16384;
const MAX_SCANNED = 1 << 18;

/** What collections did (this thread's), for tests and measurements. */
export interface CycleStats {
  collections: number;
  scanned: number;
  freed: number;
  /** Members whose count did not fall to the collection's own reference (should stay 0). */
  anomalies: number;
}
const stats: CycleStats = { collections: 0, scanned: 0, freed: 0, anomalies: 0 };

/** This thread's collection totals so far. */
export function cycleStats(): Readonly<CycleStats> {
  return { ...stats };
}

let soon = false;
let later: ReturnType<typeof setTimeout> | null = null;

setOnListed(schedule);

function schedule(waiting: number): void {
  if (soon) return;
  if (waiting >= COLLECT_AT) {
    soon = true;
    setImmediate(collectScheduled).unref();
  } else if (later === null) {
    later = setTimeout(collectScheduled, COLLECT_AFTER_MS);
    later.unref();
  }
}

/**
 * Collects now if enough candidates wait: for a thread's idle moments (no fiber running, no
 * lock held). A thread in a hot exchange with another domain may not return to its event loop
 * for a long time, so the `setImmediate` of {@link schedule} alone let the list grow without
 * bound there (and every listed object stayed allocated until then).
 */
export function collectIfDue(): void {
  if (pendingCandidates() >= COLLECT_AT) collectCycles();
}

function collectScheduled(): void {
  soon = false;
  if (later !== null) clearTimeout(later);
  later = null;
  collectCycles();
  // Left over (a cap, or another domain was collecting): come back.
  const waiting = pendingCandidates();
  if (waiting > 0) schedule(waiting);
}


/**
 * Hands this domain's buffered candidates to the shared list (freeing those nothing else holds),
 * then runs one collection now in this thread (none if another domain is collecting); returns
 * how many objects the collection freed. The runtime schedules collections itself; tests call this directly.
 */
export function collectCycles(): number {
  // This domain's buffered candidates first: those only the buffer holds are freed on the way.
  flushBuffer();
  const arena = getArena();
  const i32 = arena.i32;
  if (Atomics.compareExchange(i32, H_COLLECTOR, 0, arena.domainId + 1) !== 0) return 0;
  try {
    return collect(arena);
  } finally {
    Atomics.store(i32, H_COLLECTOR, 0);
  }
}


function collect(arena: Arena): number {
  const i32 = arena.i32;
  const candidates = takeCandidates(arena, MAX_CANDIDATES);
  if (candidates.length === 0) return 0;
  stats.collections++;
  // The objects met, by index; edges[edgeStart[i] .. edgeStart[i + 1]) are i's references.
  const objects: number[] = [];
  const index = new Map<number, number>();
  const inside: number[] = [];
  const edges: number[] = [];
  const edgeStart: number[] = [];
  const meet = (offset: number): number => {
    Atomics.store(i32, (offset >> 2) + O_SCAN, SCANNING);
    index.set(offset, objects.length);
    inside.push(0);
    return objects.push(offset) - 1;
  };
  for (const offset of candidates) {
    unlist(i32, offset);
    // Nothing but the list refers to it any more (the usual fate of a message: its other
    // holders let go meanwhile): it is on no cycle, and with no reference left to reach it
    // through, nobody can take a new one; free it without a walk. Its values' references go
    // with it: a later candidate named only there is then down to the list's reference too
    // (still flagged listed, so that release did not list it again), and freed the same way.
    if (index.has(offset) || Atomics.load(i32, (offset >> 2) + O_REFCOUNT) === 1) dropReference(offset);
    else meet(offset);
  }
  const visit = (child: number): void => {
    let j = index.get(child);
    if (j === undefined) {
      // Under the lock of the object naming it, so it is alive. Not `retain`: this reference
      // is the collection's, not a mutator's, and must not mark it dirty.
      Atomics.add(i32, (child >> 2) + O_REFCOUNT, 1);
      j = meet(child);
    }
    edges.push(j);
    inside[j]!++;
  };
  let walked = 0;
  for (; walked < objects.length && walked < MAX_SCANNED; walked++) {
    edgeStart.push(edges.length);
    kindById(kindOf(objects[walked]!))?.forEachRef?.(objects[walked]!, visit);
  }
  edgeStart.push(edges.length);
  stats.scanned += objects.length;

  // Live: references from outside (beyond the collection's own), touched meanwhile, or not walked.
  const live = new Uint8Array(objects.length);
  const counts = objects.map((offset) => Atomics.load(i32, (offset >> 2) + O_REFCOUNT));
  const work: number[] = [];
  for (let i = 0; i < objects.length; i++) {
    const dirty = (Atomics.load(i32, (objects[i]! >> 2) + O_SCAN) & DIRTY) !== 0;
    // A kind this thread has not loaded could not be destroyed here: keep it.
    const unknown = kindById(kindOf(objects[i]!)) === undefined;
    if (dirty || unknown || i >= walked || counts[i]! - 1 !== inside[i]) {
      live[i] = 1;
      work.push(i);
    }
  }
  for (let i = work.pop(); i !== undefined; i = work.pop()) {
    if (i >= walked) continue;
    for (let e = edgeStart[i]!; e < edgeStart[i + 1]!; e++) {
      const j = edges[e]!;
      if (live[j] === 0) {
        live[j] = 1;
        work.push(j);
      }
    }
  }

  const garbage = objects.filter((_, i) => live[i] === 0);
  for (const offset of garbage) Atomics.and(i32, (offset >> 2) + O_FLAGS, ~MAY_CYCLE);
  for (const offset of garbage) kindById(kindOf(offset))?.destroy(offset);
  let freed = 0;
  for (const offset of garbage) {
    if (Atomics.load(i32, (offset >> 2) + O_REFCOUNT) === 1) {
      arena.free(offset);
      freed++;
    } else {
      stats.anomalies++;
    }
  }
  stats.freed += freed;
  for (let i = 0; i < objects.length; i++) {
    if (live[i] === 0) continue;
    const offset = objects[i]!;
    Atomics.store(i32, (offset >> 2) + O_SCAN, 0);
    // A release that saw the object still listed (BUFFERED, before this collection cleared it)
    // decremented instead of listing it; if one landed after the count was read, the object
    // may now be garbage: give the reference back through `release`, which lists it again.
    if (Atomics.load(i32, (offset >> 2) + O_REFCOUNT) < counts[i]!) release(offset);
    else dropReference(offset);
  }
  return freed;
}
