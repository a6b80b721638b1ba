/**
 * What a thread does when its scheduler has nothing to run while fibers wait on shared
 * objects: the idle policy of the cross-domain wake-up path (`Eio.run` installs it with
 * {@link attachScheduler}; `doorbell.ts` has the handshake itself).
 *
 * 1. Spin on the doorbell, for as long as {@link spinBudget} says spinning recently paid
 *    (a wake-up from a busy domain usually comes within microseconds; a `waitAsync` one costs
 *    tens). The parked flag is 0 meanwhile, so wakers skip `Atomics.notify`, which costs about
 *    as much as the rest of a round trip and would also fire the pending `waitAsync` (a wasted
 *    event-loop turn). The flag is set again as soon as the spin ends.
 * 2. If the spin missed: set the flag (wakers notify from now on), then, if the thread waits
 *    on nothing but other domains, block in `Atomics.wait` for up to {@link BLOCK_MS}: the OS
 *    wakes a blocked thread at once, where a `waitAsync` wake-up goes through the event loop.
 * 3. Return to the event loop with a `waitAsync` pending on the doorbell (`park` arms it as
 *    soon as a fiber waits, and a bell re-arms it: arming only on the way back to the event
 *    loop lost wake-ups in long runs, and was reverted).
 *
 * A thread that also waits on I/O or timers (external waits that are not cross-domain) neither
 * blocks nor spins: it looks at its inbox once and returns to its event loop. While it spins or
 * blocks it cannot see a socket become readable, and its spinning takes the core that the
 * domain it waits for, or the clients, need (measured on the KV server with redis-benchmark on
 * the same 2 cores: spinning up to 20 µs paid one time in five, took 17% of the main thread, and
 * GET served 13-34% fewer requests per second than with no spin, in four alternating runs).
 * @internal
 * @module
 */
import type { Scheduler } from "../core/scheduler.js";
import { collectIfDue } from "./cycles.js";
import { arm, bellWords, drainInbox, onBellWake, parkedOn, sharedWaiting } from "./doorbell.js";
import { SpinBudget } from "./spin-budget.js";

/** Other sources of cross-domain wake-ups a scheduler's idle spin watches. */
interface Sources {
  readonly polls: (() => boolean)[];
  /** How many of the scheduler's external waits each source accounts for. */
  readonly waits: (() => number)[];
}

const sourcesBySchedulers = new WeakMap<Scheduler, Sources>();

function sourcesOf(scheduler: Scheduler): Sources {
  let sources = sourcesBySchedulers.get(scheduler);
  if (sources === undefined) sourcesBySchedulers.set(scheduler, (sources = { polls: [], waits: [] }));
  return sources;
}

/**
 * Makes `scheduler`'s idle spin also call `poll` (another source of cross-domain wake-ups,
 * e.g. the domains hub's outboxes): it stops spinning as soon as `poll` returns true (it found
 * work). `externalWaits` says how many of the scheduler's external waits that source holds
 * (they are cross-domain, so they do not stop the thread from blocking; while it blocks the
 * source is polled every {@link SLICE_MS}).
 */
export function watchWhileIdle(scheduler: Scheduler, poll: () => boolean, externalWaits?: () => number): void {
  const sources = sourcesOf(scheduler);
  sources.polls.push(poll);
  if (externalWaits !== undefined) sources.waits.push(externalWaits);
}

/** The idle spin's length, adapted between 2 and 50 µs to what spinning recently bought. */
export const spinBudget = new SpinBudget(0.002, 0.05);
/** How long a thread that waits only on other domains blocks, while answers come quickly. */
const BLOCK_MS = 0.5;
/** While blocked, how often the other watched sources are polled. */
const SLICE_MS = 0.05;
/** After a block that timed out, blocking resumes once a wake-up comes this soon after parking. */
const QUICK_MS = 2;
let blocking = true;
let parkedAt = 0;

onBellWake((now) => {
  spinBudget.wokeAt(now);
  if (!blocking && now - parkedAt < QUICK_MS) blocking = true;
});

/** External waits of `scheduler` that are not on other domains (I/O, timers, native promises). */
function otherWaits(scheduler: Scheduler, sources: Sources): number {
  let crossDomain = parkedOn(scheduler);
  for (const waits of sources.waits) crossDomain += waits();
  return scheduler.pendingExternalWaits - crossDomain;
}

function pollAll(polls: readonly (() => boolean)[]): boolean {
  for (const poll of polls) if (poll()) return true;
  return false;
}

/** The idle hook's last step (see the module comment); true if it made a fiber runnable. */
function idleWait(scheduler: Scheduler, sources: Sources): boolean {
  const { i32, inbox, parked } = bellWords();
  if (parkedOn(scheduler) === 0) {
    // Another scheduler of this thread may have fibers waiting, and its last spin may have
    // left the flag at 0: this thread may sleep now, so wakers must notify.
    if (sharedWaiting()) {
      Atomics.store(i32, parked, 1);
      arm();
    }
    return false;
  }
  collectIfDue();
  const polls = sources.polls;
  const withIo = otherWaits(scheduler, sources) > 0;

  Atomics.store(i32, parked, 0);
  // With I/O to watch, one pass of the loop below: no spin.
  const deadline = withIo ? 0 : performance.now() + spinBudget.ms;
  let bell = false;
  let other = false;
  for (;;) {
    for (let i = 0; i < 128 && !bell; i++) bell = Atomics.load(i32, inbox) !== 0;
    if (bell || (other = pollAll(polls)) || performance.now() > deadline) break;
  }
  if (bell || other) {
    if (!withIo) spinBudget.paid();
    // Wakers notify again from here on. Leaving the flag at 0 until the next idle spin saved
    // the notifies of a hot ping-pong, but long runs then lost a wake-up now and then.
    Atomics.store(i32, parked, 1);
    if (drainInbox() || other) return true;
  } else if (!withIo) {
    spinBudget.missed(performance.now());
  }
  // From here on the thread may sleep: wakers must notify. The store comes before the last
  // look at the inbox (see `deliver`).
  Atomics.store(i32, parked, 1);
  if (blocking && !withIo && Atomics.load(i32, inbox) === 0) {
    const until = performance.now() + BLOCK_MS;
    for (;;) {
      // "not-equal" at once if a push landed since the load: no lost wake-up.
      const result = Atomics.wait(i32, inbox, 0, polls.length > 0 ? SLICE_MS : BLOCK_MS);
      if (result !== "timed-out" || (other = pollAll(polls))) break;
      if (performance.now() >= until) {
        blocking = false;
        spinBudget.wasted();
        break;
      }
    }
  }
  const woke = drainInbox() || other;
  if (woke) {
    spinBudget.wokeAt(performance.now());
    return true;
  }
  parkedAt = performance.now();
  arm();
  return false;
}

/** Hooks a scheduler's idle moments to this thread's doorbell (called by `Eio.run`). */
export function attachScheduler(scheduler: Scheduler): void {
  bellWords();
  const sources = sourcesOf(scheduler);
  const previous = scheduler.onIdle;
  scheduler.onIdle = () => drainInbox() || (previous !== null && previous()) || idleWait(scheduler, sources);
}
