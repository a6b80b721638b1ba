/**
 * The shared promise: a cell in the arena that fibers of any domain can await and resolve.
 * Cell words after the object header: lock, state, value block, waiter queue head and tail.
 * The value is encoded once, when resolved; each handle decodes its own copy on first read.
 *
 * Reclamation without the garbage collector: a resolved promise never changes, so a handle
 * that has read the value keeps it and lets go of the cell at once. In the usual life of a
 * promise (created, resolver sent, resolved, awaited) the cell is freed as soon as the last
 * party has looked at it; only handles dropped while pending wait for a `FinalizationRegistry`.
 * @internal
 * @module
 */
import type { Cancelled } from "../core/errors.js";
import { currentFiber, enterSuspend, type Fiber, HandWrittenOp, type Operation, SUSPEND_STEP, type Suspend } from "../core/scheduler.js";
import type { PromiseImpl } from "../core/local-promise.js";
import { getArena } from "./arena.js";
import { lockWord, unlockWord } from "./atomics.js";
import { decodeAndFree, decodeValue, encodedMoved, encodeValue, forEachCountedRef, freeValue, namesOwner, ownValue } from "./codec.js";
import { deliver, park, unpark } from "./doorbell.js";
import { spinWhile, wokeAfterSpin } from "./idle-policy.js";
import {
  allocObject, beforeRefsChange, dropReference, forgetHandle, markMayCycle, registerKind, release, retain, SharedHandle, trackNewHandle,
  untrackHandle,
} from "./handle.js";
import { O_REFCOUNT, OBJECT_HEADER } from "./layout.js";
import { allocWaiter, claimFirst, enqueueWaiter, freeWaiter, removeWaiter } from "./waiter.js";

export const PROMISE_KIND = 1;
const LOCK = OBJECT_HEADER / 4;
const STATE = LOCK + 1;
const VALUE = LOCK + 2;
const WAITERS = LOCK + 3; // head; tail is the next word
const CELL_BYTES = 5 * 4;
const PENDING = 0;
const RESOLVED = 1;

/** A domain's handle on a shared promise cell; it is both the promise and its resolver. */
export class SharedPromise<T> extends SharedHandle implements PromiseImpl<T> {
  /** True once this handle holds the value and no longer references the cell. @internal */
  declare settled: boolean;
  /**
   * The value, once this handle has it. The handle that resolved the promise keeps the very
   * value it was given, as a local promise does: nothing crossed to another domain, so there is
   * no copy to make (decoding its own copy at once cost a third of a cross-domain round trip).
   * Every other handle, in this domain or another, decodes the copy made when it was resolved.
   */
  private declare value: T | undefined;
  declare readonly label: string | undefined;

  /** (Fields assigned here, not initialized where declared: see `SharedHandle`.) */
  constructor(offset: number, label?: string) {
    super(offset);
    this.settled = false;
    this.value = undefined;
    this.label = label;
  }

  awaitOp(): Operation<T> {
    return new SharedAwaitOp<T>(this) as unknown as Operation<T>;
  }

  tryResolveValue(value: T): boolean {
    if (this.settled) return false;
    const i32 = getArena().i32;
    const word = this.offset >> 2;
    if (Atomics.load(i32, word + STATE) === RESOLVED) {
      this.settle();
      return false;
    }
    const copiesBefore = copiesMade;
    const ref = encodeValue(value);
    // Every object the value names is held by a live handle of this thread (in `value`, alive
    // through this call), unless encoding made a fresh copy of a settled promise, which only the
    // value holds. Then no cycle through this cell can lose its last outside reference by the
    // release below: it need not be a cycle candidate (see the end).
    const namesHeld = copiesMade === copiesBefore;
    // Buffers moved with Eio.transfer are detached here now: this domain's awaiters read the value back as the others do.
    const local = encodedMoved() ? (decodeValue(ref) as T) : value;
    // A value naming other shared objects may close a cycle (see cycles.ts).
    const cyclic = ownValue(ref, this.offset);
    if (cyclic) markMayCycle(this.offset);
    lockWord(i32, word + LOCK);
    if (i32[word + STATE] === RESOLVED) {
      unlockWord(i32, word + LOCK);
      freeValue(ref);
      this.settle();
      return false;
    }
    if (cyclic) beforeRefsChange(i32, this.offset);
    i32[word + VALUE] = ref;
    // Not a candidate when the value names only held objects: a cycle through this cell runs
    // through one of them, whose own release, later, is the one that may leave it garbage (and
    // lists it). Listed, a message's cell stayed alive until the candidate buffer was flushed,
    // so its reader could not take its value over (see `settle`). And the reference goes before
    // the value is published: a reader in another domain, spinning on the state, used to find
    // it still there and could not take the value over either (measured: 6% of a cross-domain
    // ping-pong's reads did; each miss then kept the next cell's count up, through the message
    // block it left behind). Never the last one here: the cell is still being written (whoever
    // drops the last reference meanwhile waits for the lock to be free, see `waitUnlocked`).
    const dropped = namesHeld && dropUnlessLast(i32, word);
    Atomics.store(i32, word + STATE, RESOLVED);
    // Claimed in FIFO order under the lock, delivered after it. Almost always one waiter or
    // none: no array for those.
    const first = claimFirst(word + WAITERS);
    let more: number[] | null = null;
    if (first !== 0) for (let w = claimFirst(word + WAITERS); w !== 0; w = claimFirst(word + WAITERS)) (more ??= []).push(w);
    unlockWord(i32, word + LOCK);
    if (first !== 0) deliver(first);
    if (more !== null) for (const w of more) deliver(w);
    this.value = local;
    this.settled = true;
    if (dropped) forgetHandle(this);
    else if (namesHeld) {
      // The last reference: no cycle can be left behind.
      forgetHandle(this);
      dropReference(this.offset);
    } else {
      untrackHandle(this);
    }
    return true;
  }

  peekState(): { resolved: true; value: T } | { resolved: false } {
    if (this.settled) return { resolved: true, value: this.settledValue() };
    if (Atomics.load(getArena().i32, (this.offset >> 2) + STATE) !== RESOLVED) return { resolved: false };
    return { resolved: true, value: this.settle() };
  }

  /**
   * Sending a settled handle: the old cell may be gone, so make a resolved one to share. Settled
   * handles whose values name one another (A's value holds B, B's holds A) are copied once each
   * per send, the copies naming one another: `copying` remembers the cells being made.
   */
  override sendRef(): number {
    if (!this.settled) return super.sendRef();
    const i32 = getArena().i32;
    const copying = copies.get(this);
    if (copying !== undefined) {
      retain(copying);
      return copying;
    }
    copiesMade++;
    const cell = newCell(1); // the message's reference
    copies.set(this, cell);
    let ref: number;
    try {
      ref = encodeValue(this.value);
    } catch (error) {
      copies.delete(this);
      release(cell);
      throw error;
    }
    copies.delete(this);
    if (ownValue(ref, cell)) markMayCycle(cell);
    i32[(cell >> 2) + VALUE] = ref;
    Atomics.store(i32, (cell >> 2) + STATE, RESOLVED);
    return cell;
  }

  /** The value of a settled handle. @internal */
  settledValue(): T {
    return this.value as T;
  }

  /** Reads the (resolved) cell's value into this handle and lets go of the cell. @internal */
  settle(): T {
    const arena = getArena();
    const i32 = arena.i32;
    const word = this.offset >> 2;
    const ref = i32[word + VALUE]!;
    // The last reference is this handle's: nobody else can read the value or take a new
    // reference (a collection looking at the cell holds one), so the value's references become
    // this handle's value's, and the cell goes without a decrement or a destroy. Usual for a
    // message: its sender let go when it resolved. Not when the value names the cell itself.
    if (Atomics.load(i32, word + O_REFCOUNT) === 1 && !namesOwner(ref)) {
      this.value = decodeAndFree(ref) as T;
      this.settled = true;
      forgetHandle(this);
      waitUnlocked(i32, word + LOCK);
      arena.free(this.offset);
      return this.value as T;
    }
    this.value = decodeValue(ref) as T;
    this.settled = true;
    untrackHandle(this);
    return this.value as T;
  }
}

/**
 * `Promise.await` on a shared promise, by hand (see `HandWrittenOp`): no generator and no
 * closure per wait, as for local promises (a round trip between domains awaits twice). It is
 * its own final result (`done`, `value`): no result object per await. (Not reused for the next
 * await, as the local one is: a spare operation kept the last value, and the shared objects it
 * names, alive until the next await.)
 */
class SharedAwaitOp<T> extends HandWrittenOp<T> {
  /** -1 before the first step; then the waiter record, or 0 when there is none to free. */
  declare w: number;
  declare readonly handle: SharedPromise<T>;
  declare value: T | undefined;
  declare readonly done: true;

  /** (Fields assigned here, not initialized where declared: see `SharedHandle`.) */
  constructor(handle: SharedPromise<T>) {
    super();
    this.handle = handle;
    this.w = -1;
    this.value = undefined;
    this.done = true;
  }

  /** The final result. */
  private finish(value: T): IteratorReturnResult<T> {
    this.value = value;
    return this as IteratorReturnResult<T>;
  }

  next(): IteratorResult<Suspend, T> {
    const handle = this.handle;
    if (this.w >= 0) {
      // Woken: by a resolver (free our record), or at once (the cell was resolved meanwhile).
      wokeAfterSpin();
      if (this.w !== 0) freeWaiter(this.w);
      this.w = 0;
      // Another fiber of this domain may have settled the handle while we waited.
      return this.finish(handle.settled ? handle.settledValue() : handle.settle());
    }
    if (handle.settled) return this.finish(handle.settledValue());
    const i32 = getArena().i32;
    const word = handle.offset >> 2;
    if (Atomics.load(i32, word + STATE) === RESOLVED) return this.finish(handle.settle());
    const fiber = currentFiber();
    // The resolver in another domain is often microseconds away: look at the cell before waiting.
    if (spinWhile(fiber.scheduler, i32, word + STATE, PENDING)) return this.finish(handle.settle());
    this.w = 0;
    if (!enterSuspend(fiber, "Promise.await")) return SUSPEND_STEP;
    // The record is made before taking the lock: the resolver in another domain comes for the
    // same lock, and a holder that stalls (a cache miss, an interrupt) past its spin sends it to
    // sleep in the OS, tens of microseconds (measured: 1 in 75 round trips did before).
    const w = allocWaiter();
    lockWord(i32, word + LOCK);
    if (i32[word + STATE] === RESOLVED) {
      unlockWord(i32, word + LOCK);
      freeWaiter(w);
      fiber.scheduler.wake(fiber, undefined);
      return SUSPEND_STEP;
    }
    this.w = w;
    enqueueWaiter(word + WAITERS, w);
    unlockWord(i32, word + LOCK);
    park(fiber, w);
    fiber.cancelFn = cancelAwait;
    fiber.waitingFor = this;
    return SUSPEND_STEP;
  }
}

/** The cells {@link SharedPromise.sendRef} is making, by the settled handle they copy. */
const copies = new Map<SharedPromise<unknown>, number>();
/** How many such cells were made so far (see `tryResolveValue`). */
let copiesMade = 0;

/** One cancel function for every shared await: the operation is in `fiber.waitingFor`. */
function cancelAwait(error: Cancelled, fiber: Fiber): void {
  const op = fiber.waitingFor as SharedAwaitOp<unknown>;
  const handle = op.handle;
  // Settled meanwhile (another fiber of this domain read the value through this handle): the
  // handle let go of the cell, which may be freed and reused by now, so it must not be
  // touched. Resolution claimed every waiter, ours included: its wake-up is on the way.
  if (handle.settled) return;
  const i32 = getArena().i32;
  const word = handle.offset >> 2;
  lockWord(i32, word + LOCK);
  const removed = removeWaiter(word + WAITERS, op.w);
  unlockWord(i32, word + LOCK);
  // Not removed: a resolver claimed the record and its wake is on the way; let it win.
  if (!removed) return;
  fiber.waitingFor = null;
  unpark(op.w);
  freeWaiter(op.w);
  op.w = 0;
  fiber.scheduler.wakeError(fiber, error);
}

/**
 * Drops one reference to the cell at word `word` unless it is the last one; true if it did.
 * Called under the cell's lock (see `tryResolveValue`).
 */
function dropUnlessLast(i32: Int32Array, word: number): boolean {
  let count = Atomics.load(i32, word + O_REFCOUNT);
  while (count > 1) {
    const seen = Atomics.compareExchange(i32, word + O_REFCOUNT, count, count - 1);
    if (seen === count) return true;
    count = seen;
  }
  return false;
}

/**
 * Before a cell is freed: a resolver that dropped its reference under the lock (see
 * `tryResolveValue`) may still be finishing with the cell; it unlocks as its last touch.
 */
function waitUnlocked(i32: Int32Array, lock: number): void {
  if (Atomics.load(i32, lock) === 0) return;
  lockWord(i32, lock);
  unlockWord(i32, lock);
}

/** A new pending cell with `refs` references (plain stores: see `allocObject`). */
function newCell(refs: number): number {
  const offset = allocObject(PROMISE_KIND, CELL_BYTES, refs);
  const i32 = getArena().i32;
  const word = offset >> 2;
  i32[word + LOCK] = 0;
  i32[word + STATE] = PENDING;
  i32[word + VALUE] = 0;
  i32[word + WAITERS] = 0;
  i32[word + WAITERS + 1] = 0;
  return offset;
}

/** Makes a new shared promise cell and this domain's handle on it (its one reference). */
export function createSharedPromise<T>(label?: string): SharedPromise<T> {
  const handle = new SharedPromise<T>(newCell(1), label);
  trackNewHandle(handle);
  return handle;
}

registerKind({
  id: PROMISE_KIND,
  name: "Promise",
  revive: (offset) => new SharedPromise<unknown>(offset),
  destroy: (offset) => {
    const i32 = getArena().i32;
    const word = offset >> 2;
    waitUnlocked(i32, word + LOCK);
    if (i32[word + STATE] === RESOLVED) freeValue(i32[word + VALUE]!);
  },
  forEachRef: (offset, visit) => {
    const i32 = getArena().i32;
    const word = offset >> 2;
    lockWord(i32, word + LOCK);
    if (i32[word + STATE] === RESOLVED) forEachCountedRef(i32[word + VALUE]!, visit);
    unlockWord(i32, word + LOCK);
  },
});
