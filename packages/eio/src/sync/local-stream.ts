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
import { type Fiber, type Operation, suspend } from "../core/scheduler.js";

/** What every stream implementation provides (this one, and the shared one in `shared/`). @internal */
export interface StreamImpl<T> {
  readonly capacity: number;
  addOp(item: T): Operation<void>;
  takeOp(): Operation<T>;
  /** The next item, or `undefined` if none is ready. */
  takeNonblocking(): T | undefined;
  length(): number;
}

/** An adder blocked because the stream was full: its item is not in the stream yet. */
interface Writer<T> {
  readonly fiber: Fiber;
  readonly item: T;
}

export class LocalStream<T> implements StreamImpl<T> {
  private readonly items = new Deque<T>();
  private readonly readers = new Deque<Fiber>();
  private readonly writers = new Deque<Writer<T>>();

  constructor(
    readonly capacity: number,
    readonly label?: string,
  ) {}

  *addOp(item: T): Operation<void> {
    // Fast paths never check for cancellation (Eio does the same).
    if (this.readers.length > 0 && this.handToReader(item)) return;
    if (this.items.length < this.capacity) {
      this.items.pushTail(item);
      return;
    }
    yield* suspend<void>("Stream.add", (fiber) => {
      const writer: Writer<T> = { fiber, item };
      this.writers.pushTail(writer);
      // Leaving the queue is all it takes: the item was never inserted.
      fiber.cancelFn = (error) => {
        this.writers.remove(writer);
        fiber.scheduler.wakeError(fiber, error);
      };
    });
  }

  *takeOp(): Operation<T> {
    if (this.items.length > 0 || this.writers.length > 0) return this.takeReady();
    return yield* suspend<T>("Stream.take", (fiber) => {
      this.readers.pushTail(fiber);
      // An item is handed over only by waking us, so leaving the queue cannot lose one.
      fiber.cancelFn = (error) => {
        this.readers.remove(fiber);
        fiber.scheduler.wakeError(fiber, error);
      };
    });
  }

  takeNonblocking(): T | undefined {
    if (this.items.length > 0 || this.writers.length > 0) return this.takeReady();
    return undefined;
  }

  length(): number {
    return this.items.length;
  }

  /** Takes the head item (or a blocked adder's item) and lets the first blocked adder in. */
  private takeReady(): T {
    const writer = this.writers.shift();
    if (this.items.length === 0) {
      // Capacity 0: a rendezvous with the first blocked adder.
      writer!.fiber.scheduler.wake(writer!.fiber, undefined);
      return writer!.item;
    }
    const item = this.items.shift() as T;
    if (writer !== undefined) {
      // As in Eio, the adder's item goes in now, while it is woken; not when it next runs.
      this.items.pushTail(writer.item);
      writer.fiber.scheduler.wake(writer.fiber, undefined);
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
