/**
 * The parent side of a thread's domains: one per scheduler. It reads results from every child
 * domain's outbox and settles their jobs, without `postMessage` and without blocking the
 * thread's other fibers or I/O.
 *
 * It is a source of the thread's idle policy (`shared/idle-policy.ts`), which decides when to
 * spin on the outboxes, block or park on the hub's doorbell. Children ring it only while the
 * thread sleeps. While jobs are out it holds an external wait, so the scheduler does not call
 * the program deadlocked; the workers themselves keep Node's event loop alive.
 * @internal
 * @module
 */
import type { Scheduler } from "../core/scheduler.js";
import { IdleSource, watchIdle } from "../shared/index.js";
import { announceBlocking, awake, prepareToSleep } from "./doorbell.js";
import { DOORBELL } from "./ring.js";
import type { Domain } from "./domain.js";

/**
 * The longest spin on the outboxes, in milliseconds. Spinning pays only when the other thread
 * is on a core at the same time; on a machine with more runnable threads than cores it mostly
 * fails and steals the core the other side needs, so the thread's spin budget decides within it.
 */
const SPIN_MS = 0.05;
/**
 * How long an idle thread that waits on nothing but its domains blocks for a result. The OS
 * wakes a blocked thread at once, where a `waitAsync` wake-up waits for the event loop
 * (CPU-bound jobs on a pool: each result tells us that a domain started its staged job and
 * needs the next one staged before it finishes this one).
 */
const BLOCK_MS = 1;
/**
 * Blocks in a row that found nothing, each after a turn of the event loop (a worker's exit, a
 * port), after which it parks asynchronously instead: jobs that run for long get `waitAsync`,
 * as waking every millisecond to find nothing would cost more than it saves.
 */
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

export class Hub extends IdleSource {
  readonly bellBuffer = new SharedArrayBuffer(64);
  readonly bell = new Int32Array(this.bellBuffer);
  readonly rank = 1;
  readonly words = this.bell;
  readonly index = DOORBELL;
  readonly blockMs = BLOCK_MS;
  readonly blocksInARow = QUIET_BLOCKS;
  /** Any result means jobs end again: blocking resumes. */
  readonly quickMs = Infinity;
  readonly stayParked = true;
  private readonly domains = new Set<Domain>();
  private jobsOut = 0;
  /** Domains sent work since their bell was last rung. */
  private bells: Domain[] = [];
  private readonly ringAllBound = (): void => this.ringAll();
  /** Counts the spin's looks (see `ready`). */
  private looks = 0;

  constructor(readonly scheduler: Scheduler) {
    super();
    watchIdle(scheduler, this);
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
    if (this.jobsOut === 0) return false;
    let any = false;
    for (const domain of this.domains) {
      if (domain.drain()) any = true;
    }
    return any;
  }

  // The hub as a source of the idle policy.

  waits(): number {
    return this.jobsOut > 0 ? 1 : 0;
  }

  active(): boolean {
    return this.jobsOut > 0;
  }

  /** Rings the bells of the domains sent work in this batch. */
  override enterIdle(): boolean {
    this.ringAll();
    return false;
  }

  /**
   * The outboxes have no cheaper look than reading them all: one look in 4 does, so a spin that
   * also watches the shared heap's inbox (a load) keeps looking at it often.
   */
  ready(): boolean {
    return (++this.looks & 3) === 0 && this.poll();
  }

  spinMs(): number {
    return SPIN_MS;
  }

  spinStarts(): void {
    awake(this.bell);
  }

  spinEnds(): void {}

  sleep(blocking: boolean): number {
    const seen = prepareToSleep(this.bell);
    announceBlocking(this.bell, blocking);
    return seen;
  }

  awake(): void {
    announceBlocking(this.bell, false);
    awake(this.bell);
  }
}
