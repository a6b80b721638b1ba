/**
 * The per-domain scheduler: a run queue of fibers, driven from Node's event loop.
 *
 * A fiber is a generator. A blocking operation registers a way to be woken, then yields
 * {@link SUSPEND}; the scheduler moves on to the next runnable fiber. Waking a fiber only queues
 * it (Eio: waking never switches fibers). Forking runs the child at once, nested inside the
 * parent's call; since the parent would go to the head of the queue, running it right after the
 * child blocks is the same order Eio produces.
 * @internal
 * @module
 */
import { Deque } from "./deque.js";
import { Cancelled, DeadlockError } from "./errors.js";
import type { CancelContext } from "./cancel-context.js";

/** The value a fiber yields to say "I registered a waker; run something else". */
export const SUSPEND: unique symbol = Symbol("Eio.suspend");
export type Suspend = typeof SUSPEND;

/**
 * What a blocking operation returns: a generator to run with `yield*` inside a fiber. Writing
 * your own blocking function means returning one: a generator function that `yield*`s others.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * function* twice(): Eio.Operation<number> {
 *   yield* Eio.Fiber.yield();
 *   yield* Eio.Fiber.yield();
 *   return 2;
 * }
 * await Eio.run(function* () {
 *   console.log(yield* twice());
 * });
 * ```
 */
export type Operation<T> = Generator<Suspend, T, unknown>;

const enum FiberState {
  Running,
  Suspended,
  Queued,
  Done,
}

/**
 * Receives scheduler events; the trace recorder implements it. Kept to plain calls with
 * numbers and strings so that a disabled tracer costs one null check.
 */
export interface Tracer {
  fiberCreated(fiber: Fiber, parent: Fiber | null): void;
  fiberResumed(fiber: Fiber): void;
  fiberSuspended(fiber: Fiber, waitingOn: string): void;
  fiberWoken(fiber: Fiber, by: Fiber | null): void;
  fiberExited(fiber: Fiber, ok: boolean): void;
}

/** Fiber-local bindings: an immutable map, copied on change and inherited by forks. */
export type Vars = ReadonlyMap<object, unknown>;
const emptyVars: Vars = new Map();

let nextFiberId = 0;
let current: Fiber | null = null;

/** A fiber: one generator, its cancellation context, and what to do when it ends. */
export class Fiber {
  readonly id = nextFiberId++;
  generator: Generator<unknown, unknown, unknown> | null = null;
  state = FiberState.Running;
  /** Called with a `Cancelled` error if the context is cancelled while this fiber waits. */
  cancelFn: ((error: Cancelled) => void) | null = null;
  resumeValue: unknown = undefined;
  resumeIsError = false;
  waitingOn = "";

  constructor(
    readonly scheduler: Scheduler,
    public ctx: CancelContext,
    public vars: Vars,
    private readonly onExit: (ok: boolean, value: unknown) => void,
  ) {
    ctx.fibers.add(this);
  }

  /** Ends the fiber: leaves its context, then reports. */
  exit(ok: boolean, value: unknown): void {
    this.state = FiberState.Done;
    this.generator = null;
    this.ctx.fibers.delete(this);
    this.scheduler.tracer?.fiberExited(this, ok);
    this.onExit(ok, value);
  }

  get isDone(): boolean {
    return this.state === FiberState.Done;
  }
}

/** The fiber running now; throws a clear error outside of `Eio.run`. */
export function currentFiber(): Fiber {
  if (current === null) {
    throw new Error(
      "This Eio operation must run inside a fiber: call it from a generator run by Eio.run (with yield*).",
    );
  }
  return current;
}

/** The fiber running now, or null outside of any fiber. */
export function currentFiberOrNull(): Fiber | null {
  return current;
}

export function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Generator).next === "function" &&
    typeof (value as Generator).throw === "function" &&
    typeof (value as Generator)[Symbol.iterator] === "function"
  );
}

/**
 * Runs a callback that may be a generator function or a plain function, as the current fiber:
 * if it returns a generator, that generator is run.
 */
export function* runBody<T>(result: unknown): Operation<T> {
  if (isGenerator(result)) return (yield* result as Operation<T>) as T;
  return result as T;
}

/**
 * Suspends the current fiber. `register` is called with the fiber and must arrange for
 * `fiber.scheduler.wake`/`wakeError` to be called later; it may set `fiber.cancelFn`.
 * Mirrors Eio's `Suspend.enter`: if the fiber's context is already cancelled, `register` is
 * not called and the fiber is queued (at the tail) to receive `Cancelled`, so other runnable
 * fibers go first, exactly as in Eio.
 */
export function* suspend<T>(waitingOn: string, register: (fiber: Fiber) => void): Operation<T> {
  const fiber = currentFiber();
  fiber.state = FiberState.Suspended;
  fiber.waitingOn = waitingOn;
  fiber.scheduler.tracer?.fiberSuspended(fiber, waitingOn);
  if (fiber.ctx.cancelled) fiber.scheduler.wakeError(fiber, fiber.ctx.cancelError());
  else register(fiber);
  return (yield SUSPEND) as T;
}

/**
 * {@link suspend} for operations written as plain iterators rather than generators (the
 * stream's hot path saves a generator and a closure per wait): marks the current fiber
 * suspended and returns it for the caller to register, or returns null after queueing it to
 * receive `Cancelled` if its context is cancelled. Either way the caller's iterator must then
 * yield {@link SUSPEND}. @internal
 */
export function beginSuspend(waitingOn: string): Fiber | null {
  const fiber = currentFiber();
  fiber.state = FiberState.Suspended;
  fiber.waitingOn = waitingOn;
  fiber.scheduler.tracer?.fiberSuspended(fiber, waitingOn);
  if (!fiber.ctx.cancelled) return fiber;
  fiber.scheduler.wakeError(fiber, fiber.ctx.cancelError());
  return null;
}

/** Like {@link suspend} but does not check for cancellation first (Eio's `enter_unchecked`). */
export function* suspendUnchecked<T>(waitingOn: string, register: (fiber: Fiber) => void): Operation<T> {
  const fiber = currentFiber();
  fiber.state = FiberState.Suspended;
  fiber.waitingOn = waitingOn;
  fiber.scheduler.tracer?.fiberSuspended(fiber, waitingOn);
  register(fiber);
  return (yield SUSPEND) as T;
}

/** How many fiber steps run before the scheduler lets Node's timers and I/O in. */
const STEPS_PER_TURN = 2048;

export interface SchedulerHooks {
  /**
   * Called when no fiber is runnable. Return true if it made one runnable (the mock clock
   * advancing, say).
   */
  onIdle?: () => boolean;
}

/** One domain's run queue. */
export class Scheduler {
  private readonly queue = new Deque<Fiber>();
  private running = false;
  private scheduled = false;
  /** Things outside the run queue that may still wake a fiber: timers, I/O, native promises, other domains. */
  private externalWaits = 0;
  private stopped = false;
  private deadlockReported = false;
  tracer: Tracer | null = null;
  onIdle: (() => boolean) | null = null;
  /** The root context, so a deadlock can cancel everything and name what waited. */
  root: CancelContext | null = null;
  onDeadlock: ((error: DeadlockError) => void) | null = null;

  private readonly runLoopBound = (): void => this.runLoop();

  /** Starts `body` as the new fiber `fiber` right now, nested in the caller. */
  start(fiber: Fiber, body: () => unknown): void {
    const previous = current;
    current = fiber;
    this.tracer?.fiberCreated(fiber, previous);
    let result: unknown;
    try {
      result = body();
    } catch (error) {
      current = previous;
      fiber.exit(false, error);
      return;
    }
    if (isGenerator(result)) {
      fiber.generator = result;
      current = previous;
      this.step(fiber);
    } else {
      current = previous;
      fiber.exit(true, result);
    }
  }

  /** Queues a suspended fiber with a result. False if it was not waiting (already woken). */
  wake(fiber: Fiber, value: unknown): boolean {
    if (fiber.state !== FiberState.Suspended) return false;
    fiber.resumeValue = value;
    fiber.resumeIsError = false;
    this.enqueue(fiber);
    return true;
  }

  /** Queues a suspended fiber to receive `error` thrown at its suspension point. */
  wakeError(fiber: Fiber, error: unknown): boolean {
    if (fiber.state !== FiberState.Suspended) return false;
    fiber.resumeValue = error;
    fiber.resumeIsError = true;
    this.enqueue(fiber);
    return true;
  }

  private enqueue(fiber: Fiber): void {
    fiber.state = FiberState.Queued;
    fiber.cancelFn = null;
    this.tracer?.fiberWoken(fiber, current);
    this.queue.pushTail(fiber);
    this.schedule();
  }

  /** Marks that something outside the run queue may wake a fiber later. */
  addExternalWait(): void {
    this.externalWaits++;
  }

  /** The matching release for {@link addExternalWait}; checks for deadlock if now idle. */
  removeExternalWait(): void {
    this.externalWaits--;
    if (this.externalWaits === 0 && !this.running && !this.scheduled && this.queue.length === 0) {
      this.schedule();
    }
  }

  get pendingExternalWaits(): number {
    return this.externalWaits;
  }

  /** Stops the scheduler for good; later wake-ups are ignored. */
  stop(): void {
    this.stopped = true;
  }

  schedule(): void {
    if (this.running || this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(this.runLoopBound);
  }

  private runLoop(): void {
    this.scheduled = false;
    if (this.stopped) return;
    this.running = true;
    let budget = STEPS_PER_TURN;
    try {
      for (;;) {
        const fiber = this.queue.shift();
        if (fiber === undefined) {
          if (this.onIdle !== null && this.onIdle()) continue;
          break;
        }
        this.step(fiber);
        if (--budget === 0) {
          if (this.queue.length > 0) {
            this.scheduled = true;
            setImmediate(this.runLoopBound);
          }
          return;
        }
      }
    } finally {
      this.running = false;
    }
    if (this.externalWaits === 0) this.checkDeadlock();
  }

  private step(fiber: Fiber): void {
    const previous = current;
    current = fiber;
    fiber.state = FiberState.Running;
    this.tracer?.fiberResumed(fiber);
    const generator = fiber.generator!;
    let result: IteratorResult<unknown, unknown>;
    try {
      if (fiber.resumeIsError) {
        const error = fiber.resumeValue;
        fiber.resumeValue = undefined;
        fiber.resumeIsError = false;
        result = generator.throw(error);
      } else {
        const value = fiber.resumeValue;
        fiber.resumeValue = undefined;
        result = generator.next(value);
      }
    } catch (error) {
      current = previous;
      fiber.exit(false, error);
      return;
    }
    current = previous;
    if (result.done === true) {
      fiber.exit(true, result.value);
    } else if (result.value !== SUSPEND) {
      // A bare `yield x` (forgotten `*`): resume the fiber with an error at that point.
      fiber.state = FiberState.Suspended;
      this.wakeError(fiber, new TypeError(badYieldMessage(result.value)));
    }
  }

  private checkDeadlock(): void {
    const root = this.root;
    if (root === null || this.stopped || this.queue.length > 0) return;
    const waiting = root.waitingFibers().map((f) => `fiber ${f.id} on ${f.waitingOn || "?"}`);
    if (waiting.length === 0) return;
    const error = new DeadlockError(waiting);
    if (!this.deadlockReported) {
      // First let every fiber unwind (its finally blocks run) by cancelling the root.
      this.deadlockReported = true;
      root.cancel(error);
      if (this.queue.length > 0) {
        this.schedule();
        return;
      }
    }
    this.onDeadlock?.(error);
  }
}

function badYieldMessage(value: unknown): string {
  if (isGenerator(value)) {
    return "A fiber yielded a generator object: call Eio operations with `yield*` (for example `yield* Eio.Fiber.yield()`), not `yield`.";
  }
  if (value instanceof Promise || (typeof value === "object" && value !== null && "then" in value)) {
    return "A fiber yielded a native promise: wait for it with `yield* Eio.Fiber.awaitNative(promise)`.";
  }
  return `A fiber yielded ${typeof value === "symbol" ? String(value) : typeof value}: fibers may only yield* Eio operations.`;
}

export { emptyVars };
