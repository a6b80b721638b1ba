/**
 * The shared stream: a bounded FIFO queue in the arena that fibers of any domain can add to
 * and take from, with Eio's semantics (capacity 0 is a rendezvous; a waiting adder's item
 * moves into the buffer when a taker makes room; a blocked take that is cancelled loses no
 * item). Header words after the object header: lock, capacity, count, head index, ring block,
 * ring size, takers queue (head, tail), adders queue (head, tail). The ring holds encoded value
 * blocks; it starts small and doubles up to the capacity (an unbounded stream keeps growing).
 * @internal
 * @module
 */
import { currentFiber, type Fiber, type Operation, suspend } from "../core/scheduler.js";
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
const LOCK = OBJECT_HEADER / 4;
const CAPACITY = LOCK + 1;
const COUNT = LOCK + 2;
const HEAD = LOCK + 3;
const RING = LOCK + 4;
const RING_SIZE = LOCK + 5;
const TAKERS = LOCK + 6;
const ADDERS = LOCK + 8;
const HEADER_BYTES = 10 * 4;
/** The capacity word of an unbounded stream (`Infinity`). */
const UNBOUNDED = 0x7fffffff;
const FIRST_RING = 64;

/** A domain's handle on a shared stream. */
export class SharedStream<T> extends SharedHandle implements StreamImpl<T> {
  constructor(offset: number, readonly label?: string) {
    super(offset);
  }

  get capacity(): number {
    const capacity = getArena().i32[(this.offset >> 2) + CAPACITY]!;
    return capacity === UNBOUNDED ? Infinity : capacity;
  }

  *addOp(value: T): Operation<void> {
    const ref = encodeValue(value, true);
    // An item that carries this stream's own handle does not keep the stream alive.
    // An item naming other shared objects may close a cycle (see cycles.ts).
    if (ownValue(ref, this.offset)) markMayCycle(this.offset);
    if (this.tryPut(ref, false)) return;
    const i32 = getArena().i32;
    const word = this.offset >> 2;
    // Full: a taker in another domain usually makes room within microseconds.
    const capacity = i32[word + CAPACITY]!;
    if (capacity > 0 && spinWhile(currentFiber().scheduler, i32, word + COUNT, capacity) && this.tryPut(ref, false)) return;
    let w = 0;
    try {
      yield* suspend<void>("Stream.add", (fiber) => {
        if (this.tryPut(ref, true)) {
          fiber.scheduler.wake(fiber, undefined);
          return;
        }
        // tryPut left the lock held: queue ourselves with the item in hand.
        w = allocWaiter();
        setWaiterValue(w, ref);
        enqueueWaiter(word + ADDERS, w);
        unlockWord(i32, word + LOCK);
        this.parkCancellable(fiber, w, ADDERS);
      });
    } catch (error) {
      freeValue(ref); // cancelled (before or while waiting): the item was never added
      throw error;
    }
    wokeAfterSpin();
    if (w !== 0) freeWaiter(w);
  }

  /**
   * Gives `ref` to a waiting taker or puts it in the buffer; true if done. With `keepLock`, a
   * false result (the stream is full) leaves the lock held so the caller can queue atomically.
   */
  private tryPut(ref: number, keepLock: boolean): boolean {
    const i32 = getArena().i32;
    const word = this.offset >> 2;
    lockWord(i32, word + LOCK);
    const taker = claimFirst(word + TAKERS);
    if (taker !== 0) {
      setWaiterValue(taker, ref);
      unlockWord(i32, word + LOCK);
      deliver(taker);
      return true;
    }
    const capacity = i32[word + CAPACITY]!;
    const count = i32[word + COUNT]!;
    if (count < capacity) {
      // beforeRefsChange, by hand (measured: the call was not inlined on this hot path).
      if (Atomics.load(i32, word + O_SCAN) !== 0) Atomics.or(i32, word + O_SCAN, DIRTY);
      if (count === i32[word + RING_SIZE]) growRing(word);
      i32[(i32[word + RING]! >> 2) + ((i32[word + HEAD]! + count) % i32[word + RING_SIZE]!)] = ref;
      i32[word + COUNT] = count + 1;
      unlockWord(i32, word + LOCK);
      return true;
    }
    if (!keepLock) unlockWord(i32, word + LOCK);
    return false;
  }

  *takeOp(): Operation<T> {
    let ready = this.tryTake(false);
    if (ready !== 0) return decodeAndFree(ready) as T;
    const i32 = getArena().i32;
    const word = this.offset >> 2;
    // Empty: an adder in another domain may be about to put an item in the buffer.
    if (i32[word + CAPACITY] !== 0 && spinWhile(currentFiber().scheduler, i32, word + COUNT, 0)) {
      ready = this.tryTake(false);
      if (ready !== 0) return decodeAndFree(ready) as T;
    }
    let w = 0;
    let got = 0;
    yield* suspend<void>("Stream.take", (fiber) => {
      got = this.tryTake(true);
      if (got !== 0) {
        fiber.scheduler.wake(fiber, undefined);
        return;
      }
      w = allocWaiter();
      enqueueWaiter(word + TAKERS, w);
      unlockWord(i32, word + LOCK);
      this.parkCancellable(fiber, w, TAKERS);
    });
    wokeAfterSpin();
    if (w !== 0) {
      got = waiterValue(w);
      freeWaiter(w);
    }
    return decodeAndFree(got) as T;
  }

  /**
   * Takes the next item's block, or from a waiting adder when the capacity is 0; 0 if there
   * is none. With `keepLock`, a 0 result leaves the lock held so the caller can queue.
   */
  tryTake(keepLock: boolean): number {
    const i32 = getArena().i32;
    const word = this.offset >> 2;
    // Empty with a capacity: no adder waits either (adders wait only on a full buffer), so
    // there is nothing to take, and the lock is left to the adder about to put the next item.
    if (!keepLock && Atomics.load(i32, word + COUNT) === 0 && i32[word + CAPACITY] !== 0) return 0;
    lockWord(i32, word + LOCK);
    const count = i32[word + COUNT]!;
    let ref = 0;
    if (count > 0) {
      // beforeRefsChange, by hand (see tryPut).
      if (Atomics.load(i32, word + O_SCAN) !== 0) Atomics.or(i32, word + O_SCAN, DIRTY);
      const capacity = i32[word + RING_SIZE]!;
      const ring = i32[word + RING]! >> 2;
      const head = i32[word + HEAD]!;
      ref = i32[ring + head]!;
      i32[word + HEAD] = (head + 1) % capacity;
      const adder = claimFirst(word + ADDERS);
      if (adder !== 0) {
        // The first waiting adder's item takes the freed place, keeping FIFO order.
        i32[ring + ((head + count) % capacity)] = waiterValue(adder);
      } else {
        i32[word + COUNT] = count - 1;
      }
      unlockWord(i32, word + LOCK);
      if (adder !== 0) deliver(adder);
      return ref;
    }
    if (i32[word + CAPACITY] === 0) {
      const adder = claimFirst(word + ADDERS);
      if (adder !== 0) {
        ref = waiterValue(adder);
        unlockWord(i32, word + LOCK);
        deliver(adder);
        return ref;
      }
    }
    if (!keepLock) unlockWord(i32, word + LOCK);
    return 0;
  }

  takeNonblocking(): T | undefined {
    const ref = this.tryTake(false);
    return ref === 0 ? undefined : (decodeAndFree(ref) as T);
  }

  length(): number {
    return Atomics.load(getArena().i32, (this.offset >> 2) + COUNT);
  }

  private parkCancellable(fiber: Fiber, w: number, queue: number): void {
    const i32 = getArena().i32;
    const word = this.offset >> 2;
    park(fiber, w);
    fiber.cancelFn = (error) => {
      lockWord(i32, word + LOCK);
      const removed = removeWaiter(word + queue, w);
      unlockWord(i32, word + LOCK);
      // Not removed: the record was claimed and its item (or room) is on the way; it wins.
      if (!removed) return;
      unpark(w);
      freeWaiter(w);
      fiber.scheduler.wakeError(fiber, error);
    };
  }
}

/** Doubles a full ring (lock held), copying its items to the start of the new one. */
function growRing(word: number): void {
  const arena = getArena();
  const i32 = arena.i32;
  const size = i32[word + RING_SIZE]!;
  const newSize = Math.min(size * 2, i32[word + CAPACITY]!);
  const oldRing = i32[word + RING]!;
  const newRing = arena.alloc(newSize * 4);
  const head = i32[word + HEAD]!;
  for (let i = 0; i < size; i++) i32[(newRing >> 2) + i] = i32[(oldRing >> 2) + ((head + i) % size)]!;
  arena.free(oldRing);
  i32[word + RING] = newRing;
  i32[word + RING_SIZE] = newSize;
  i32[word + HEAD] = 0;
}

/** Makes a new shared stream and this domain's handle on it. */
export function createSharedStream<T>(capacity: number, label?: string): SharedStream<T> {
  if (!(capacity >= 0 && (Number.isInteger(capacity) || capacity === Infinity))) {
    throw new RangeError(`Stream.create: capacity must be a whole number >= 0 (or Infinity), got ${String(capacity)}`);
  }
  if (capacity !== Infinity && capacity >= UNBOUNDED) {
    throw new RangeError(`Stream.create: a shared stream holds at most ${UNBOUNDED - 1} items, got capacity ${capacity}; use Infinity for unbounded.`);
  }
  const offset = allocObject(STREAM_KIND, HEADER_BYTES);
  const arena = getArena();
  const word = offset >> 2;
  arena.i32.fill(0, word + LOCK, word + LOCK + HEADER_BYTES / 4);
  arena.i32[word + CAPACITY] = capacity === Infinity ? UNBOUNDED : capacity;
  if (capacity > 0) {
    const size = Math.min(capacity, FIRST_RING);
    arena.i32[word + RING] = arena.alloc(size * 4);
    arena.i32[word + RING_SIZE] = size;
  }
  Atomics.store(arena.i32, word + COUNT, 0);
  const handle = new SharedStream<T>(offset, label);
  trackHandle(handle);
  return handle;
}

registerKind({
  id: STREAM_KIND,
  name: "Stream",
  revive: (offset) => new SharedStream<unknown>(offset),
  destroy: (offset) => {
    const arena = getArena();
    const i32 = arena.i32;
    const word = offset >> 2;
    const capacity = i32[word + RING_SIZE]!;
    if (capacity === 0) return;
    const ring = i32[word + RING]! >> 2;
    for (let i = 0; i < i32[word + COUNT]!; i++) freeValue(i32[ring + ((i32[word + HEAD]! + i) % capacity)]!);
    arena.free(i32[word + RING]!);
  },
  // Only buffered items count: a blocked adder's item is the adder's (its fiber holds a handle
  // on the stream anyway), so the collector sees it as an outside reference.
  forEachRef: (offset, visit) => {
    const i32 = getArena().i32;
    const word = offset >> 2;
    lockWord(i32, word + LOCK);
    const size = i32[word + RING_SIZE]!;
    const ring = i32[word + RING]! >> 2;
    for (let i = 0; i < i32[word + COUNT]!; i++) forEachCountedRef(i32[ring + ((i32[word + HEAD]! + i) % size)]!, visit);
    unlockWord(i32, word + LOCK);
  },
});
