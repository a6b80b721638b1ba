/**
 * What an Eio promise is made of: the interface every implementation provides, the in-domain
 * one (`LocalPromise`), and the hook by which `shared/` adds the cross-domain one without the
 * public `Promise` module importing it (as sync/local-stream.ts does for streams).
 * @internal
 * @module
 */
import type { Cancelled } from "./errors.js";
import {
  currentFiber,
  enterSuspend,
  type Fiber,
  HandWrittenOp,
  type Operation,
  SUSPEND_STEP,
  type Suspend,
} from "./scheduler.js";

/**
 * What every promise implementation provides (the in-domain cell here, the shared cell in
 * `shared/`).
 */
export interface PromiseImpl<T> {
  awaitOp(): Operation<T>;
  tryResolveValue(value: T): boolean;
  peekState(): { resolved: true; value: T } | { resolved: false };
}

/** The in-domain promise cell: both ends are this one object. */
export class LocalPromise<T> implements PromiseImpl<T> {
  resolved = false;
  value: T | undefined = undefined;
  /** Waiting fibers in arrival order; the first is kept apart so one waiter needs no array. */
  private firstWaiter: Fiber | null = null;
  private moreWaiters: Fiber[] | null = null;

  constructor(readonly label?: string) {}

  awaitOp(): Operation<T> {
    return awaitLocal(this);
  }

  addWaiter(fiber: Fiber): void {
    fiber.cancelFn = cancelWaiter;
    fiber.waitingFor = this;
    if (this.firstWaiter === null && this.moreWaiters === null) this.firstWaiter = fiber;
    else (this.moreWaiters ??= []).push(fiber);
  }

  removeWaiter(fiber: Fiber): void {
    if (this.firstWaiter === fiber) {
      this.firstWaiter = null;
      return;
    }
    const more = this.moreWaiters;
    if (more === null) return;
    const index = more.indexOf(fiber);
    if (index >= 0) more.splice(index, 1);
  }

  tryResolveValue(value: T): boolean {
    if (this.resolved) return false;
    this.resolved = true;
    this.value = value;
    const first = this.firstWaiter;
    const more = this.moreWaiters;
    this.firstWaiter = null;
    this.moreWaiters = null;
    if (first !== null) {
      first.waitingFor = null;
      first.scheduler.wake(first, undefined);
    }
    if (more !== null) {
      for (const fiber of more) {
        fiber.waitingFor = null;
        fiber.scheduler.wake(fiber, undefined);
      }
    }
    return true;
  }

  peekState(): { resolved: true; value: T } | { resolved: false } {
    return this.resolved ? { resolved: true, value: this.value as T } : { resolved: false };
  }
}

/** One cancel function for every promise waiter: the promise is in `fiber.waitingFor`. */
function cancelWaiter(error: Cancelled, fiber: Fiber): void {
  (fiber.waitingFor as LocalPromise<unknown>).removeWaiter(fiber);
  fiber.waitingFor = null;
  fiber.scheduler.wakeError(fiber, error);
}

/**
 * `Promise.await` by hand (see `HandWrittenOp`): no generator, no closure per wait. It is its
 * own final iterator result (`done`, `value`), and a finished one is kept (`spareAwait`) for
 * the next wait: two fibers handing values back and forth allocate no operation at all. Like a
 * generator it runs once; once finished it is not touched again (`yield*` reads the result at
 * once and never drives a finished iterator).
 */
class AwaitOp<T> extends HandWrittenOp<T> {
  started = false;
  done = true as const;
  value: T | undefined = undefined;
  constructor(public promise: LocalPromise<T> | null) {
    super();
  }

  next(): IteratorResult<Suspend, T> {
    const promise = this.promise;
    if (promise === null) return this as IteratorReturnResult<T>;
    if (!this.started && !promise.resolved) {
      // Eio: awaiting a resolved promise does not check for cancellation.
      this.started = true;
      const fiber = currentFiber();
      if (enterSuspend(fiber, "Promise.await")) promise.addWaiter(fiber);
      return SUSPEND_STEP;
    }
    this.value = promise.value;
    this.finish();
    return this as IteratorReturnResult<T>;
  }

  override throw(error: unknown): never {
    this.finish();
    throw error;
  }

  override return(value: T): IteratorReturnResult<T> {
    this.finish();
    return { value, done: true };
  }

  private finish(): void {
    if (this.promise === null) return;
    this.promise = null;
    spareAwait = this as AwaitOp<unknown>;
  }
}

let spareAwait: AwaitOp<unknown> | null = null;

export function awaitLocal<T>(promise: LocalPromise<T>): Operation<T> {
  const op = spareAwait as AwaitOp<T> | null;
  if (op === null) return new AwaitOp<T>(promise) as unknown as Operation<T>;
  spareAwait = null;
  op.promise = promise;
  op.started = false;
  op.value = undefined;
  return op as unknown as Operation<T>;
}

/** Hook used by the shared heap to make shared promises; set when `shared/` is loaded. */
export let createShared: (<T>(label?: string) => PromiseImpl<T>) | null = null;

/** Sets the factory of shared promises (the shared heap's, at load). */
export function setSharedFactory(factory: <T>(label?: string) => PromiseImpl<T>): void {
  createShared = factory;
}
