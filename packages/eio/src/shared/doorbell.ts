/**
 * Cross-domain wake-ups. Each domain has, in its slot of the arena, an inbox: a lock-free
 * stack of waiter records pushed by other domains. The inbox head doubles as the doorbell: it
 * is this thread's {@link IdleSource} for the idle policy (`idle-policy.ts`), which spins on
 * it, blocks or parks with `Atomics.waitAsync` on it (armed as soon as a fiber waits, while a
 * ref'd timer keeps Node alive). A waker pushes the record, then calls `Atomics.notify` only
 * if the target said it is parked.
 * @internal
 * @module
 */
import type { Fiber, Scheduler } from "../core/scheduler.js";
import { getArena, peekArena } from "./arena.js";
import { pushRecord, takeAll } from "./atomics.js";
import { collectIfDue } from "./cycles.js";
import { holdThread, IdleSource, parkOn, releaseThreadSoon, watchIdle } from "./idle-policy.js";
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
  holdThread();
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
  if (parkedCount === 0) releaseThreadSoon(inboxSource!);
  return fiber;
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
  // Wake both a thread blocked in Atomics.wait and its pending waitAsync (see idle-policy.ts).
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
 * notify (arming only on the way back to the event loop lost wake-ups in long runs, and was
 * reverted).
 */
function arm(): void {
  const source = inboxSource ?? makeInbox();
  if (source.parked) return;
  source.seen = source.sleep();
  parkOn(source);
}

/** How long the idle spin may last for the inbox (the thread's budget decides within it). */
const SPIN_MS = 0.05;
/** How long a thread that waits only on other domains blocks, while answers come quickly. */
const BLOCK_MS = 0.5;
/** After a block that timed out, blocking resumes once a wake-up comes this soon after parking. */
const QUICK_MS = 2;

/**
 * The inbox as a source of the idle policy. Its parked flag is 0 only while the thread spins
 * on the inbox, so wakers skip `Atomics.notify`, which costs about as much as the rest of a
 * round trip and would also fire the pending `waitAsync` (a wasted event-loop turn). It is set
 * again as soon as the spin ends: leaving it at 0 until the next spin saved the notifies of a
 * hot ping-pong, but long runs then lost a wake-up now and then.
 */
class Inbox extends IdleSource {
  readonly rank = 0;
  readonly words: Int32Array;
  readonly index: number;
  readonly blockMs = BLOCK_MS;
  readonly blocksInARow = 1;
  readonly quickMs = QUICK_MS;
  readonly stayParked = true;
  readonly scheduler = null;
  /** The parked flag's index in `words`. */
  private readonly flag: number;

  constructor() {
    super();
    const arena = getArena();
    this.words = arena.i32;
    this.index = arena.slot(arena.domainId, D_INBOX);
    this.flag = arena.slot(arena.domainId, D_PARKED);
  }

  /** The fibers of `scheduler` waiting on shared objects: each holds one external wait. */
  waits(scheduler: Scheduler): number {
    return countOf(scheduler).n;
  }

  active(): boolean {
    return parkedCount > 0;
  }

  /** A thread in a hot exchange with another domain may not reach its event loop for long. */
  override enterIdle(): boolean {
    if (parkedCount > 0) collectIfDue();
    return false;
  }

  poll(): boolean {
    return drainInbox();
  }

  ready(): boolean {
    return Atomics.load(this.words, this.index) !== 0;
  }

  spinMs(): number {
    return SPIN_MS;
  }

  spinStarts(): void {
    Atomics.store(this.words, this.flag, 0);
  }

  spinEnds(): void {
    Atomics.store(this.words, this.flag, 1);
  }

  /**
   * The flag is stored before the caller's last look at the inbox (Dekker, see {@link deliver});
   * the wait is for the inbox to leave 0, so a push that landed after that look makes it return
   * "not-equal" at once.
   */
  sleep(): number {
    Atomics.store(this.words, this.flag, 1);
    return 0;
  }

  /** The flag stays 1 while the thread runs (see the class comment). */
  awake(): void {}
}

let inboxSource: Inbox | null = null;

function makeInbox(): Inbox {
  return (inboxSource = new Inbox());
}

/** Registers this thread's inbox with `scheduler`'s idle policy (called by `Eio.run`). */
export function watchInbox(scheduler: Scheduler): void {
  watchIdle(scheduler, inboxSource ?? makeInbox());
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
