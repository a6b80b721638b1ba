/**
 * What a thread does when its scheduler has nothing to run: the one idle policy of a thread.
 * Every source of wake-ups from other threads is an {@link IdleSource} registered here with
 * {@link watchIdle}: the shared heap's inbox (`doorbell.ts`), the domains hub's outboxes
 * (`domains/hub.ts`), a domain's inbox ring (`domains/worker/runner.ts`). Timers, sockets and
 * native promises are the scheduler's other external waits: the policy only counts them. Each
 * idle turn of a scheduler:
 *
 * 1. Lets each source do what waits for the idle moment, and polls them all: real results
 *    first, and only then the scheduler's previous hook (a mock clock advancing virtual time).
 * 2. Spins on the sources that wait for something, for as long as the thread's
 *    {@link SpinBudget} says spinning recently paid (a wake-up from a busy domain usually comes
 *    within microseconds; one through `waitAsync` costs tens), capped by what each source
 *    allows ({@link IdleSource.spinMs}). While it spins, producers need not wake the thread
 *    (`spinStarts`): waking costs about as much as the rest of a round trip.
 * 3. Announces sleep on every source (producers wake the thread from now on), looks at them
 *    once more, then, if nothing but other domains can wake the thread, blocks in
 *    `Atomics.wait` on the word of the first source (by rank), bounded by that source's
 *    `blockMs`, polling the others every {@link SLICE_MS}: the OS wakes a blocked thread at
 *    once, where a `waitAsync` wake-up goes through the event loop.
 * 4. After a block that timed out, either lets the event loop take a turn and blocks again
 *    (`blocksInARow`: the hub's pool jobs) or parks: each source gets an `Atomics.waitAsync` on
 *    its word, and the thread returns to its event loop.
 *
 * The measured rules behind it:
 * - A thread that also waits on I/O or timers (external waits that are not cross-domain)
 *   neither spins nor blocks: it looks at its sources once and returns to its event loop.
 *   While it spins or blocks it cannot see a socket become readable, and its spinning takes the
 *   core that the domain it waits for, or the clients, need (measured on the KV server with
 *   redis-benchmark on the same 2 cores: spinning up to 20 µs paid one time in five, took 17%
 *   of the main thread, and GET served 13-34% fewer requests per second than with no spin, in
 *   four alternating runs; the hub's own spin was 5% of kv-server's main thread).
 * - Spin only while spinning recently paid ({@link SpinBudget}): halving after every miss let
 *   one pool task at a time settle where both threads slept (median 28-30 µs a task, against
 *   2.6-2.7 µs with the budget's rule that a wake-up soon after a missed spin doubles it).
 * - Block only when nothing but other domains can wake the thread, and only for a bounded
 *   time; stop blocking after `blocksInARow` blocks in a row that timed out, until results come
 *   quickly again (found while the thread is awake, or a ring within the source's `quickMs` of
 *   parking): waking every millisecond to find nothing costs more than it saves.
 * - A source that stays parked, its sleep still announced, is polled once per idle turn and
 *   not announced and looked at again: a producer that published since the announcement rang
 *   it. A server's thread goes idle after every read of a socket; in `Net.runServer` with 2
 *   additional domains under redis-benchmark (`perf record` of the server process, 400k
 *   requests, two runs each), the idle turns took 2.8% of the process's CPU, 1.8% without the
 *   second look and without reading the clock at each park.
 * - A source can forbid the spin for a turn: a domain whose last result had to wake its parent
 *   from `waitAsync` gets its next job only after the OS and the parent's event loop, so
 *   spinning would only take the core the parent needs (a parent blocked in `Atomics.wait`
 *   answers as soon as the OS wakes it: the domain spins for that). A thread can forbid it
 *   for good ({@link parkAtOnce}): a server domain goes idle between every two events.
 * - A pending `waitAsync` does not keep Node alive: a source whose wait nothing else keeps
 *   alive (the shared heap's inbox) holds a ref'd handle while it waits ({@link holdThread}) and
 *   drops it a turn after nothing waits any more ({@link releaseThreadSoon}).
 *
 * - Before a fiber waits on a shared stream or promise, {@link spinWhile} looks at the object
 *   itself, under the same rules and budget as the idle spin: a fiber that finds the answer
 *   there needs no waiter record, no delivery through the inbox and no wake-up (measured on a
 *   shared-stream ping-pong between two domains: median 0.5-0.6 µs a round trip, against
 *   1.7-1.9 µs through the waiter, in alternating runs).
 *
 * No allocation or closure per idle turn: sources are kept in an array per scheduler, the
 * active ones in a bit mask, and each source's `waitAsync` handler is made once.
 * @internal
 * @module
 */
import type { Scheduler } from "../core/scheduler.js";
import { SpinBudget } from "./spin-budget.js";

/**
 * A source of wake-ups from other threads, watched by the idle policy of its thread. The
 * fields `parked`, `seen` and `onRing` belong to the policy.
 */
export abstract class IdleSource {
  /** Sources of a scheduler are kept by rank; the thread blocks on the first one that waits. */
  abstract readonly rank: number;
  /** The word (`words[index]`) the thread blocks or parks on for this source. */
  abstract readonly words: Int32Array;
  abstract readonly index: number;
  /** How long one block on this source may last, in milliseconds. */
  abstract readonly blockMs: number;
  /**
   * Blocks in a row that may time out (each after an event-loop turn) before the thread parks
   * instead, and stops blocking until results come quickly again.
   */
  abstract readonly blocksInARow: number;
  /** A ring this soon after the thread parked, in milliseconds, means results come quickly again. */
  abstract readonly quickMs: number;
  /**
   * Whether a `waitAsync` on this source is re-armed as soon as it rings (the thread may be
   * busy for a while and the source must still be heard); otherwise the ring schedules
   * {@link scheduler}, whose next idle turn parks again.
   */
  abstract readonly stayParked: boolean;
  /** The scheduler a ring reschedules (see {@link stayParked}). */
  abstract readonly scheduler: Scheduler | null;

  /** A `waitAsync` on the word is pending. */
  parked = false;
  /** The value of the word when sleep was last announced (what a wait waits to change). */
  seen = 0;
  /**
   * Sleep was announced (not blocking) and the policy has not woken the source since: with
   * {@link parked}, producers already wake the thread, so an idle turn need not announce and
   * look again (see {@link sleepAndLook}).
   */
  asleep = false;
  /** Runs when the pending `waitAsync` ends; made once, by {@link watchIdle}. */
  onRing: () => void = noop;

  /** How many of `scheduler`'s external waits this source holds now (0: it waits for nothing). */
  abstract waits(scheduler: Scheduler): number;
  /** Whether anything may still arrive (a parked source stays parked only while so). */
  abstract active(): boolean;
  /** Takes what arrived; true if it made a fiber runnable. */
  abstract poll(): boolean;
  /** A cheap look for the spin: true if something arrived (it may take it, as `poll`). */
  abstract ready(): boolean;
  /**
   * The longest spin this source wants this turn, in milliseconds (0: none). Asked once per
   * idle turn, while the source waits.
   */
  abstract spinMs(): number;
  /**
   * Producers need not wake the thread: it spins on this source. {@link spinEnds} or
   * {@link sleep} follows.
   */
  abstract spinStarts(): void;
  /** The spin is over, whatever it found. */
  abstract spinEnds(): void;
  /**
   * From now on producers must wake the thread; returns the value of the word to wait on.
   * `blocking`: the thread is about to block in `Atomics.wait` (it polls every source within
   * a millisecond).
   */
  abstract sleep(blocking: boolean): number;
  /** The thread is running again after a block or a ring. */
  abstract awake(): void;

  /** The scheduler ran out of fibers: do what waited for that moment; true if it made a fiber runnable. */
  enterIdle(): boolean {
    return false;
  }

  /** False while the thread must not block (something this source cannot count would wait). */
  mayBlock(): boolean {
    return true;
  }
}

function noop(): void {}

/**
 * Looks at the sources per round of the spin, between two readings of the clock: about 1 µs
 * for the inbox's word (the hub reads its outboxes one look in 4, so 32 times a round).
 */
const LOOKS_PER_ROUND = 128;
/** While several sources wait, how often a blocked thread polls the ones it is not blocked on. */
const SLICE_MS = 0.05;

/** The thread's one spin budget: 2-50 µs (a domain's runner widens it, {@link setSpinRange}). */
let budget = new SpinBudget(0.002, 0.05);
/** False once {@link parkAtOnce} was called. */
let spinning = true;
/** Blocks in a row that timed out with nothing found. */
let quiet = 0;
/** When the thread last parked (`performance.now()`). */
let parkedAt = 0;

/** One scheduler's sources and idle hook. */
class Watched {
  readonly sources: IdleSource[] = [];
  private reblocking = false;
  /** Comes back to the idle hook after one turn of the event loop (see `blocksInARow`). */
  readonly reblock = (): void => {
    this.reblocking = false;
    this.scheduler.schedule();
  };

  constructor(
    readonly scheduler: Scheduler,
    readonly previous: (() => boolean) | null,
  ) {}

  blockAgainSoon(): void {
    if (this.reblocking) return;
    this.reblocking = true;
    setImmediate(this.reblock);
  }
}

const watched = new WeakMap<Scheduler, Watched>();

/** `scheduler`'s sources; its idle hook follows this policy from the first (its previous hook runs after the sources found nothing). */
function watchedOf(scheduler: Scheduler): Watched {
  let w = watched.get(scheduler);
  if (w === undefined) {
    const state = (w = new Watched(scheduler, scheduler.onIdle));
    watched.set(scheduler, state);
    scheduler.onIdle = () => idleTurn(state);
  }
  return w;
}

/**
 * Registers `source` with `scheduler`'s idle policy, which then runs the scheduler's idle hook
 * (`Eio.run` registers the shared heap's inbox first; the hub and a domain's runner follow).
 */
export function watchIdle(scheduler: Scheduler, source: IdleSource): void {
  const sources = watchedOf(scheduler).sources;
  if (sources.includes(source)) return;
  if (source.onRing === noop) source.onRing = () => rang(source);
  let at = sources.length;
  while (at > 0 && sources[at - 1]!.rank > source.rank) at--;
  sources.splice(at, 0, source);
}

/**
 * This thread never spins: it goes straight to blocking or parking. For a thread that waits on
 * I/O all its life (`Net.runServer`'s domains): a server goes idle between every two events,
 * and a spin each time only takes the core from the threads doing the work.
 */
export function parkAtOnce(): void {
  spinning = false;
}

/**
 * Sets the range of this thread's spin budget, in milliseconds. A domain waits for its parent's
 * next job: 5-300 µs (a parent sending job after job gets them picked up in microseconds).
 */
export function setSpinRange(minMs: number, maxMs: number): void {
  budget = new SpinBudget(minMs, maxMs);
}

/** A result arrived while the thread was not parked: after a missed spin, adapt the budget. */
function foundWhileAwake(): void {
  quiet = 0;
  if (budget.awaitingWake) budget.wokeAt(performance.now());
}

/** The idle hook of a scheduler (see the module comment); true if it made a fiber runnable. */
function idleTurn(w: Watched): boolean {
  const sources = w.sources;
  const n = sources.length;
  let found = false;
  for (let i = 0; i < n; i++) if (sources[i]!.enterIdle()) found = true;
  for (let i = 0; i < n; i++) if (sources[i]!.poll()) found = true;
  if (found) {
    foundWhileAwake();
    return true;
  }
  if (w.previous !== null && w.previous()) return true;

  const scheduler = w.scheduler;
  let active = 0;
  let crossDomain = 0;
  let spinMs = spinning ? Infinity : 0;
  let mayBlock = true;
  let first = -1;
  for (let i = 0; i < n; i++) {
    const source = sources[i]!;
    const waits = source.waits(scheduler);
    if (waits === 0) continue;
    active |= 1 << i;
    crossDomain += waits;
    if (first < 0) first = i;
    // Asked of every waiting source each turn: a source may clear a one-turn veto here.
    spinMs = Math.min(spinMs, source.spinMs());
    if (!source.mayBlock()) mayBlock = false;
  }
  if (active === 0) return false;
  // Everything else the scheduler waits on (I/O, timers, native promises): no spin, no block.
  const withIo = scheduler.pendingExternalWaits > crossDomain;

  if (!withIo && spinMs > 0) {
    for (let i = 0; i < n; i++) if ((active >> i) & 1) sources[i]!.asleep = false;
    if (spin(sources, active, Math.min(budget.ms, spinMs))) {
      // Take what the spin saw (`ready` may have taken it already) and run what it woke.
      for (let i = 0; i < n; i++) if ((active >> i) & 1) sources[i]!.poll();
      quiet = 0;
      return true;
    }
  }

  const primary = sources[first]!;
  const block = mayBlock && !withIo && quiet < primary.blocksInARow;
  if (sleepAndLook(sources, active, block)) return true;
  if (block) {
    const woke = blockOn(primary, sources, active, active !== 1 << first);
    for (let i = 0; i < n; i++) if ((active >> i) & 1) wake(sources[i]!);
    let any = woke;
    for (let i = 0; i < n; i++) if ((active >> i) & 1 && sources[i]!.poll()) any = true;
    if (any) {
      foundWhileAwake();
      return true;
    }
    quiet++;
    budget.wasted();
    if (quiet < primary.blocksInARow) {
      // Let the event loop take a turn (a worker's exit, a port), then block again, rather
      // than park in `waitAsync`, whose wake-up waits for the event loop: a domain that
      // finished its staged job could wait that long for the next one.
      w.blockAgainSoon();
      return false;
    }
    if (sleepAndLook(sources, active, false)) return true;
  }
  for (let i = 0; i < n; i++) if ((active >> i) & 1) parkOn(sources[i]!);
  // Read only by `rang`, to end a quiet spell: while none lasts, the clock need not be read (a
  // server's thread parks after every read of a socket).
  if (quiet > 0) parkedAt = performance.now();
  return false;
}

/** The policy wakes `source`: producers need not ring it any more. */
function wake(source: IdleSource): void {
  source.asleep = false;
  source.awake();
}

/**
 * How long a fiber spins on one shared object before its waiter registers (see
 * {@link spinWhile}): 10 µs-1 ms, its own budget, since what it waits for is one answer, not any.
 * Its top covers the other thread's wake-up from `Atomics.wait`: with 20 µs, a producer and a
 * consumer that each missed the other's wake-up took turns sleeping, 100 items per pair of
 * wake-ups. With 200 µs, a ping-pong whose other side was descheduled once (a spin that found
 * its answer after 560 µs) fell into the same mode: traced on both threads, the OS took
 * 30-250 µs to wake a blocked thread here, the next spins of 200 µs missed, both budgets halved
 * to the bottom within five round trips, and each round trip then cost two OS wake-ups (50-150
 * µs) for hundreds of round trips, until a probe of 200 µs happened to outlast a wake-up.
 * With 1 ms, the domains suite's round-trip mean was 2.57-2.85x the floor's in 3 runs, against
 * 2.42-3.89x in 3 runs with 200 µs; and after 300 ms idle, a sample of 10k round trips averaged
 * 1.1-5.7 µs (most 1.1-1.6), against 1.1-7.2 µs (most above 2.6). Its bottom covers a round
 * trip whose other side is on a core, so that one side spinning brings the other back: with
 * 1 µs, after four misses in a row (a loaded machine descheduling either thread) a side stayed
 * at the minimum, each of
 * its spins ran out before an answer that takes 2 µs, and each round trip went through OS
 * wake-ups until its 1-in-32 probe (a cross-domain promise ping-pong at load 13-15 on 2 cores:
 * medians of 35-50 µs, 30-55% of the awaits waiting, in 2 runs of 7; with 10-20 µs, none of
 * 8 runs did, medians 1.9-3.9 µs; `bench/shared-round-trip-probe.mjs`).
 */
let objectBudget = new SpinBudget(0.01, 1);
let lastWatched: Watched | null = null;

/**
 * Spins while `words[index]` still holds `value`, before a fiber of `scheduler` registers as a
 * waiter on a shared object (a stream that is full or empty, a pending promise); true if the
 * word changed, and the fiber can go on without waiting. Only while the scheduler has nothing
 * else to run and waits on nothing but other domains (the idle turn's own rule), and for as long
 * as its budget says such spins recently paid; a fiber that spun in vain and then waited calls
 * {@link wokeAfterSpin} when it resumes, so that a wake-up coming soon after the spin lengthens
 * the next one. The idle turn would spin next anyway, on the inbox; looking at the object itself
 * instead saves both sides the waiter: the record, its queue, the delivery and the wake-up,
 * which cost more than the rest of a round trip (measured: a stream that the main thread
 * filled faster than a domain emptied it woke the main thread once per item, through the inbox).
 * A spin bounded by the idle budget alone fell into a stable slow mode: a taker that missed its
 * few microseconds parked, each item then cost its adder an `Atomics.notify`, and items came
 * too slowly for the next short spin (items through a stream took 1.3-2.7 µs in half the runs,
 * 0.25-0.45 µs in the others).
 */
/**
 * Work a thread may do while one of its fibers is about to spin for another domain (set by
 * cycle-candidates.ts): done there, it is off the path of a round trip, where it would
 * otherwise come in one batch at some release.
 */
let spareWork: () => void = () => {};

/** @internal */
export function setSpareWork(fn: () => void): void {
  spareWork = fn;
}

export function spinWhile(scheduler: Scheduler, words: Int32Array, index: number, value: number): boolean {
  if (!spinning || scheduler.hasQueued) return false;
  let w = lastWatched;
  if (w === null || w.scheduler !== scheduler) {
    w = watched.get(scheduler) ?? null;
    if (w === null) return false;
    lastWatched = w;
  }
  let crossDomain = 0;
  const sources = w.sources;
  for (let i = 0; i < sources.length; i++) crossDomain += sources[i]!.waits(scheduler);
  if (scheduler.pendingExternalWaits > crossDomain) return false;
  spareWork();
  const deadline = performance.now() + objectBudget.ms;
  do {
    for (let k = 0; k < LOOKS_PER_ROUND; k++) {
      if (Atomics.load(words, index) !== value) {
        objectBudget.paid();
        return true;
      }
    }
  } while (performance.now() < deadline);
  objectBudget.missed(performance.now());
  return false;
}

/** A fiber whose {@link spinWhile} found nothing has been woken: adapt the spin to how soon. */
export function wokeAfterSpin(): void {
  if (objectBudget.awaitingWake) objectBudget.wokeAt(performance.now());
}

/** Spins on the `active` sources for up to `ms`; true if one had something. */
function spin(sources: readonly IdleSource[], active: number, ms: number): boolean {
  const n = sources.length;
  for (let i = 0; i < n; i++) if ((active >> i) & 1) sources[i]!.spinStarts();
  const deadline = performance.now() + ms;
  let hit = false;
  do {
    // Reading the clock costs several looks at a word: read it once per round.
    for (let k = 0; k < LOOKS_PER_ROUND && !hit; k++) {
      for (let i = 0; i < n; i++) {
        if ((active >> i) & 1 && sources[i]!.ready()) {
          hit = true;
          break;
        }
      }
    }
  } while (!hit && performance.now() < deadline);
  for (let i = 0; i < n; i++) if ((active >> i) & 1) sources[i]!.spinEnds();
  if (hit) budget.paid();
  else budget.missed(performance.now());
  return hit;
}

/**
 * Announces sleep on every active source, then looks at each once more: a result published
 * before a producer could see the announcement is found here (each source's `sleep` stores
 * its flag before this read; see its ordering argument). True if one was found (the sources
 * are awake again).
 */
function sleepAndLook(sources: readonly IdleSource[], active: number, blocking: boolean): boolean {
  const n = sources.length;
  let looked = 0;
  for (let i = 0; i < n; i++) {
    if (((active >> i) & 1) === 0) continue;
    const source = sources[i]!;
    // Parked and still announced: a producer that published since the announcement rang it,
    // and this turn's first poll took the rest. A server's thread goes idle after every read
    // of a socket, and this look cost it as much as the rest of its idle turn.
    if (!blocking && source.parked && source.asleep) continue;
    source.seen = source.sleep(blocking);
    source.asleep = !blocking;
    looked |= 1 << i;
  }
  let any = false;
  for (let i = 0; i < n; i++) if ((looked >> i) & 1 && sources[i]!.poll()) any = true;
  if (!any) return false;
  for (let i = 0; i < n; i++) if ((active >> i) & 1) wake(sources[i]!);
  foundWhileAwake();
  return true;
}

/**
 * Blocks the thread in `Atomics.wait` on `primary`'s word for up to its `blockMs`, in slices
 * of {@link SLICE_MS} polling the other active sources when there are some (`others`). No lost
 * wake-up: `primary.seen` was read before its sleep was announced, so a producer that
 * published since then either changed the word (the wait returns "not-equal" at once) or saw
 * the announcement and will notify. True if another source had something.
 */
function blockOn(primary: IdleSource, sources: readonly IdleSource[], active: number, others: boolean): boolean {
  const until = performance.now() + primary.blockMs;
  const slice = others ? SLICE_MS : primary.blockMs;
  const n = sources.length;
  for (;;) {
    if (Atomics.wait(primary.words, primary.index, primary.seen, slice) !== "timed-out" || !others) return false;
    for (let i = 0; i < n; i++) {
      const source = sources[i]!;
      if ((active >> i) & 1 && source !== primary && source.poll()) return true;
    }
    if (performance.now() >= until) return false;
  }
}

/**
 * Leaves a `waitAsync` pending on `source`'s word, from the value `source.seen` its `sleep`
 * returned: it ends when a producer changes the word (and notifies), or at once if one
 * already did. At most one per source.
 */
export function parkOn(source: IdleSource): void {
  if (source.parked) return;
  source.parked = true;
  const result = Atomics.waitAsync(source.words, source.index, source.seen);
  if (result.async) void result.value.then(source.onRing);
  else queueMicrotask(source.onRing);
}

/** A parked source rang (or its wait ended at once). */
function rang(source: IdleSource): void {
  source.parked = false;
  wake(source);
  if (source.poll()) {
    const now = performance.now();
    budget.wokeAt(now);
    if (now - parkedAt < source.quickMs) quiet = 0;
  }
  if (!source.stayParked) {
    source.scheduler?.schedule();
    return;
  }
  if (!source.active()) return;
  // Re-armed at once: a busy thread may not go idle for a while, and the source must still be
  // heard (arming only on the way back to the event loop lost wake-ups in long runs).
  source.seen = source.sleep(false);
  source.asleep = true;
  source.poll();
  parkOn(source);
}

let keepAlive: ReturnType<typeof setInterval> | null = null;
let holding = false;
let releasing: IdleSource | null = null;

/** Keeps Node alive while a source waits in `waitAsync` (a pending one alone does not). */
export function holdThread(): void {
  if (holding) return;
  holding = true;
  keepAlive ??= setInterval(noop, 1 << 30);
  keepAlive.ref();
}

/**
 * Lets Node exit once a whole turn passed with `source` waiting for nothing: toggling a
 * timer's ref costs microseconds, and a ping-pong goes 1 -> 0 -> 1 waiting fibers at every step.
 */
export function releaseThreadSoon(source: IdleSource): void {
  if (releasing !== null || !holding) return;
  releasing = source;
  setImmediate(releaseIfIdle);
}

function releaseIfIdle(): void {
  const source = releasing!;
  releasing = null;
  if (holding && !source.active()) {
    holding = false;
    keepAlive!.unref();
  }
}
