/**
 * Cross-domain wake-ups. Each domain has, in its slot of the arena, an inbox: a lock-free
 * stack of waiter records pushed by other domains. The inbox head doubles as the doorbell: a
 * domain that has fibers waiting on shared objects spins on it briefly when it has nothing
 * else to run, then parks with `Atomics.waitAsync` on it while a ref'd timer keeps Node alive
 * (a pending `waitAsync` alone does not). A waker pushes the record, then calls
 * `Atomics.notify` only if the target said it is parked.
 * @internal
 * @module
 */
import type { Fiber, Scheduler } from "../core/scheduler.js";
import { getArena, peekArena } from "./arena.js";
import { pushRecord, takeAll } from "./atomics.js";
import { D_INBOX, D_PARKED, W_DOMAIN, W_INBOX_NEXT, W_SLOT } from "./layout.js";

/**
 * The fibers of this thread waiting on shared objects; a waiter record holds its fiber's index
 * (`W_SLOT`). A `Map` by record offset cost over a microsecond a round trip: going from one
 * entry to none at every wake-up made V8 shrink (reallocate) its table each time.
 */
const parkedFibers: (Fiber | undefined)[] = [];
const freeSlots: number[] = [];
let parkedCount = 0;
/** How many of them each scheduler has (a thread has one scheduler, almost always). */
const parkedCounts = new WeakMap<Scheduler, { n: number }>();
let lastScheduler: Scheduler | null = null;
let lastCount = { n: 0 };

/** The count of `scheduler`; a `WeakMap` lookup on every park measured at 2 µs a round trip. */
function countOf(scheduler: Scheduler): { n: number } {
  if (scheduler === lastScheduler) return lastCount;
  let count = parkedCounts.get(scheduler);
  if (count === undefined) parkedCounts.set(scheduler, (count = { n: 0 }));
  lastScheduler = scheduler;
  lastCount = count;
  return count;
}
let keepAlive: ReturnType<typeof setInterval> | null = null;
let keepingAlive = false;
let unrefScheduled = false;
let armed = false;

/**
 * Records that `fiber` (suspending now) waits on waiter record `w`, until {@link deliver} or
 * {@link unpark}. Call it from the `suspend` register callback.
 */
export function park(fiber: Fiber, w: number): void {
  const slot = freeSlots.length > 0 ? freeSlots.pop()! : parkedFibers.length;
  parkedFibers[slot] = fiber;
  getArena().i32[(w >> 2) + W_SLOT] = slot;
  parkedCount++;
  const scheduler = fiber.scheduler;
  scheduler.addExternalWait();
  countOf(scheduler).n++;
  if (!keepingAlive) {
    keepingAlive = true;
    keepAlive ??= setInterval(() => {}, 1 << 30);
    keepAlive.ref();
  }
  arm();
}

/** Forgets the fiber waiting on `w` (it was cancelled before being claimed). */
export function unpark(w: number): Fiber | undefined {
  const i32 = getArena().i32;
  const slot = i32[(w >> 2) + W_SLOT]!;
  if (slot < 0) return undefined;
  const fiber = parkedFibers[slot]!;
  i32[(w >> 2) + W_SLOT] = -1;
  parkedFibers[slot] = undefined;
  freeSlots.push(slot);
  parkedCount--;
  const scheduler = fiber.scheduler;
  countOf(scheduler).n--;
  scheduler.removeExternalWait();
  if (parkedCount === 0 && !unrefScheduled) {
    // Toggling a timer's ref costs microseconds, and a ping-pong goes 1 -> 0 -> 1 waiting
    // fibers at every step: let go of Node only once a whole turn passed with none waiting.
    unrefScheduled = true;
    setImmediate(releaseNode);
  }
  return fiber;
}

function releaseNode(): void {
  unrefScheduled = false;
  if (parkedCount === 0 && keepingAlive) {
    keepingAlive = false;
    keepAlive!.unref();
  }
}

/**
 * Wakes the fiber waiting on the claimed record `w`, in whichever domain it lives. It resumes
 * with `w` and frees it. Safe against lost wake-ups: the push is a sequentially consistent
 * compare-exchange before we read the target's parked flag; the target sets the flag before
 * it re-reads its inbox, so one of us sees the other (Dekker's argument). A push onto a
 * non-empty inbox needs neither: the target has not taken the records under it yet, and
 * whoever pushed the first of them did the same handshake.
 */
export function deliver(w: number): void {
  const arena = getArena();
  const target = arena.i32[(w >> 2) + W_DOMAIN]!;
  if (target === arena.domainId) {
    wakeLocal(w);
    return;
  }
  deliverTracer?.(w);
  const inbox = arena.slot(target, D_INBOX);
  // Only the push that makes the inbox non-empty may have to wake the target: it takes the
  // whole inbox when it wakes, and until it has, later pushes find records there (measured on
  // kv-server: the storage domain answering a batch of GETs notified the main thread once per
  // reply, 99.5% of them).
  if (pushRecord(arena.i32, inbox, w, W_INBOX_NEXT) !== 0) return;
  // Wake both a thread blocked in Atomics.wait and its pending waitAsync (see idle.ts).
  if (Atomics.load(arena.i32, arena.slot(target, D_PARKED)) === 1) Atomics.notify(arena.i32, inbox);
}

function wakeLocal(w: number): boolean {
  const fiber = unpark(w);
  if (fiber === undefined) return false;
  return fiber.scheduler.wake(fiber, w);
}

/** Wakes the fibers whose records other domains pushed to our inbox; true if any. */
export function drainInbox(): boolean {
  const arena = peekArena();
  if (arena === null) return false;
  const i32 = arena.i32;
  const inbox = arena.slot(arena.domainId, D_INBOX);
  if (Atomics.load(i32, inbox) === 0) return false;
  // The stack is newest first; reverse it so fibers wake in the order they were woken.
  let reversed = 0;
  for (let w = takeAll(i32, inbox); w !== 0; ) {
    const next = i32[(w >> 2) + W_INBOX_NEXT]!;
    i32[(w >> 2) + W_INBOX_NEXT] = reversed;
    reversed = w;
    w = next;
  }
  let woke = false;
  for (let w = reversed; w !== 0; ) {
    const next = i32[(w >> 2) + W_INBOX_NEXT]!;
    delivering = w;
    if (wakeLocal(w)) woke = true;
    w = next;
  }
  delivering = 0;
  return woke;
}

/**
 * Makes sure a `waitAsync` on our doorbell is pending while fibers wait, and tells wakers to
 * notify: for a thread about to return to its event loop with nothing to run. The flag is stored before the inbox is read (see {@link deliver}); a push that lands
 * between that read and `waitAsync` makes it return "not-equal" at once.
 */
export function arm(): void {
  if (armed || parkedCount === 0) return;
  const arena = getArena();
  const inbox = arena.slot(arena.domainId, D_INBOX);
  Atomics.store(arena.i32, arena.slot(arena.domainId, D_PARKED), 1);
  const result = Atomics.waitAsync(arena.i32, inbox, 0);
  armed = true;
  if (result.async) void result.value.then(onBell);
  else queueMicrotask(onBell);
}

function onBell(): void {
  armed = false;
  if (drainInbox()) bellListener?.(performance.now());
  arm();
}

let bellListener: ((now: number) => void) | null = null;

/** Tells the idle policy when a parked thread was woken through its pending `waitAsync`. */
export function onBellWake(listener: (now: number) => void): void {
  bellListener = listener;
}

/**
 * True while fibers of this thread wait on shared objects: the scheduler's idle hook will then
 * spin on the doorbell (see `idle.ts`), watching the sources given to `watchWhileIdle` too, so
 * those need not spin on their own first (a spin that does not watch the doorbell only delays
 * the wake-up it is waiting for).
 */
export function sharedWaiting(): boolean {
  return parkedCount > 0;
}

/** How many fibers of `scheduler` wait on shared objects (each holds one external wait). */
export function parkedOn(scheduler: Scheduler): number {
  return countOf(scheduler).n;
}

/** The slots of this thread's inbox and parked flag, as Int32 indexes into the arena. */
export function bellWords(): { i32: Int32Array; inbox: number; parked: number } {
  const arena = getArena();
  return { i32: arena.i32, inbox: arena.slot(arena.domainId, D_INBOX), parked: arena.slot(arena.domainId, D_PARKED) };
}

/** Told of every waiter record handed to another domain, while a trace records (trace/recorder.ts). */
let deliverTracer: ((record: number) => void) | null = null;
/** The record whose fiber `drainInbox` is waking (0: none), so a trace can say who sent it. */
let delivering = 0;

/** @internal */
export function setDeliverTracer(tracer: ((record: number) => void) | null): void {
  deliverTracer = tracer;
}

/** @internal */
export function deliveringRecord(): number {
  return delivering;
}
