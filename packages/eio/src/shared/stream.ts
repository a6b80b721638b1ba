/**
 * The shared stream: a bounded FIFO queue in the arena that fibers of any domain can add to
 * and take from, with Eio's semantics (capacity 0 is a rendezvous; a waiting adder's item
 * moves into the buffer when a taker makes room; a blocked take that is cancelled loses no
 * item).
 *
 * It is a two-lock queue (Michael and Scott's) with its waiters beside it. Items sit in a ring
 * of slots, 0 when empty (no value reference is 0), indexed by two counters that only grow
 * (wrapping at 2^32): TAIL, which adders advance under the tail lock, and HEAD, which takers
 * advance under the head lock. Each side's lock and counter sit on a cache line of their own,
 * which the other side never reads: a taker knows there is an item when the slot at HEAD is
 * not empty, and an adder knows there is room when the slot of item TAIL - capacity is empty
 * (that item was taken; no later item can sit there). So one producer thread and one consumer
 * thread each take only their own lock, which stays in their core's cache, and the cores
 * exchange only the ring's lines, whose slots carry both the item and the signal (measured:
 * items through a stream from the main thread to a domain took 0.22-0.27 µs an item with one
 * lock for both sides, whose line moved between the cores several times an item; with a
 * counter each side read from the other's line, a ping-pong through two streams of capacity 1
 * took 1.8-2.1 µs a round trip, against 1.1-1.3 µs with the one lock, in alternating runs on a
 * loaded machine).
 *
 * Everything else takes the stream's lock (`LOCK`, then the tail lock, then the head lock, in
 * that order): capacity 0, a full or empty ring, growing it, and the queues of blocked takers
 * and adders. `WAITERS` says which queues are not empty; both fast paths read it first and
 * leave the work to the locked path while anyone waits, so a new add never overtakes a blocked
 * one nor a new take a blocked taker. A fast path that found no waiter reads `WAITERS` again
 * after writing its slot, and one that registers a waiter reads the slot again after setting
 * `WAITERS` (all sequentially consistent): whichever comes second sees the other, so an item
 * published as a taker registers (or room made as an adder registers) reaches the waiter.
 * Under the stream's lock, the invariant holds: no taker waits while the ring has an item, and
 * no adder waits while it has room.
 *
 * The ring starts small and doubles, a power of two, up to the capacity (an unbounded stream
 * keeps growing).
 * @internal
 * @module
 */
import { currentFiber, type Fiber, type Operation, type Suspend, suspend } from "../core/scheduler.js";
import type { StreamImpl } from "../sync/local-stream.js";
import { getArena } from "./arena.js";
import { lockWord, unlockWord } from "./atomics.js";
import { decodeAndFree, encodeValue, forEachCountedRef, freeValue, ownValue } from "./codec.js";
import { deliver, park, unpark } from "./doorbell.js";
import { spinWhile, wokeAfterSpin } from "./idle-policy.js";
import { allocObject, markMayCycle, registerKind, SharedHandle, trackHandle } from "./handle.js";
import { DIRTY, O_SCAN, OBJECT_HEADER } from "./layout.js";
import {
  allocWaiter, claimFirst, enqueueWaiter, freeWaiter, removeWaiter, setWaiterValue, waiterValue,
} from "./waiter.js";

export const STREAM_KIND = 2;
// Words from the object's start, on its first line (read by both sides, rarely written).
const LOCK = OBJECT_HEADER / 4;
const CAPACITY = LOCK + 1;
/** Bit {@link TAKERS_WAIT}: the takers queue is not empty; bit {@link ADDERS_WAIT}: the adders queue. */
const WAITERS = LOCK + 2;
const RING = LOCK + 3;
/** The ring's size minus one (a power of two minus one). */
const MASK = LOCK + 4;
const TAKERS = LOCK + 5;
const ADDERS = LOCK + 7;
const TAKERS_WAIT = 1;
const ADDERS_WAIT = 2;
const LINE = 64;
// Each side (the tail's, for adders; the head's, for takers) has a line that only its own side
// touches: its lock and its counter, TAIL (items ever added) or HEAD (items ever taken). The
// other side never reads it: whether there is an item, or room, is read in the ring's slots.
const SIDE_LOCK = 0;
const COUNTER = 1;
/** Word distance from the tail's line to the head's. */
const HEAD_SIDE = LINE / 4;
/** The first line, then up to a line of padding to align the two side lines. */
const PAYLOAD_BYTES = LINE - OBJECT_HEADER + LINE - 1 + 2 * LINE;
/** The capacity word of an unbounded stream (`Infinity`). */
const UNBOUNDED = 0x7fffffff;
const FIRST_RING = 64;

/** The word index of the tail's line of the stream at `offset` (the head's follows it). */
function tailLine(offset: number): number {
  return ((offset + LINE + LINE - 1) & ~(LINE - 1)) >> 2;
}

/**
 * Set by the last `tryTakeFast`: it returned 0 because it saw the ring empty with nobody
 * waiting (under the head lock), not because it left the work to the locked path.
 */
let foundEmpty = false;

/** Claimed waiters to wake once the stream's lock is released. */
const toDeliver: number[] = [];

function deliverClaimed(): void {
  for (let i = 0; i < toDeliver.length; i++) deliver(toDeliver[i]!);
  toDeliver.length = 0;
}

/** A reference that names no block holds no handle: storing or removing it is no change for the cycle collector. */
function isInline(ref: number): boolean {
  return (ref & 7) !== 0;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The part an add and a take share as hand-written iterators, kept by their handle and reused
 * (as `LocalStream`'s are): on the fast path a generator and its `yield*` cost about as much as
 * the rest of the operation. Like a generator, nothing happens until `yield*` runs it; a slow
 * one runs a generator of the stream's, `slow`, to its end, and is handed out again after.
 */
abstract class ReusableOperation<T, R> {
  protected slow: Operation<R> | null = null;

  constructor(protected readonly stream: SharedStream<T>) {}

  [Symbol.iterator](): this {
    return this;
  }

  abstract next(value?: unknown): IteratorResult<Suspend, R>;

  /** Makes this operation the stream's spare of its kind. */
  protected abstract recycle(): void;

  throw(error: unknown): IteratorResult<Suspend, R> {
    const slow = this.slow;
    if (slow === null) throw error;
    try {
      return this.after(slow.throw(error));
    } catch (thrown) {
      this.slow = null;
      throw thrown;
    }
  }

  return(value: R): IteratorResult<Suspend, R> {
    const slow = this.slow;
    this.slow = null;
    slow?.return(value);
    return { done: true, value };
  }

  protected after(result: IteratorResult<Suspend, R>): IteratorResult<Suspend, R> {
    if (result.done === true) {
      this.slow = null;
      this.recycle();
    }
    return result;
  }
}

/** `add` as a reusable iterator; a slow add runs {@link SharedStream.addSlow}. */
class AddOperation<T> extends ReusableOperation<T, void> {
  item: T | undefined = undefined;

  next(value?: unknown): IteratorResult<Suspend, void> {
    const slow = this.slow;
    if (slow !== null) return this.after(slow.next(value));
    const stream = this.stream;
    const item = this.item;
    this.item = undefined;
    const ref = stream.encodeItem(item);
    if (stream.tryAddFast(ref)) {
      stream.spareAdd = this;
      return DONE;
    }
    this.slow = stream.addSlow(ref);
    return this.after(this.slow.next());
  }

  protected recycle(): void {
    this.stream.spareAdd = this;
  }
}

/** `take` as a reusable iterator, its own result on the fast path; a slow take runs {@link SharedStream.takeSlow}. */
class TakeOperation<T> extends ReusableOperation<T, T> {
  readonly done = true as const;
  value: T = undefined as T;

  next(value?: unknown): IteratorResult<Suspend, T> {
    const slow = this.slow;
    if (slow !== null) return this.after(slow.next(value));
    const stream = this.stream;
    const ref = stream.tryTakeFast();
    if (ref !== 0) {
      this.value = decodeAndFree(ref) as T;
      stream.spareTake = this;
      return this;
    }
    this.slow = stream.takeSlow();
    return this.after(this.slow.next());
  }

  protected recycle(): void {
    this.stream.spareTake = this;
  }
}

/** A domain's handle on a shared stream. */
export class SharedStream<T> extends SharedHandle implements StreamImpl<T> {
  /** The capacity word (it never changes). */
  private readonly cap: number;
  private readonly word: number;
  /** Word indexes of the tail's and the head's lines. */
  private readonly tail: number;
  private readonly head: number;
  /** A finished operation of each kind, to hand out again. */
  spareAdd: AddOperation<T> | null = null;
  spareTake: TakeOperation<T> | null = null;

  constructor(offset: number, readonly label?: string) {
    super(offset);
    this.word = offset >> 2;
    this.cap = getArena().i32[this.word + CAPACITY]!;
    this.tail = tailLine(offset);
    this.head = this.tail + HEAD_SIDE;
  }

  get capacity(): number {
    return this.cap === UNBOUNDED ? Infinity : this.cap;
  }

  addOp(value: T): Operation<void> {
    let op = this.spareAdd;
    if (op === null) op = new AddOperation(this);
    else this.spareAdd = null;
    op.item = value;
    return op as unknown as Operation<void>;
  }

  takeOp(): Operation<T> {
    let op = this.spareTake;
    if (op === null) op = new TakeOperation(this);
    else this.spareTake = null;
    op.value = undefined as T;
    return op as unknown as Operation<T>;
  }

  /** Encodes an item for this stream. */
  encodeItem(value: unknown): number {
    const ref = encodeValue(value, true);
    // An item that carries this stream's own handle does not keep the stream alive.
    // An item naming other shared objects may close a cycle (see cycles.ts).
    if (!isInline(ref) && ownValue(ref, this.offset)) markMayCycle(this.offset);
    return ref;
  }

  /** The ring's slot for item number `n` (a word index). */
  private slot(i32: Int32Array, n: number): number {
    return (i32[this.word + RING]! >> 2) + (n & i32[this.word + MASK]!);
  }

  /**
   * The slot an add at `tail` looks at: empty if there is room. Item `tail - k` (k the capacity,
   * or the ring's size while it is smaller) has been taken, and its slot emptied, exactly when
   * there is room for one more item (or, the ring full, when it need not grow); no later item
   * can sit there, the ring being at least k long.
   */
  private roomSlot(i32: Int32Array, tail: number): number {
    const size = i32[this.word + MASK]! + 1;
    return this.slot(i32, tail - (this.cap < size ? this.cap : size));
  }

  /**
   * The adders' fast path: puts `ref` at the tail if nobody waits, the ring has room and need
   * not grow; true if done (only the tail lock taken).
   */
  tryAddFast(ref: number): boolean {
    if (this.cap === 0) return false;
    const i32 = getArena().i32;
    const word = this.word;
    if (Atomics.load(i32, word + WAITERS) !== 0) return false;
    const side = this.tail;
    lockWord(i32, side + SIDE_LOCK);
    const tail = i32[side + COUNTER]!;
    if (Atomics.load(i32, this.roomSlot(i32, tail)) !== 0) {
      unlockWord(i32, side + SIDE_LOCK);
      return false;
    }
    if (!isInline(ref)) beforeRefsChange(i32, word);
    Atomics.store(i32, this.slot(i32, tail), ref);
    i32[side + COUNTER] = tail + 1;
    unlockWord(i32, side + SIDE_LOCK);
    // A taker may have registered since we looked: it reads the slot after setting WAITERS.
    if ((Atomics.load(i32, word + WAITERS) & TAKERS_WAIT) !== 0) this.matchUnderLock();
    return true;
  }

  /**
   * The takers' fast path: the item at the head if nobody waits and there is one; 0 if not
   * (only the head lock taken).
   */
  tryTakeFast(): number {
    foundEmpty = false;
    if (this.cap === 0) return 0;
    const i32 = getArena().i32;
    const word = this.word;
    if (Atomics.load(i32, word + WAITERS) !== 0) return 0;
    const side = this.head;
    lockWord(i32, side + SIDE_LOCK);
    const ref = this.popLocked(i32);
    unlockWord(i32, side + SIDE_LOCK);
    foundEmpty = ref === 0;
    // An adder may have registered since we looked: it reads its slot after setting WAITERS.
    if (ref !== 0 && (Atomics.load(i32, word + WAITERS) & ADDERS_WAIT) !== 0) this.matchUnderLock();
    return ref;
  }

  /** Head lock held: takes the item at the head, emptying its slot; 0 if the ring is empty. */
  private popLocked(i32: Int32Array): number {
    const head = i32[this.head + COUNTER]!;
    const slot = this.slot(i32, head);
    const ref = Atomics.load(i32, slot);
    if (ref === 0) return 0;
    if (!isInline(ref)) beforeRefsChange(i32, this.word);
    Atomics.store(i32, slot, 0);
    i32[this.head + COUNTER] = head + 1;
    return ref;
  }

  /** Hands ring items to waiting takers and room to waiting adders, under the stream's lock. */
  private matchUnderLock(): void {
    const i32 = getArena().i32;
    lockWord(i32, this.word + LOCK);
    this.matchTakers();
    this.matchAdders();
    this.publishWaiters();
    unlockWord(i32, this.word + LOCK);
    deliverClaimed();
  }

  /** Stream lock held: gives the ring's items, oldest first, to the waiting takers, first first. */
  private matchTakers(): void {
    const i32 = getArena().i32;
    const word = this.word;
    if (i32[word + TAKERS] === 0 || this.cap === 0) return;
    const side = this.head;
    lockWord(i32, side + SIDE_LOCK);
    while (Atomics.load(i32, this.slot(i32, i32[side + COUNTER]!)) !== 0) {
      const taker = claimFirst(word + TAKERS);
      if (taker === 0) break;
      setWaiterValue(taker, this.popLocked(i32));
      toDeliver.push(taker);
    }
    unlockWord(i32, side + SIDE_LOCK);
  }

  /** Stream lock held: moves the waiting adders' items, first first, into the room the ring has. */
  private matchAdders(): void {
    const i32 = getArena().i32;
    const word = this.word;
    if (i32[word + ADDERS] === 0 || this.cap === 0) return;
    const side = this.tail;
    lockWord(i32, side + SIDE_LOCK);
    while (this.hasRoom(i32)) {
      const adder = claimFirst(word + ADDERS);
      if (adder === 0) break;
      this.putLocked(waiterValue(adder));
      toDeliver.push(adder);
    }
    unlockWord(i32, side + SIDE_LOCK);
  }

  /** Tail lock held: whether the stream has room for one more item (the ring may have to grow). */
  private hasRoom(i32: Int32Array): boolean {
    const tail = i32[this.tail + COUNTER]!;
    if (this.cap > i32[this.word + MASK]! + 1) return true; // the ring is smaller than the capacity: it grows
    return Atomics.load(i32, this.slot(i32, tail - this.cap)) === 0;
  }

  /** Stream lock and tail lock held, room checked: appends `ref`, growing the ring if it is full. */
  private putLocked(ref: number): void {
    const i32 = getArena().i32;
    const tail = i32[this.tail + COUNTER]!;
    if (Atomics.load(i32, this.slot(i32, tail)) !== 0) this.growRing();
    if (!isInline(ref)) beforeRefsChange(i32, this.word);
    Atomics.store(i32, this.slot(i32, tail), ref);
    i32[this.tail + COUNTER] = tail + 1;
  }

  /** Stream lock and tail lock held: doubles the ring (up to the capacity), under the head lock too. */
  private growRing(): void {
    const arena = getArena();
    const i32 = arena.i32;
    const word = this.word;
    lockWord(i32, this.head + SIDE_LOCK);
    const size = i32[word + MASK]! + 1;
    const newSize = Math.min(size * 2, ringSizeFor(this.cap));
    const oldRing = i32[word + RING]! >> 2;
    const newRing = arena.alloc(newSize * 4);
    i32.fill(0, newRing >> 2, (newRing >> 2) + newSize);
    const tail = i32[this.tail + COUNTER]!;
    for (let c = i32[this.head + COUNTER]!; c !== tail; c = (c + 1) | 0) {
      i32[(newRing >> 2) + (c & (newSize - 1))] = i32[oldRing + (c & (size - 1))]!;
    }
    arena.free(oldRing << 2);
    Atomics.store(i32, word + RING, newRing);
    Atomics.store(i32, word + MASK, newSize - 1);
    unlockWord(i32, this.head + SIDE_LOCK);
  }

  /** Stream lock held: publishes which queues have waiters (read by the fast paths). */
  private publishWaiters(): void {
    const i32 = getArena().i32;
    const word = this.word;
    Atomics.store(i32, word + WAITERS, (i32[word + TAKERS] !== 0 ? TAKERS_WAIT : 0) | (i32[word + ADDERS] !== 0 ? ADDERS_WAIT : 0));
  }

  /**
   * The slot to spin on while the stream is full and nobody waits (an add had better spin than
   * take the lock); -1 if it is not. Read without the locks: a hint.
   */
  private fullSlot(): number {
    const i32 = getArena().i32;
    if (this.cap === 0 || Atomics.load(i32, this.word + WAITERS) !== 0 || this.cap > i32[this.word + MASK]! + 1) return -1;
    const slot = this.slot(i32, i32[this.tail + COUNTER]! - this.cap);
    return Atomics.load(i32, slot) !== 0 ? slot : -1;
  }

  /**
   * The slot to spin on while the stream is empty and nobody waits (so no adder either, as
   * adders wait only on a full ring); -1 if it is not. Read without the locks: a hint.
   */
  private emptySlot(): number {
    const i32 = getArena().i32;
    if (this.cap === 0 || Atomics.load(i32, this.word + WAITERS) !== 0) return -1;
    const slot = this.slot(i32, i32[this.head + COUNTER]!);
    return Atomics.load(i32, slot) === 0 ? slot : -1;
  }

  /**
   * An add that could not take the fast path: done under the lock if it can be (a waiting
   * taker gets the item without this fiber suspending, as in Eio); if full, spins for room,
   * then waits.
   */
  *addSlow(ref: number): Operation<void> {
    const full = this.fullSlot();
    if (full < 0) {
      if (this.addLocked(ref, false)) return;
    } else {
      // Full: a taker in another domain usually makes room within microseconds.
      const i32 = getArena().i32;
      if (spinWhile(currentFiber().scheduler, i32, full, Atomics.load(i32, full)) && this.tryAddFast(ref)) return;
    }
    let w = 0;
    try {
      yield* suspend<void>("Stream.add", (fiber) => {
        if (this.addLocked(ref, true)) fiber.scheduler.wake(fiber, undefined);
        else w = this.enqueueAdder(ref, fiber);
      });
    } catch (error) {
      freeValue(ref); // cancelled (before or while waiting): the item was never added
      throw error;
    }
    wokeAfterSpin();
    if (w !== 0) freeWaiter(w);
  }

  /**
   * Under the stream's lock: hands `ref` to a waiting taker, or puts it in the ring; true if
   * done. With `keepLock`, a false result (it must wait) leaves the lock held for
   * {@link enqueueAdder}.
   */
  private addLocked(ref: number, keepLock: boolean): boolean {
    const i32 = getArena().i32;
    const word = this.word;
    lockWord(i32, word + LOCK);
    this.matchTakers();
    let done = false;
    const taker = claimFirst(word + TAKERS);
    if (taker !== 0) {
      // Takers still waiting: the ring is empty, so this item is the oldest.
      setWaiterValue(taker, ref);
      toDeliver.push(taker);
      done = true;
    } else if (this.cap > 0) {
      this.matchAdders();
      if (i32[word + ADDERS] === 0) {
        const side = this.tail;
        lockWord(i32, side + SIDE_LOCK);
        if (this.hasRoom(i32)) {
          this.putLocked(ref);
          done = true;
        }
        unlockWord(i32, side + SIDE_LOCK);
      }
    }
    if (done || !keepLock) {
      this.publishWaiters();
      unlockWord(i32, word + LOCK);
      deliverClaimed();
    }
    return done;
  }

  /** Stream lock held (left by {@link addLocked}): queues `fiber` with its item and releases it. */
  private enqueueAdder(ref: number, fiber: Fiber): number {
    const i32 = getArena().i32;
    const word = this.word;
    const w = allocWaiter();
    setWaiterValue(w, ref);
    enqueueWaiter(word + ADDERS, w);
    this.publishWaiters();
    // A take on the fast path may have made room since: it reads WAITERS after HEAD.
    this.matchAdders();
    this.publishWaiters();
    unlockWord(i32, word + LOCK);
    this.parkCancellable(fiber, w, ADDERS);
    deliverClaimed();
    return w;
  }

  /**
   * A take that found nothing on the fast path: done under the lock if it can be (from a
   * waiting adder when the capacity is 0); if empty, spins for an item, then waits.
   */
  *takeSlow(): Operation<T> {
    const empty = this.emptySlot();
    if (empty < 0) {
      const ref = this.takeLocked(false);
      if (ref !== 0) return decodeAndFree(ref) as T;
    } else {
      // Empty: an adder in another domain may be about to put an item in.
      if (spinWhile(currentFiber().scheduler, getArena().i32, empty, 0)) {
        const ref = this.tryTakeFast();
        if (ref !== 0) return decodeAndFree(ref) as T;
      }
    }
    let w = 0;
    let got = 0;
    yield* suspend<void>("Stream.take", (fiber) => {
      got = this.takeLocked(true);
      if (got !== 0) {
        fiber.scheduler.wake(fiber, undefined);
        return;
      }
      w = this.enqueueTaker(fiber);
    });
    wokeAfterSpin();
    if (w !== 0) {
      got = waiterValue(w);
      freeWaiter(w);
    }
    return decodeAndFree(got) as T;
  }

  /**
   * Takes the next item under the stream's lock: from the ring (moving a waiting adder's item
   * into the room), or from a waiting adder when the capacity is 0; 0 if there is none, and
   * then, with `keepLock`, the lock stays held for {@link enqueueTaker}.
   */
  private takeLocked(keepLock: boolean): number {
    const i32 = getArena().i32;
    const word = this.word;
    lockWord(i32, word + LOCK);
    this.matchAdders();
    this.matchTakers();
    let ref = 0;
    if (i32[word + TAKERS] !== 0) {
      // Earlier takers still wait (so the ring is empty): queue behind them.
    } else if (this.cap === 0) {
      const adder = claimFirst(word + ADDERS);
      if (adder !== 0) {
        ref = waiterValue(adder);
        toDeliver.push(adder);
      }
    } else {
      lockWord(i32, this.head + SIDE_LOCK);
      ref = this.popLocked(i32);
      unlockWord(i32, this.head + SIDE_LOCK);
      if (ref !== 0) this.matchAdders();
    }
    if (ref !== 0 || !keepLock) {
      this.publishWaiters();
      unlockWord(i32, word + LOCK);
      deliverClaimed();
    }
    return ref;
  }

  /** Stream lock held (left by {@link takeLocked}): queues `fiber` as a taker and releases it. */
  private enqueueTaker(fiber: Fiber): number {
    const i32 = getArena().i32;
    const word = this.word;
    const w = allocWaiter();
    enqueueWaiter(word + TAKERS, w);
    this.publishWaiters();
    // An add on the fast path may have published an item since: it reads WAITERS after TAIL.
    this.matchTakers();
    this.publishWaiters();
    unlockWord(i32, word + LOCK);
    this.parkCancellable(fiber, w, TAKERS);
    deliverClaimed();
    return w;
  }

  takeNonblocking(): T | undefined {
    let ref = this.tryTakeFast();
    if (ref === 0 && !foundEmpty) ref = this.takeLocked(false);
    return ref === 0 ? undefined : (decodeAndFree(ref) as T);
  }

  length(): number {
    if (this.cap === 0) return 0;
    const i32 = getArena().i32;
    const head = Atomics.load(i32, this.head + COUNTER);
    const count = (Atomics.load(i32, this.tail + COUNTER) - head) | 0;
    // Read while both sides move: keep it within what the stream can hold.
    return Math.max(0, Math.min(count, this.cap));
  }

  private parkCancellable(fiber: Fiber, w: number, queue: number): void {
    const i32 = getArena().i32;
    const word = this.word;
    park(fiber, w);
    fiber.cancelFn = (error) => {
      lockWord(i32, word + LOCK);
      const removed = removeWaiter(word + queue, w);
      if (removed) this.publishWaiters();
      unlockWord(i32, word + LOCK);
      // Not removed: the record was claimed and its item (or room) is on the way; it wins.
      if (!removed) return;
      unpark(w);
      freeWaiter(w);
      fiber.scheduler.wakeError(fiber, error);
    };
  }
}

/** Before a value that may hold references goes in or out of the ring (see cycles.ts, rule 3). */
function beforeRefsChange(i32: Int32Array, word: number): void {
  if (Atomics.load(i32, word + O_SCAN) !== 0) Atomics.or(i32, word + O_SCAN, DIRTY);
}

/** The largest ring a stream of capacity word `cap` needs: the power of two at or above it. */
function ringSizeFor(cap: number): number {
  if (cap === UNBOUNDED) return 2 ** 30;
  let size = 1;
  while (size < cap) size *= 2;
  return size;
}

/** Makes a new shared stream and this domain's handle on it. */
export function createSharedStream<T>(capacity: number, label?: string): SharedStream<T> {
  if (!(capacity >= 0 && (Number.isInteger(capacity) || capacity === Infinity))) {
    throw new RangeError(`Stream.create: capacity must be a whole number >= 0 (or Infinity), got ${String(capacity)}`);
  }
  if (capacity !== Infinity && capacity >= UNBOUNDED) {
    throw new RangeError(`Stream.create: a shared stream holds at most ${UNBOUNDED - 1} items, got capacity ${capacity}; use Infinity for unbounded.`);
  }
  const offset = allocObject(STREAM_KIND, PAYLOAD_BYTES);
  const arena = getArena();
  const word = offset >> 2;
  const cap = capacity === Infinity ? UNBOUNDED : capacity;
  arena.i32.fill(0, word + LOCK, word + (OBJECT_HEADER + PAYLOAD_BYTES) / 4);
  arena.i32[word + CAPACITY] = cap;
  if (cap > 0) {
    const size = Math.min(ringSizeFor(cap), FIRST_RING);
    const ring = arena.alloc(size * 4);
    arena.i32.fill(0, ring >> 2, (ring >> 2) + size); // an empty slot is 0 (no reference is)
    arena.i32[word + RING] = ring;
    arena.i32[word + MASK] = size - 1;
  }
  Atomics.store(arena.i32, word + WAITERS, 0);
  const handle = new SharedStream<T>(offset, label);
  trackHandle(handle);
  return handle;
}

/** Calls `visit` with each buffered item's reference, oldest first (the caller keeps the stream still). */
function forEachItem(offset: number, visit: (ref: number) => void): void {
  const i32 = getArena().i32;
  const word = offset >> 2;
  const tailSide = tailLine(offset);
  const ring = i32[word + RING]! >> 2;
  const mask = i32[word + MASK]!;
  const tail = i32[tailSide + COUNTER]!;
  for (let c = i32[tailSide + HEAD_SIDE + COUNTER]!; c !== tail; c = (c + 1) | 0) visit(i32[ring + (c & mask)]!);
}

registerKind({
  id: STREAM_KIND,
  name: "Stream",
  revive: (offset) => new SharedStream<unknown>(offset),
  destroy: (offset) => {
    const arena = getArena();
    const word = offset >> 2;
    if (arena.i32[word + CAPACITY] === 0) return;
    forEachItem(offset, freeValue);
    arena.free(arena.i32[word + RING]!);
  },
  // Only buffered items count: a blocked adder's item is the adder's (its fiber holds a handle
  // on the stream anyway), so the collector sees it as an outside reference.
  forEachRef: (offset, visit) => {
    const i32 = getArena().i32;
    const word = offset >> 2;
    const tailSide = tailLine(offset);
    lockWord(i32, word + LOCK);
    lockWord(i32, tailSide + SIDE_LOCK);
    lockWord(i32, tailSide + HEAD_SIDE + SIDE_LOCK);
    if (i32[word + CAPACITY] !== 0) forEachItem(offset, (ref) => forEachCountedRef(ref, visit));
    unlockWord(i32, tailSide + HEAD_SIDE + SIDE_LOCK);
    unlockWord(i32, tailSide + SIDE_LOCK);
    unlockWord(i32, word + LOCK);
  },
});
