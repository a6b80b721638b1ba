/**
 * The parent side of a thread's domains: one per scheduler. It reads results from every child
 * domain's outbox and settles their jobs, without `postMessage` and without blocking the
 * thread's other fibers or I/O.
 *
 * When the scheduler has nothing to run (its idle hook) and jobs are out, the hub spins
 * briefly on the outboxes (unless the thread also waits on I/O or timers): a result that comes
 * back within microseconds is picked up at once.
 * After that, if nothing but its domains can wake a fiber of this thread, it blocks in
 * `Atomics.wait` a millisecond at a time, with a turn of the event loop in between, until
 * results stop coming for a while; then (or if it cannot block) it parks in
 * `Atomics.waitAsync` on its doorbell.
 * Children ring it only while it is parked. While jobs are out it holds an external wait, so the scheduler does not call the
 * program deadlocked; the workers themselves keep Node's event loop alive.
 * @internal
 * @module
 */
import type { Scheduler } from "../core/scheduler.js";
import { sharedWaiting, watchWhileIdle } from "../shared/index.js";
import { SpinBudget } from "../shared/spin-budget.js";
import { awake, prepareToSleep, sleepAsync, sleepBlocking } from "./doorbell.js";
import { BLOCKING } from "./ring.js";
import type { Domain } from "./domain.js";

/** How long the idle hook polls before parking, in milliseconds: adapted between these. */
const SPIN_MAX_MS = 0.05;
const SPIN_MIN_MS = 0.002;
/** How long an idle thread that waits on nothing but its domains blocks for a result. */
const BLOCK_MS = 1;
/** Blocks in a row that found nothing, after which it parks asynchronously instead. */
const QUIET_BLOCKS = 20;

const hubs = new WeakMap<Scheduler, Hub>();

/** The hub of `scheduler`, made and hooked in on first use. */
export function hubOf(scheduler: Scheduler): Hub {
  let hub = hubs.get(scheduler);
  if (hub === undefined) {
    hub = new Hub(scheduler);
    hubs.set(scheduler, hub);
  }
  return hub;
}

export class Hub {
  readonly bellBuffer = new SharedArrayBuffer(64);
  readonly bell = new Int32Array(this.bellBuffer);
  private readonly domains = new Set<Domain>();
  private jobsOut = 0;
  private parked = false;
  /**
   * Spinning pays only when the other thread is on a core at the same time. On a machine with
   * more runnable threads than cores it mostly fails and steals the core the other side
   * needs, so the budget follows what spinning bought (see `SpinBudget`). Its rule that a
   * result coming soon after a missed spin doubles the budget matters here: halving after
   * every miss let one task at a time settle where both threads slept, each result and each
   * job a wake-up through the OS. Measured, 10k trivial tasks one at a time on a pool of 2
   * after 3k to warm up, three alternating runs: median 28-30 µs a task before (the domain's
   * spin, `runner.ts`, had the same rule), 2.6-2.7 µs after.
   */
  private readonly spin = new SpinBudget(SPIN_MIN_MS, SPIN_MAX_MS);
  /** Domains sent work since their bell was last rung. */
  private bells: Domain[] = [];
  private readonly ringAllBound = (): void => this.ringAll();
  private reblocking = false;
  /** Blocks in a row that timed out with no result (reset by any result). */
  private quietBlocks = 0;
  private readonly reblockBound = (): void => {
    this.reblocking = false;
    // Runs the idle hook again (if the scheduler has fibers to run first, it gets there later).
    if (this.jobsOut > 0) this.scheduler.schedule();
  };

  constructor(readonly scheduler: Scheduler) {
    const previous = scheduler.onIdle;
    // Real results first; only then may a mock clock advance virtual time.
    scheduler.onIdle = () => this.onIdle() || (previous !== null && previous());
    // While fibers wait on shared objects, the doorbell's spin watches the outboxes too.
    watchWhileIdle(
      scheduler,
      () => this.jobsOut > 0 && this.poll(),
      () => (this.jobsOut > 0 ? 1 : 0),
    );
  }

  attach(domain: Domain): void {
    this.domains.add(domain);
  }

  detach(domain: Domain): void {
    this.domains.delete(domain);
  }

  /** Rings `domain`'s bell at the end of this batch: when the scheduler idles, or after this turn. */
  ringLater(domain: Domain): void {
    if (this.bells.push(domain) === 1) queueMicrotask(this.ringAllBound);
  }

  private ringAll(): void {
    const bells = this.bells;
    if (bells.length === 0) return;
    this.bells = [];
    for (const domain of bells) domain.ringNow();
  }

  /** A job was sent: results will come. */
  jobStarted(): void {
    if (this.jobsOut++ !== 0) return;
    this.scheduler.addExternalWait();
    // Sent from outside the run loop (a domain's job starting a domain of its own, before its
    // first suspension), nothing would reach the idle hook that watches the outboxes: run it.
    this.scheduler.schedule();
  }

  /** A job's result arrived (or its domain died). */
  jobEnded(): void {
    if (--this.jobsOut === 0) this.scheduler.removeExternalWait();
  }

  /** Reads every outbox; true if anything arrived. */
  poll(): boolean {
    let any = false;
    for (const domain of this.domains) {
      if (domain.drain()) any = true;
    }
    if (any) {
      this.quietBlocks = 0;
      // After a missed spin: how soon the results came says whether a longer one would have paid.
      this.spin.wokeAt(performance.now());
    }
    return any;
  }

  private onIdle(): boolean {
    this.ringAll();
    if (this.jobsOut === 0) return false;
    if (this.poll()) return true;
    // The shared heap's doorbell spin (next in the idle hook) watches the outboxes too.
    if (sharedWaiting()) return this.park();
    // Waiting on I/O or timers as well (our own external wait is the one): no spin, as in the
    // shared heap's idle policy. The spin would delay the sockets and take the core the other
    // side needs (measured on kv-server, whose storage domain's job never ends: this spin was
    // 5% of the main thread's time).
    if (this.scheduler.pendingExternalWaits > 1) return this.park();
    // Spinning: children need not ring while we watch the outboxes ourselves.
    awake(this.bell);
    const deadline = performance.now() + this.spin.ms;
    do {
      for (let i = 0; i < 32; i++) {
        if (this.poll()) {
          this.spin.paid();
          return true;
        }
      }
      if (this.jobsOut === 0) return false;
    } while (performance.now() < deadline);
    this.spin.missed(performance.now());
    return this.park();
  }

  /**
   * Waits for the doorbell (blocking the thread only from the idle hook, `mayBlock`); true if
   * results arrived meanwhile.
   */
  private park(mayBlock = true): boolean {
    if (this.jobsOut === 0) return false;
    let seen = prepareToSleep(this.bell);
    // Re-check after announcing: a result published before SLEEPING was set is seen here.
    if (this.poll()) {
      awake(this.bell);
      return true;
    }
    // Nothing but our domains can wake a fiber of this thread (no I/O, timer or shared wait):
    // block for a result. The OS wakes a blocked thread at once, where a `waitAsync` wake-up
    // waits for the event loop (CPU-bound jobs on a pool: each result tells us that a domain
    // started its staged job and needs the next one staged before it finishes this one).
    if (mayBlock && this.quietBlocks < QUIET_BLOCKS && this.scheduler.pendingExternalWaits === 1 && !sharedWaiting()) {
      Atomics.store(this.bell, BLOCKING, 1);
      sleepBlocking(this.bell, seen, BLOCK_MS);
      Atomics.store(this.bell, BLOCKING, 0);
      awake(this.bell);
      if (this.poll()) return true;
      // Still nothing: let the event loop take a turn (a worker's exit, a port), then come
      // back here and block again, rather than park in `waitAsync`, whose wake-up waits for
      // the event loop: a domain that finished its staged job could wait that long for the
      // next one. Jobs that run for long (nothing for QUIET_BLOCKS blocks) get `waitAsync`:
      // waking every millisecond to find nothing would cost more than it saves.
      if (++this.quietBlocks < QUIET_BLOCKS) {
        if (!this.reblocking) {
          this.reblocking = true;
          setImmediate(this.reblockBound);
        }
        return false;
      }
      seen = prepareToSleep(this.bell);
      if (this.poll()) {
        awake(this.bell);
        return true;
      }
    }
    // A wait from earlier is still pending: it ends on any ring of the doorbell.
    if (this.parked) return false;
    const wait = sleepAsync(this.bell, seen);
    if (wait === null) {
      // The doorbell moved between reading it and waiting: look again soon.
      this.parked = true;
      queueMicrotask(() => this.wakeUp());
      return false;
    }
    this.parked = true;
    void wait.then(() => this.wakeUp());
    return false;
  }

  private wakeUp(): void {
    this.parked = false;
    awake(this.bell);
    this.poll();
    // A busy scheduler may not go idle for a while: keep listening while jobs are out (never
    // blocking here: fibers this poll woke have yet to run).
    if (this.jobsOut > 0) this.park(false);
  }
}
