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
import { D_INBOX, D_PARKED, W_DOMAIN, W_INBOX_NEXT } from "./layout.js";

/** The fibers of this thread waiting on shared objects, by waiter record. */
const parkedFibers = new Map<number, Fiber>();
let keepAlive: ReturnType<typeof setInterval> | null = null;
let keepingAlive = false;
let unrefScheduled = false;
let armed = false;

/** How long an idle domain with waiting fibers watches its doorbell before parking. */
const SPIN_MICROSECONDS = 50;

/**
 * Records that `fiber` (suspending now) waits on waiter record `w`, until {@link deliver} or
 * {@link unpark}. Call it from the `suspend` register callback.
 */
export function park(fiber: Fiber, w: number): void {
  parkedFibers.set(w, fiber);
  fiber.scheduler.addExternalWait();
  if (!keepingAlive) {
    keepingAlive = true;
    keepAlive ??= setInterval(() => {}, 1 << 30);
    keepAlive.ref();
  }
  arm();
}

/** Forgets the fiber waiting on `w` (it was cancelled before being claimed). */
export function unpark(w: number): Fiber | undefined {
  const fiber = parkedFibers.get(w);
  if (fiber === undefined) return undefined;
  parkedFibers.delete(w);
  fiber.scheduler.removeExternalWait();
  if (parkedFibers.size === 0 && !unrefScheduled) {
    // Toggling a timer's ref costs microseconds, and a ping-pong goes 1 -> 0 -> 1 waiting
    // fibers at every step: let go of Node only once a whole turn passed with none waiting.
    unrefScheduled = true;
    setImmediate(releaseNode);
  }
  return fiber;
}

function releaseNode(): void {
  unrefScheduled = false;
  if (parkedFibers.size === 0 && keepingAlive) {
    keepingAlive = false;
    keepAlive!.unref();
  }
}

/**
 * Wakes the fiber waiting on the claimed record `w`, in whichever domain it lives. It resumes
 * with `w` and frees it. Safe against lost wake-ups: the push is a sequentially consistent
 * compare-exchange before we read the target's parked flag; the target sets the flag before
 * it re-reads its inbox, so one of us sees the other (Dekker's argument).
 */
export function deliver(w: number): void {
  const arena = getArena();
  const target = arena.i32[(w >> 2) + W_DOMAIN]!;
  if (target === arena.domainId) {
    wakeLocal(w);
    return;
  }
  const inbox = arena.slot(target, D_INBOX);
  pushRecord(arena.i32, inbox, w, W_INBOX_NEXT);
  // Wake both a thread blocked in Atomics.wait and its pending waitAsync (see spinForBell).
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
    if (wakeLocal(w)) woke = true;
    w = next;
  }
  return woke;
}

/**
 * Makes sure a `waitAsync` on our doorbell is pending while fibers wait, and tells wakers to
 * notify. The flag is stored before the inbox is read (see {@link deliver}); a push that lands
 * between that read and `waitAsync` makes it return "not-equal" at once.
 */
function arm(): void {
  if (armed || parkedFibers.size === 0) return;
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
  if (!blocking && performance.now() - parkedAt < QUICK_MILLISECONDS) blocking = true;
  drainInbox();
  arm();
}

/**
 * The idle hook: when this domain has nothing to run but fibers waiting on shared objects,
 * watch the doorbell for a short while (a wake-up from a busy domain usually comes within
 * microseconds, and a `waitAsync` round trip costs tens). While spinning, wakers need not
 * notify; the flag is set again before the final look at the inbox. If the spin missed, block
 * in `Atomics.wait` for up to {@link BLOCK_MILLISECONDS}: the OS wakes a blocked thread at
 * once on notify, where a `waitAsync` wake-up goes through the event loop (measured here under
 * load: ~60 µs against ~300 µs a round trip). Blocking stalls this thread's I/O for that long,
 * so it is only done while answers keep coming quickly: after a block that timed out, the
 * domain only spins until a wake-up comes within {@link QUICK_MILLISECONDS} of parking.
 * `watches` (see {@link watchWhileIdle}) are polled while spinning; one that finds work ends
 * the spin (no block) and makes this return true.
 */
export function spinForBell(watches: readonly (() => boolean)[] = noWatches): boolean {
  if (parkedFibers.size === 0) return false;
  const arena = getArena();
  const i32 = arena.i32;
  const inbox = arena.slot(arena.domainId, D_INBOX);
  const parked = arena.slot(arena.domainId, D_PARKED);
  Atomics.store(i32, parked, 0);
  const deadline = performance.now() + SPIN_MICROSECONDS / 1000;
  let other = false;
  outer: for (;;) {
    for (let i = 0; i < 256; i++) if (Atomics.load(i32, inbox) !== 0) break outer;
    for (const watch of watches) if ((other = watch())) break outer;
    if (performance.now() > deadline) break;
  }
  Atomics.store(i32, parked, 1);
  if (!other && blocking && Atomics.load(i32, inbox) === 0) {
    // Returns "not-equal" at once if a push landed since the load (no lost wake-up).
    blocking = Atomics.wait(i32, inbox, 0, BLOCK_MILLISECONDS) !== "timed-out";
  }
  const woke = drainInbox() || other;
  if (!woke) parkedAt = performance.now();
  arm();
  return woke;
}

const noWatches: readonly (() => boolean)[] = [];
const idleWatches = new WeakMap<Scheduler, (() => boolean)[]>();

/**
 * True while fibers of this thread wait on shared objects: the scheduler's idle hook will then
 * spin on the doorbell ({@link spinForBell}), watching the sources given to
 * {@link watchWhileIdle} too, so those need not spin on their own first (a spin that does not
 * watch the doorbell only delays the wake-up it is waiting for).
 */
export function sharedWaiting(): boolean {
  return parkedFibers.size > 0;
}

/**
 * Makes `scheduler`'s idle spin also call `poll` (another source of wake-ups, e.g. the domains
 * hub's outboxes): it stops spinning as soon as `poll` returns true (it found work).
 */
export function watchWhileIdle(scheduler: Scheduler, poll: () => boolean): void {
  let watches = idleWatches.get(scheduler);
  if (watches === undefined) idleWatches.set(scheduler, (watches = []));
  watches.push(poll);
}

/** How long an idle domain blocks for a wake-up after spinning, while answers come quickly. */
const BLOCK_MILLISECONDS = 0.5;
const QUICK_MILLISECONDS = 2;
let blocking = true;
let parkedAt = 0;

/** Hooks a scheduler's idle moments to this thread's doorbell (called by `Eio.run`). */
export function attachScheduler(scheduler: Scheduler): void {
  getArena();
  const previous = scheduler.onIdle;
  let watches = idleWatches.get(scheduler);
  if (watches === undefined) idleWatches.set(scheduler, (watches = []));
  const spinWatching = watches;
  scheduler.onIdle = () => drainInbox() || (previous !== null && previous()) || spinForBell(spinWatching);
}
