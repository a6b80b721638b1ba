/**
 * The in-domain stream: a bounded FIFO of items plus FIFO queues of blocked takers and adders.
 * It follows Eio's `Stream.Locking` (capacity > 0) and `Sync` (capacity 0) and merges them: with
 * capacity 0 the item queue stays empty and a taker takes straight from the first blocked adder.
 *
 * Invariants (outside of a method): `readers` is empty or `items` is empty; `writers` is empty
 * or `items` holds `capacity` items. So a blocked reader and a blocked writer never coexist.
 * @internal
 * @module
 */
import { Deque } from "../core/deque.js";
import type { Cancelled } from "../core/errors.js";
import { beginSuspend, type Fiber, type Operation, SUSPEND, type Suspend } from "../core/scheduler.js";

/** What every stream implementation provides (this one, and the shared one in `shared/`). @internal */
export interface StreamImpl<T> {
  readonly capacity: number;
  addOp(item: T): Operation<void>;
  takeOp(): Operation<T>;
  /** The next item, or `undefined` if none is ready. */
  takeNonblocking(): T | undefined;
  length(): number;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const SUSPENDED: IteratorYieldResult<Suspend> = Object.freeze({ done: false, value: SUSPEND });

const enum Phase {
  /** Made or reused, not yet run. */
  New,
  Waiting,
  /** Finished: back in its stream's spare slot (or dropped). */
  Done,
}

/**
 * `add` and `take` return these hand-written iterators instead of generators: on the fast path
 * (room, or an item ready) a generator costs about twice as much, and when waiting they save
 * the generator and closures of `suspend`. Like a generator, nothing happens until `yield*`
 * runs it. When it waits, it yields SUSPEND once; the scheduler then resumes it with `next`
 * (the value) or `throw` (cancellation).
 *
 * Each stream keeps one finished operation of each kind and hands it out again (`addOp`,
 * `takeOp`), so a producer and a consumer in a loop allocate nothing per item. An operation
 * runs once, like any generator: it goes back to its stream when it finishes, and is not
 * touched after that (`yield*` never drives a finished iterator again).
 */
class AddOperation<T> implements Iterator<Suspend, void, unknown> {
  phase = Phase.New;
  item: T;
  /** The waiting fiber: set while this operation sits in the stream's `writers`. */
  fiber: Fiber | null = null;

  constructor(
    private readonly stream: LocalStream<T>,
    item: T,
  ) {
    this.item = item;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Suspend, void> {
    if (this.phase === Phase.New && !this.stream.tryAdd(this.item)) {
      this.phase = Phase.Waiting;
      const fiber = beginSuspend("Stream.add");
      if (fiber !== null) this.stream.waitToAdd(this, fiber);
      return SUSPENDED;
    }
    this.finish();
    return DONE;
  }

  throw(error: unknown): IteratorResult<Suspend, void> {
    this.finish();
    throw error;
  }

  return(): IteratorResult<Suspend, void> {
    this.finish();
    return DONE;
  }

  private finish(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.item = undefined as T;
    this.fiber = null;
    this.stream.spareAdd = this;
  }
}

/** Its own iterator result, too: `yield*` reads `done` and `value` from it at once. */
class TakeOperation<T> implements Iterator<Suspend, T, unknown> {
  phase = Phase.New;
  done = true as const;
  value: T = undefined as T;

  constructor(private readonly stream: LocalStream<T>) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(value?: unknown): IteratorResult<Suspend, T> {
    const stream = this.stream;
    if (this.phase !== Phase.New) {
      // Resumed by the adder that handed us `value`.
      this.value = value as T;
    } else if (stream.hasReady()) {
      this.value = stream.takeReady();
    } else {
      this.phase = Phase.Waiting;
      const fiber = beginSuspend("Stream.take");
      if (fiber !== null) stream.waitToTake(fiber);
      return SUSPENDED;
    }
    this.phase = Phase.Done;
    stream.spareTake = this;
    return this;
  }

  throw(error: unknown): IteratorResult<Suspend, T> {
    this.finish();
    throw error;
  }

  return(value: T): IteratorResult<Suspend, T> {
    this.finish();
    return { done: true, value };
  }

  private finish(): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.value = undefined as T;
    this.stream.spareTake = this;
  }
}

export class LocalStream<T> implements StreamImpl<T> {
  private readonly items = new Deque<T>();
  private readonly readers = new Deque<Fiber>();
  private readonly writers = new Deque<AddOperation<T>>();
  /** A finished operation of each kind, to hand out again (see `AddOperation`). */
  spareAdd: AddOperation<T> | null = null;
  spareTake: TakeOperation<T> | null = null;

  constructor(
    readonly capacity: number,
    readonly label?: string,
  ) {}

  addOp(item: T): Operation<void> {
    const op = this.spareAdd;
    if (op === null) return new AddOperation(this, item) as unknown as Operation<void>;
    this.spareAdd = null;
    op.phase = Phase.New;
    op.item = item;
    return op as unknown as Operation<void>;
  }

  takeOp(): Operation<T> {
    const op = this.spareTake;
    if (op === null) return new TakeOperation(this) as unknown as Operation<T>;
    this.spareTake = null;
    op.phase = Phase.New;
    return op as unknown as Operation<T>;
  }

  takeNonblocking(): T | undefined {
    return this.hasReady() ? this.takeReady() : undefined;
  }

  length(): number {
    return this.items.length;
  }

  /** The fast path of `add`: never checks for cancellation (Eio does the same). */
  tryAdd(item: T): boolean {
    const items = this.items;
    if (this.readers.length === 0 && items.length < this.capacity) {
      items.pushTail(item);
      return true;
    }
    if (this.readers.length > 0 && this.handToReader(item)) return true;
    if (items.length < this.capacity) {
      this.items.pushTail(item);
      return true;
    }
    return false;
  }

  waitToAdd(writer: AddOperation<T>, fiber: Fiber): void {
    writer.fiber = fiber;
    this.writers.pushTail(writer);
    fiber.cancelFn = this.cancelWriter;
  }

  /** Shared by every blocked adder (the core passes the fiber): no closure per wait. */
  private readonly cancelWriter = (error: Cancelled, fiber: Fiber): void => {
    // Leaving the queue is all it takes: the item was never inserted.
    for (const writer of this.writers) {
      if (writer.fiber === fiber) {
        this.writers.remove(writer);
        break;
      }
    }
    fiber.scheduler.wakeError(fiber, error);
  };

  hasReady(): boolean {
    return this.items.length > 0 || this.writers.length > 0;
  }

  waitToTake(fiber: Fiber): void {
    this.readers.pushTail(fiber);
    fiber.cancelFn = this.cancelReader;
  }

  private readonly cancelReader = (error: Cancelled, fiber: Fiber): void => {
    // An item is handed over only by waking us, so leaving the queue cannot lose one.
    this.readers.remove(fiber);
    fiber.scheduler.wakeError(fiber, error);
  };

  /** Takes the head item (or a blocked adder's item) and lets the first blocked adder in. */
  takeReady(): T {
    if (this.writers.length === 0) return this.items.shift() as T;
    const writer = this.writers.shift();
    if (this.items.length === 0) {
      // Capacity 0: a rendezvous with the first blocked adder.
      const fiber = writer!.fiber!;
      fiber.scheduler.wake(fiber, undefined);
      return writer!.item;
    }
    const item = this.items.shift() as T;
    if (writer !== undefined) {
      // As in Eio, the adder's item goes in now, while it is woken; not when it next runs.
      this.items.pushTail(writer.item);
      writer.fiber!.scheduler.wake(writer.fiber!, undefined);
    }
    return item;
  }

  /** Gives `item` to the first blocked reader; false if none was left to take it. */
  private handToReader(item: T): boolean {
    for (let reader = this.readers.shift(); reader !== undefined; reader = this.readers.shift()) {
      if (reader.scheduler.wake(reader, item)) return true;
    }
    return false;
  }
}

/**
 * Makes shared streams: a hook that `shared/` sets when the domains runtime loads, so that the
 * public `Stream` module never imports it.
 */
export type SharedStreamFactory = <T>(capacity: number, label?: string) => StreamImpl<T>;

/** The factory set by {@link setSharedFactory}, or null before. */
export let createShared: SharedStreamFactory | null = null;

/** Sets the factory of shared streams (the shared heap's, at load). */
export function setSharedFactory(factory: SharedStreamFactory): void {
  createShared = factory;
}
