/**
 * Shared objects and their handles. A shared object is a block of the arena that starts with
 * a reference count and a kind id; a handle is the small JS object a domain uses to reach it.
 * Each live handle holds one reference, given back by a `FinalizationRegistry` when the
 * handle is garbage; each encoded value holds one per handle inside it. At zero the kind's
 * `destroy` runs and the block is freed. (A value that names its own owner does not count,
 * see `ownValue`; longer reference cycles through values are found by cycles.ts, which the
 * `release` here feeds with candidates.)
 * @internal
 * @module
 */
import { type Arena, getArena, onRetire } from "./arena.js";
import {
  D_HELD, D_HELD_CAPACITY, D_HELD_COUNT, DIRTY, MAY_CYCLE, O_FLAGS, O_KIND, O_REFCOUNT, O_SCAN, OBJECT_HEADER,
} from "./layout.js";

/** What a kind of shared object tells the heap. */
export interface Kind {
  /** A small integer, the same in every thread (1 promise, 2 stream; domains may use 3..15). */
  readonly id: number;
  readonly name: string;
  /** Makes a new handle object for the object at `offset` (no reference taken). */
  revive(offset: number): SharedHandle;
  /** Releases what the object owns (value blocks...), before its block is freed. */
  destroy(offset: number): void;
  /**
   * Calls `visit` with each reference to another object that the object's values hold (one call
   * per counted reference, so twice for an object named twice), under the object's lock, so each
   * named object is alive during its call. The cycle collector follows these; a kind without
   * it is a leaf to the collector, which is safe: its references then look external.
   */
  forEachRef?(offset: number, visit: (child: number) => void): void;
}

const kinds: (Kind | undefined)[] = [];
/** Bit `id` is set for each kind registered in this thread. */
let registeredKinds = 0;

/** Registers a kind of shared object; the same `id` must be registered in every domain. */
export function registerKind(kind: Kind): void {
  if (!Number.isInteger(kind.id) || kind.id < 1 || kind.id > 15) {
    throw new RangeError(`registerKind: id must be an integer in [1, 15], got ${kind.id}`);
  }
  const existing = kinds[kind.id];
  if (existing !== undefined && existing.name !== kind.name) {
    throw new Error(`registerKind: id ${kind.id} is already taken by "${existing.name}"`);
  }
  kinds[kind.id] = kind;
  registeredKinds |= 1 << kind.id;
}

/** True if every kind whose bit is set in `mask` is registered in this thread. @internal */
export function kindsRegistered(mask: number): boolean {
  return (mask & ~registeredKinds) === 0;
}

/**
 * The base class of every handle: an offset into the arena. Its fields (and those of the
 * promise's handle) are assigned in the constructor rather than declared with initializers:
 * V8 runs initializers as property definitions in a function of their own, and a round trip
 * between domains makes four handles (measured on Node 20: 32 ns a promise handle, 18 ns so).
 */
export abstract class SharedHandle {
  /** Where {@link trackHandle} is with this handle (see `pending`). @internal */
  declare tracking: number;
  /** Where this handle is in the list of handles waiting to be registered. @internal */
  declare pendingIndex: number;
  /** Its entry in this domain's held list, once registered. @internal */
  declare held: Held | null;
  declare readonly offset: number;

  constructor(offset: number) {
    this.offset = offset;
    this.tracking = 0;
    this.pendingIndex = 0;
    this.held = null;
  }

  /**
   * The object to name when this handle is sent to another domain, with one new reference
   * taken for the message. A kind may override it (a settled promise that let its cell go
   * makes a fresh one).
   */
  sendRef(): number {
    retain(this.offset);
    return this.offset;
  }
}

/** The kind registered under `id`, if any. @internal */
export function kindById(id: number): Kind | undefined {
  return kinds[id];
}

/**
 * Allocates a shared object of kind `kindId` with `payloadBytes` after the header, with a
 * refcount of `refs` (0 by default; see {@link trackNewHandle} for 1). Plain stores: no other
 * thread knows the offset until a value naming it is published with an atomic operation, and
 * no collection is looking at a free block (it holds a reference to what it looks at).
 */
export function allocObject(kindId: number, payloadBytes: number, refs = 0): number {
  const arena = getArena();
  const offset = arena.alloc(OBJECT_HEADER + payloadBytes);
  const word = offset >> 2;
  arena.i32[word + O_REFCOUNT] = refs;
  arena.i32[word + O_KIND] = kindId;
  arena.i32[word + O_FLAGS] = 0;
  arena.i32[word + O_SCAN] = 0;
  return offset;
}

/**
 * Takes one reference to the object at `offset`. If a cycle collection is examining the object,
 * it is marked dirty *after* the increment (the order cycles.ts's safety argument needs), so
 * the collection leaves it alone.
 */
export function retain(offset: number): void {
  const i32 = getArena().i32;
  const word = offset >> 2;
  Atomics.add(i32, word + O_REFCOUNT, 1);
  if (Atomics.load(i32, word + O_SCAN) !== 0) Atomics.or(i32, word + O_SCAN, DIRTY);
}

/**
 * Call before storing a value that holds references in the object at `offset` (a promise's
 * value, a stream's item): its releases then go through the cycle collector's candidate list.
 */
export function markMayCycle(offset: number): void {
  const i32 = getArena().i32;
  if ((Atomics.load(i32, (offset >> 2) + O_FLAGS) & MAY_CYCLE) === 0) Atomics.or(i32, (offset >> 2) + O_FLAGS, MAY_CYCLE);
}

/**
 * Call under the object's lock *before* changing which references its values hold (storing or
 * removing a value): a cycle collection examining it then leaves it alone (see cycles.ts).
 */
export function beforeRefsChange(i32: Int32Array, offset: number): void {
  if (Atomics.load(i32, (offset >> 2) + O_SCAN) !== 0) Atomics.or(i32, (offset >> 2) + O_SCAN, DIRTY);
}

/**
 * Where `release` hands a reference that may keep a cycle alive (set by cycles.ts): returns
 * true if it took the reference over, false if the caller should drop it as usual.
 */
let bufferCandidate: (offset: number) => boolean = () => false;

/** @internal */
export function setCandidateBuffer(fn: (offset: number) => boolean): void {
  bufferCandidate = fn;
}

/** Objects whose last reference is gone, destroyed one at a time (see {@link release}). */
const dying: number[] = [];
let destroying = false;

/**
 * Drops one reference; the last one destroys and frees the object. Destroying an object
 * releases the objects its values held, which may cascade down a long chain (promises whose
 * values hold the next one's resolver): a work list, not recursion, so the stack stays flat.
 */
export function release(offset: number): void {
  const i32 = getArena().i32;
  // An object whose values hold references may be left on a cycle by this release: its
  // reference goes to the cycle collector's candidate list instead (see cycles.ts).
  if ((Atomics.load(i32, (offset >> 2) + O_FLAGS) & MAY_CYCLE) !== 0 && bufferCandidate(offset)) return;
  if (Atomics.sub(i32, (offset >> 2) + O_REFCOUNT, 1) === 1) destroyObject(offset);
}

/** {@link release} without the candidate list: the collector's own references go this way. @internal */
export function dropReference(offset: number): void {
  if (Atomics.sub(getArena().i32, (offset >> 2) + O_REFCOUNT, 1) === 1) destroyObject(offset);
}

function destroyObject(offset: number): void {
  const arena = getArena();
  dying.push(offset);
  if (destroying) return;
  destroying = true;
  try {
    for (let next = dying.pop(); next !== undefined; next = dying.pop()) {
      kinds[arena.i32[(next >> 2) + O_KIND]!]?.destroy(next);
      arena.free(next);
    }
  } finally {
    destroying = false;
  }
}

/**
 * Each handle holds one reference until it is garbage. There is deliberately no table of live
 * handles per offset: it would cost a `WeakRef` per handle sent or received (measured: the
 * largest cost of a cross-domain round trip). So a handle that travels out and back arrives
 * as a new handle on the same object: use handles, do not compare them with `===`.
 */
const registry = new FinalizationRegistry<Held>((held) => {
  unhold(held);
  release(held.offset);
});

/**
 * The references held by this domain's registered (long-lived) handles are also listed in the
 * arena, in the domain's slot: a worker that exits (or is terminated) never runs its
 * finalizers, so {@link releaseHeld} gives them back for it. `heldList[i]` is the entry at
 * index `i` of the arena's list; removal swaps the last entry into the hole.
 */
interface Held {
  readonly offset: number;
  index: number;
}
const heldList: Held[] = [];

function hold(arena: Arena, offset: number): Held {
  const i32 = arena.i32;
  const id = arena.domainId;
  const held: Held = { offset, index: heldList.length };
  heldList.push(held);
  let block = i32[arena.slot(id, D_HELD)]!;
  const capacity = i32[arena.slot(id, D_HELD_CAPACITY)]!;
  if (held.index === capacity) {
    const bigger = arena.alloc(Math.max(64, capacity * 2) * 4);
    if (block !== 0) i32.copyWithin(bigger >> 2, block >> 2, (block >> 2) + capacity);
    // The slot names the new block before the old one is freed (never a freed block).
    Atomics.store(i32, arena.slot(id, D_HELD), bigger);
    i32[arena.slot(id, D_HELD_CAPACITY)] = Math.max(64, capacity * 2);
    if (block !== 0) arena.free(block);
    block = bigger;
  }
  i32[(block >> 2) + held.index] = offset;
  Atomics.store(i32, arena.slot(id, D_HELD_COUNT), heldList.length);
  return held;
}

function unhold(held: Held): void {
  const arena = getArena();
  const i32 = arena.i32;
  const last = heldList.pop()!;
  // The count shrinks first: a thread terminated between these steps then leaks at most one
  // reference, where the other order could give one back twice.
  Atomics.store(i32, arena.slot(arena.domainId, D_HELD_COUNT), heldList.length);
  if (last !== held) {
    heldList[held.index] = last;
    last.index = held.index;
    Atomics.store(i32, (i32[arena.slot(arena.domainId, D_HELD)]! >> 2) + held.index, last.offset);
  }
  if (heldList.length === 0) {
    // Empty: give the list's block back (only long-lived handles come here, so this is rare).
    // The slot forgets it before it is freed, so it can never be freed twice.
    const block = i32[arena.slot(arena.domainId, D_HELD)]!;
    i32[arena.slot(arena.domainId, D_HELD)] = 0;
    i32[arena.slot(arena.domainId, D_HELD_CAPACITY)] = 0;
    arena.free(block);
  }
}

/**
 * Gives back every reference that domain `domainId`'s handles held, once its thread is gone
 * (call it from the thread that saw the worker exit, before the id is reused).
 */
export function releaseHeld(domainId: number): void {
  const arena = getArena();
  const i32 = arena.i32;
  const block = i32[arena.slot(domainId, D_HELD)]!;
  const count = Atomics.load(i32, arena.slot(domainId, D_HELD_COUNT));
  i32[arena.slot(domainId, D_HELD)] = 0;
  i32[arena.slot(domainId, D_HELD_COUNT)] = 0;
  i32[arena.slot(domainId, D_HELD_CAPACITY)] = 0;
  if (block === 0) return;
  for (let i = 0; i < count; i++) release(i32[(block >> 2) + i]!);
  arena.free(block);
}
onRetire(releaseHeld);

/**
 * Handles made in this turn, not yet registered. Most handles live for microseconds (a promise
 * reads its value and lets go of its cell at once; measured: `register` + `unregister` were the
 * largest cost of a cross-domain round trip), so registration waits for the end of the turn
 * and a handle untracked before that never touches the registry. The list holds them only
 * until then (or until it is {@link PENDING_MAX} long).
 */
let pending: (SharedHandle | undefined)[] = [];
let flushScheduled = false;
const PENDING_MAX = 1024;
const UNTRACKED = 0;
const PENDING = 1;
const REGISTERED = 2;

function registerPending(): void {
  flushScheduled = false;
  const handles = pending;
  if (handles.length === 0) return;
  pending = [];
  const arena = getArena();
  for (const handle of handles) {
    if (handle === undefined || handle.tracking !== PENDING) continue;
    handle.tracking = REGISTERED;
    handle.held = hold(arena, handle.offset);
    registry.register(handle, handle.held, handle);
  }
}

/**
 * Lists this domain's handles made in this turn in its held list now (see {@link releaseHeld}):
 * for a domain about to hand back its last result, after which its thread may be terminated.
 */
export function registerPendingHandles(): void {
  registerPending();
}

/** Makes `handle` hold one reference (taken here), given back when the handle is garbage. */
export function trackHandle(handle: SharedHandle): void {
  retain(handle.offset);
  trackNewHandle(handle);
}

/**
 * {@link trackHandle} for a handle on an object allocated with `refs` 1 (its first handle): the
 * reference is already there, and no atomic increment is needed (a promise made per message).
 */
export function trackNewHandle(handle: SharedHandle): void {
  handle.tracking = PENDING;
  handle.pendingIndex = pending.length;
  if (pending.push(handle) >= PENDING_MAX) registerPending();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(registerPending).unref();
  }
}

/**
 * Gives back `handle`'s reference now, without waiting for the garbage collector: for a
 * handle that no longer needs its object (a promise that has read its value).
 */
export function untrackHandle(handle: SharedHandle): void {
  forgetHandle(handle);
  release(handle.offset);
}

/**
 * {@link untrackHandle} without the release: the caller takes over `handle`'s reference (to
 * drop it without the candidate list, or to free the object it was the last to hold).
 */
export function forgetHandle(handle: SharedHandle): void {
  if (handle.tracking === REGISTERED) {
    registry.unregister(handle);
    unhold(handle.held!);
    handle.held = null;
  } else if (handle.tracking === PENDING && pending[handle.pendingIndex] === handle) {
    // Drop a pending handle from the list now: it kept its value (often a message holding the
    // next handles) alive until the end of the turn, past scavenges (measured: 1.5 µs of GC a
    // cross-domain round trip).
    pending[handle.pendingIndex] = undefined;
  }
  handle.tracking = UNTRACKED;
}

/** A new handle of this domain on the object at `offset`, holding its own reference. */
export function reviveHandle(kindId: number, offset: number): SharedHandle {
  const handle = newHandle(kindId, offset);
  trackHandle(handle);
  return handle;
}

/**
 * A new handle of this domain on the object at `offset` that takes over a reference its caller
 * owned (one an encoded value held, when its block is freed right after): no increment.
 */
export function adoptHandle(kindId: number, offset: number): SharedHandle {
  const handle = newHandle(kindId, offset);
  trackNewHandle(handle);
  return handle;
}

/** A handle of this domain on the object at `offset`, not yet tracked. */
function newHandle(kindId: number, offset: number): SharedHandle {
  const kind = kinds[kindId];
  if (kind === undefined) throw new TypeError(`Cannot revive a shared object of unknown kind ${kindId}: is its module loaded in this domain?`);
  return kind.revive(offset);
}

/** The kind id stored in an object's header. */
export function kindOf(offset: number): number {
  return getArena().i32[(offset >> 2) + O_KIND]!;
}
