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
 * Like any generator it runs once; call the function again to wait again (the runtime reuses
 * its own finished operations).
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

/** The step a suspending operation hands to `yield*`; frozen because it is shared. */
export const SUSPEND_STEP: IteratorYieldResult<Suspend> = Object.freeze({ value: SUSPEND, done: false });

/**
 * Base of operations written by hand as iterators instead of generator functions: `yield*`
 * drives them exactly like a generator, but one small object costs less than a generator
 * (and its closures) on the hottest paths (`Fiber.yield`, `Promise.await`, `suspend`).
 * Subclasses implement `next`; `throw` rethrows at the `yield*` and `return` ends early.
 */
export abstract class HandWrittenOp<T> {
  [Symbol.iterator](): this {
    return this;
  }
  abstract next(value?: unknown): IteratorResult<Suspend, T>;
  throw(error: unknown): never {
    throw error;
  }
  return(value: T): IteratorReturnResult<T> {
    return { value, done: true };
  }
}

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
  /** `body` is the function the fiber runs (its name labels the fiber). */
  fiberCreated(fiber: Fiber, parent: Fiber | null, body: unknown): void;
  fiberResumed(fiber: Fiber): void;
  fiberSuspended(fiber: Fiber, waitingOn: string): void;
  fiberWoken(fiber: Fiber, by: Fiber | null): void;
  fiberExited(fiber: Fiber, ok: boolean): void;
  /** A `traceln` line written by `fiber`. */
  fiberLog(fiber: Fiber, line: string): void;
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
  /**
   * `generator.next`, read once when the generator is installed (`setGenerator`). Fiber bodies
   * come from many generator functions, each closure with its own hidden class, so reading
   * `next` at every resume would be a megamorphic lookup on the hottest path.
   */
  generatorNext: Generator<unknown, unknown, unknown>["next"] | null = null;
  state = FiberState.Running;
  /**
   * Called with a `Cancelled` error (and this fiber) if the context is cancelled while this
   * fiber waits. Taking the fiber lets one function serve every waiter (no closure per wait).
   */
  cancelFn: ((error: Cancelled, fiber: Fiber) => void) | null = null;
  resumeValue: unknown = undefined;
  resumeIsError = false;
  waitingOn = "";
  /** What the fiber waits on, for operations whose shared cancel function needs it. */
  waitingFor: unknown = null;
  /**
   * The generators below `generator` on this fiber's stack (see {@link nested}), innermost last;
   * each waits for the one above it to finish. Null until the fiber first nests one.
   */
  callers: Generator<unknown, unknown, unknown>[] | null = null;
  /** Set by {@link nested} just before it yields: the generator the scheduler must push. */
  pendingCall: Generator<unknown, unknown, unknown> | null = null;
  /** Links in the cancellation context's list of fibers (see `CancelContext.addFiber`). */
  ctxPrev: Fiber | null = null;
  ctxNext: Fiber | null = null;

  /**
   * `onExit` is called once with the outcome and `owner`: passing what the callback needs as
   * `owner` lets one shared function serve every fiber (no closure per fork).
   */
  constructor(
    readonly scheduler: Scheduler,
    public ctx: CancelContext,
    public vars: Vars,
    private readonly onExit: (ok: boolean, value: unknown, owner: any) => void,
    private readonly owner: unknown = null,
  ) {
    ctx.addFiber(this);
  }

  /** Ends the fiber: leaves its context, then reports. */
  exit(ok: boolean, value: unknown): void {
    this.state = FiberState.Done;
    this.generator = null;
    this.generatorNext = null;
    this.callers = null;
    this.ctx.removeFiber(this);
    this.scheduler.tracer?.fiberExited(this, ok);
    this.onExit(ok, value, this.owner);
  }

  /** Makes `generator` the one the scheduler resumes (the top of the fiber's stack). */
  setGenerator(generator: Generator<unknown, unknown, unknown>): void {
    this.generator = generator;
    this.generatorNext = generator.next;
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

/** `%GeneratorPrototype%`: every generator object inherits from it. */
const generatorPrototype: object = Object.getPrototypeOf(function* () {}).prototype;

/**
 * True for generator objects and for anything `yield*` can drive like one (our hand-written
 * operations, other iterators with `next`/`throw`). Generators are checked by prototype first:
 * each generator function makes objects of a different shape, so duck typing alone is slow.
 */
export function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  if (typeof value !== "object" || value === null) return false;
  if (value instanceof HandWrittenOp || generatorPrototype.isPrototypeOf(value)) return true;
  return (
    typeof (value as Generator).next === "function" &&
    typeof (value as Generator).throw === "function" &&
    typeof (value as Generator)[Symbol.iterator] === "function"
  );
}

/**
 * Runs a callback that may be a generator function or a plain function, as the current fiber:
 * if it returns a generator, that generator is run.
 */
export function runBody<T>(result: unknown): Operation<T> {
  // Hand the generator itself to the caller's `yield*`: no extra level of delegation, which
  // every resume of the fiber would otherwise pass through.
  if (isGenerator(result)) return result as Operation<T>;
  return new ValueOp<T>(result as T) as unknown as Operation<T>;
}

/** An operation that is already done: what a plain-function callback's result becomes. */
class ValueOp<T> extends HandWrittenOp<T> {
  constructor(private readonly value: T) {
    super();
  }
  next(): IteratorResult<Suspend, T> {
    return { value: this.value, done: true };
  }
}

/**
 * `yield* nested(op)` does what `yield* op` does, but the scheduler drives `op` directly: it
 * becomes the top of the fiber's stack until it finishes, then the caller resumes with its
 * result (or its error). Without this, every resume of `op` would pass through the caller and
 * each generator between the caller and the scheduler (`yield*` re-enters each level), so a
 * long-running body under `Switch.run` would pay for its depth on every switch.
 *
 * How: the returned operation records `op` in `fiber.pendingCall` and yields SUSPEND, which
 * travels up through the `yield*` chain; the scheduler sees `pendingCall` and pushes `op`
 * (see `Scheduler.step`). Anything between the caller and the scheduler must pass values and
 * errors through unchanged, as `yield*` and our forwarding operations (`Flow.copy`) do.
 * Only generators and {@link HandWrittenOp}s are nested; other iterators get plain `yield*`.
 */
export function nested<T>(op: Operation<T>): Operation<T> {
  if (op instanceof HandWrittenOp || generatorPrototype.isPrototypeOf(op)) return new NestedOp<T>(op) as unknown as Operation<T>;
  return op;
}

class NestedOp<T> extends HandWrittenOp<T> {
  private op: Operation<T> | null;
  constructor(op: Operation<T>) {
    super();
    this.op = op;
  }
  next(value?: unknown): IteratorResult<Suspend, T> {
    const op = this.op;
    if (op === null) return { value: value as T, done: true };
    this.op = null;
    currentFiber().pendingCall = op;
    return SUSPEND_STEP;
  }
}

/**
 * Marks `fiber` (the current fiber) as suspended on `waitingOn`. Returns false if its context
 * is cancelled: the fiber is then already queued to receive `Cancelled` and the caller must not
 * register it anywhere (Eio's `Suspend.enter`). After this, the operation returns
 * {@link SUSPEND_STEP} from `next`.
 */
export function enterSuspend(fiber: Fiber, waitingOn: string): boolean {
  fiber.state = FiberState.Suspended;
  fiber.waitingOn = waitingOn;
  fiber.scheduler.tracer?.fiberSuspended(fiber, waitingOn);
  if (!fiber.ctx.cancelled) return true;
  fiber.scheduler.wakeError(fiber, fiber.ctx.cancelError());
  return false;
}

class SuspendOp<T> extends HandWrittenOp<T> {
  private started = false;
  constructor(
    private readonly waitingOn: string,
    private readonly register: (fiber: Fiber) => void,
    private readonly checked: boolean,
  ) {
    super();
  }

  next(value?: unknown): IteratorResult<Suspend, T> {
    if (this.started) return { value: value as T, done: true };
    this.started = true;
    const fiber = currentFiber();
    if (this.checked) {
      if (enterSuspend(fiber, this.waitingOn)) this.register(fiber);
    } else {
      fiber.state = FiberState.Suspended;
      fiber.waitingOn = this.waitingOn;
      fiber.scheduler.tracer?.fiberSuspended(fiber, this.waitingOn);
      this.register(fiber);
    }
    return SUSPEND_STEP;
  }
}

/**
 * Suspends the current fiber. `register` is called with the fiber and must arrange for
 * `fiber.scheduler.wake`/`wakeError` to be called later; it may set `fiber.cancelFn`.
 * Mirrors Eio's `Suspend.enter`: if the fiber's context is already cancelled, `register` is
 * not called and the fiber is queued (at the tail) to receive `Cancelled`, so other runnable
 * fibers go first, exactly as in Eio.
 */
export function suspend<T>(waitingOn: string, register: (fiber: Fiber) => void): Operation<T> {
  return new SuspendOp<T>(waitingOn, register, true) as unknown as Operation<T>;
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
export function suspendUnchecked<T>(waitingOn: string, register: (fiber: Fiber) => void): Operation<T> {
  return new SuspendOp<T>(waitingOn, register, false) as unknown as Operation<T>;
}

const RESOLVED: globalThis.Promise<void> = globalThis.Promise.resolve();

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

  /**
   * Starts `body` as the new fiber `fiber` right now, nested in the caller. `named` is the
   * function traces name the fiber after, when `body` only wraps it.
   */
  start(fiber: Fiber, body: () => unknown, named: unknown = body): void {
    const previous = current;
    current = fiber;
    this.tracer?.fiberCreated(fiber, previous, named);
    let result: unknown;
    try {
      result = body();
    } catch (error) {
      current = previous;
      fiber.exit(false, error);
      return;
    }
    if (isGenerator(result)) {
      fiber.setGenerator(result);
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
    // `resumeIsError` is already false: `step` clears it when it consumes an error.
    fiber.resumeValue = value;
    this.enqueue(fiber);
    return true;
  }

  /**
   * {@link wake} from a Node I/O callback, outside every fiber: runs the queue now, not in a
   * microtask. Node runs the microtasks as soon as the callback returns anyway, so nothing runs
   * sooner than it would have; it saves the promise reaction, the microtask and the run of the
   * microtask queue that a socket's every read cost. Falls back to {@link wake} inside a fiber
   * or while the queue is already running or due to run.
   */
  wakeFromIo(fiber: Fiber, value: unknown): boolean {
    if (this.running || this.scheduled || current !== null || this.stopped) return this.wake(fiber, value);
    if (fiber.state !== FiberState.Suspended) return false;
    fiber.resumeValue = value;
    fiber.state = FiberState.Queued;
    fiber.cancelFn = null;
    this.tracer?.fiberWoken(fiber, null);
    this.queue.pushTail(fiber);
    this.runLoop();
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
    if (!this.running) this.schedule();
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

  /** Whether a fiber is queued to run (the running one aside). */
  get hasQueued(): boolean {
    return this.queue.length > 0;
  }

  /** Stops the scheduler for good; later wake-ups are ignored. */
  stop(): void {
    this.stopped = true;
  }

  schedule(): void {
    if (this.running || this.scheduled || this.stopped) return;
    this.scheduled = true;
    // Not `queueMicrotask`: Node wraps each call in an AsyncResource and a bound function, which
    // costs more than the loop run it schedules when a socket wakes one fiber per read. A
    // settled promise's `then` queues the same kind of microtask, in the same order, with no
    // wrapper. `runLoop` never throws (fibers' errors end their fibers), so nothing is lost.
    RESOLVED.then(this.runLoopBound);
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
          // Continue next turn even if the queue is empty now: the idle hook must still run
          // (it reads other domains' results, advances the mock clock, checks for deadlock).
          this.scheduled = true;
          setImmediate(this.runLoopBound);
          return;
        }
      }
    } finally {
      this.running = false;
    }
    if (this.externalWaits === 0) this.checkDeadlock();
  }

  /**
   * Runs `fiber` until it suspends or ends. The fiber's stack (see {@link nested}) is handled
   * here: a finished or failed nested generator hands its result or error to the one below.
   */
  private step(fiber: Fiber): void {
    const previous = current;
    current = fiber;
    fiber.state = FiberState.Running;
    this.tracer?.fiberResumed(fiber);
    let generator = fiber.generator!;
    let next = fiber.generatorNext!;
    let input = fiber.resumeValue;
    let isError = fiber.resumeIsError;
    fiber.resumeValue = undefined;
    if (isError) fiber.resumeIsError = false;
    for (;;) {
      let result: IteratorResult<unknown, unknown>;
      try {
        result = isError ? generator.throw(input) : next.call(generator, input);
      } catch (error) {
        const callers = fiber.callers;
        if (callers === null || callers.length === 0) {
          current = previous;
          fiber.exit(false, error);
          return;
        }
        fiber.setGenerator((generator = callers.pop()!));
        next = fiber.generatorNext!;
        input = error;
        isError = true;
        continue;
      }
      if (result.done === true) {
        const callers = fiber.callers;
        if (callers === null || callers.length === 0) {
          current = previous;
          fiber.exit(true, result.value);
          return;
        }
        fiber.setGenerator((generator = callers.pop()!));
        next = fiber.generatorNext!;
        input = result.value;
        isError = false;
        continue;
      }
      if (result.value !== SUSPEND) {
        // A bare `yield x` (forgotten `*`): resume the fiber with an error at that point.
        current = previous;
        fiber.state = FiberState.Suspended;
        this.wakeError(fiber, new TypeError(badYieldMessage(result.value)));
        return;
      }
      const call = fiber.pendingCall;
      if (call === null) break;
      // `nested(call)`: run it on top of the fiber's stack, starting now.
      fiber.pendingCall = null;
      (fiber.callers ??= []).push(generator);
      fiber.setGenerator((generator = call as Generator<unknown, unknown, unknown>));
      next = fiber.generatorNext!;
      input = undefined;
      isError = false;
    }
    current = previous;
  }

  /**
   * Node is about to exit (its event loop is empty) while this scheduler still has fibers: no
   * timer, socket or native promise can wake one any more, whatever `addExternalWait` says (a
   * native promise that never settles, say). Treat that as the deadlock it is.
   */
  nodeIdle(): void {
    if (this.stopped || this.running || this.scheduled || this.queue.length > 0) return;
    this.checkDeadlock();
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
