/**
 * The domain side: runs inside a worker thread, under its own `Eio.run`. Jobs arrive in the
 * inbox ring; each runs as a fiber in its own cancellation context (so the parent can cancel
 * it); results go back through the outbox ring. A pool may also stage a job here (staging.ts):
 * the runner starts it itself when the weights of its running jobs drop below 1, if the parent
 * has not taken it back first.
 *
 * The inbox is a source of the thread's idle policy (`shared/idle-policy.ts`): when the domain
 * has nothing to run, it spins on its inbox for a moment (a parent sending job after job gets
 * them picked up in microseconds; not if its last result had to wake the parent, whose next
 * job then comes late anyway), blocks the thread in `Atomics.wait` if nothing but other domains
 * can wake it (it has nothing else to do, and a blocked thread leaves the core to others), and
 * finally parks in `Atomics.waitAsync` so timers and I/O of the domain run normally. The
 * parent's port listener keeps the thread alive meanwhile.
 * @internal
 * @module
 */
import { parentPort } from "node:worker_threads";
import { CancelContext } from "../core/cancel-context.js";
import { Cancelled } from "../core/errors.js";
import { currentFiber, emptyVars, Fiber, type Scheduler, suspendUnchecked } from "../core/scheduler.js";
import { run } from "../run.js";
import { Decoder, Encoder } from "../domains/codec.js";
import { awake, prepareToSleep, ringBell } from "../domains/doorbell.js";
import { FromDomain, STAGING_CELL_SHIFT, ToDomain, UNITS_MASK, WITH_TRACE, type DomainStart } from "../domains/messages.js";
import { BLOCKING, DOORBELL, Ring } from "../domains/ring.js";
import { claim, Staged, stateOf } from "../domains/staging.js";
import { TaskLoader } from "./task-loader.js";
import { attachRecorder, detachRecorder, type ForeignEvents, Recorder, recorderOf } from "../trace/recorder.js";
import { attachBufferPort } from "../shared/buffers.js";
import { attachArena, IdleSource, prepareDomainExit, prepareDomainWork, setSpinRange, watchIdle } from "../shared/index.js";

/**
 * How long (ms) an idle domain polls its inbox: the thread's spin budget adapts between these.
 * Halving after every miss brought it down to its minimum when tasks came one at a time, a few
 * microseconds too short for the parent's next one, which then always came through the OS: the
 * budget doubles when a job comes soon after a missed spin (see `SpinBudget`).
 */
const SPIN_IDLE_MS = 0.3;
const SPIN_MIN_MS = 0.005;

/** How long an idle domain blocks its thread before parking asynchronously. */
const BLOCK_MS = 20;

/** A job's weight in millionths: a domain takes a staged job while its load is below this. */
const FULL = 1_000_000;

/** A job sent ahead (staging.ts), kept raw: it is decoded only if this domain starts it. */
interface StagedJob {
  id: number;
  /** Its cell in the staging cells. */
  at: number;
  task: number;
  units: number;
  payload: Buffer;
  /** The parent records a trace (see `WITH_TRACE`). */
  traced: boolean;
}

/** See `DomainRunner.shipTrace`. */
const TRACE_EVERY_MS = 20;

function callerCancelled(): Error {
  return new Error("the job's caller was cancelled");
}

class DomainRunner extends IdleSource {
  readonly rank = 2;
  readonly words: Int32Array;
  readonly index = DOORBELL;
  readonly blockMs = BLOCK_MS;
  readonly blocksInARow = 1;
  /** It blocks again at every idle turn once a job came: it has nothing else to do. */
  readonly quickMs = Infinity;
  /** A ring reschedules the scheduler, whose idle turn parks again once the jobs it brought ran. */
  readonly stayParked = false;
  private readonly inbox: Ring;
  private readonly outbox: Ring;
  private readonly parentBell: Int32Array;
  private readonly decoder = new Decoder();
  private readonly encoder = new Encoder();
  private readonly loader: TaskLoader;
  /** Running jobs, so the parent can cancel them. */
  private readonly jobs = new Map<number, CancelContext>();
  private overflow: { kind: number; id: number; payload: Uint8Array }[] = [];
  /**
   * The last result had to wake a parent parked in `waitAsync`: its next job comes only after
   * the OS and its event loop woke it, tens of microseconds at best, so spinning for it would
   * only take the core that the parent (or the other domains) need to get there. Not when the
   * parent blocks in `Atomics.wait` (its `BLOCKING` word): it answers as soon as the OS wakes
   * it, and a domain that stopped spinning then needed an OS wake-up of its own for the next
   * job, so the parent's spin missed again: one trivial task at a time settled at 110-170 µs
   * a task, both threads sleeping, for thousands of tasks (against 1.3-2.5 µs with both
   * spinning, in alternating runs). Cleared when we go idle.
   */
  private parentWasAsleep = false;
  /** Jobs cancelled before they started. */
  private readonly cancelledEarly = new Set<number>();
  /** The weights (millionths) of the jobs received and not yet answered, and their sum. */
  private readonly unitsOf = new Map<number, number>();
  private load = 0;
  private readonly stagingCells: Int32Array;
  private readonly concurrency: number;
  /** Staged jobs in the order they came (the parent stages oldest first). */
  private staged: StagedJob[] = [];
  /** A result was written without ringing the parent (see `reply`). */
  private unannounced = false;
  /** Staged jobs we won, to start once the result that made room has gone out. */
  private claimed: StagedJob[] = [];
  /** Jobs whose parent records a trace (see `WITH_TRACE`), from their start to their result. */
  private readonly tracedJobs = new Set<number>();
  /** Sends trace events on while traced jobs run (see `shipTrace`). */
  private traceTimer: ReturnType<typeof setInterval> | null = null;
  private readonly domainId: number;

  constructor(
    start: DomainStart,
    readonly scheduler: Scheduler,
    private readonly root: CancelContext,
  ) {
    super();
    this.inbox = new Ring(start.inbox);
    this.words = this.inbox.control;
    this.outbox = new Ring(start.outbox);
    this.parentBell = new Int32Array(start.parentBell);
    this.stagingCells = new Int32Array(start.stagingCells);
    this.concurrency = start.concurrency === 0 ? Infinity : start.concurrency;
    this.domainId = start.domainId;
    this.loader = new TaskLoader(scheduler, (jobId, fn, args) => this.startJob(jobId, fn, args), (jobId, error) => this.reply(jobId, false, error), (payload) => this.decodeArgs(this.decoder.reset(payload, 0, payload.length)));
    setSpinRange(SPIN_MIN_MS, SPIN_IDLE_MS);
    watchIdle(scheduler, this);
  }

  /** Handles every waiting record; true if there was any. */
  poll(): boolean {
    if (this.overflow.length > 0) this.flushOverflow();
    const inbox = this.inbox;
    let any = false;
    for (let record = inbox.read(); record !== null; record = inbox.read()) {
      any = true;
      const { id, aux } = record;
      const kind = record.kind & ~WITH_TRACE;
      const traced = (record.kind & WITH_TRACE) !== 0;
      const decoder = this.decoder.reset(inbox.data, record.offset, record.offset + record.length);
      if (kind === ToDomain.Run) {
        // Kept encoded (a copy: the ring's bytes are reused) while the task's module loads.
        const args = this.loader.ready(aux) ? this.decodeArgs(decoder) : Buffer.from(inbox.data.subarray(record.offset, record.offset + record.length));
        inbox.release();
        this.accept(id, record.extra);
        if (traced) this.tracedJobs.add(id);
        // Staged jobs claimed before this one was accepted start before it: jobs start in the
        // order the domain took them on.
        if (this.claimed.length > 0) this.startClaimed();
        this.loader.run(aux, id, args);
      } else if (kind === ToDomain.Stage) {
        // Copied out raw: decoding would take over the shared handles it names, which stay the
        // parent's until this domain wins the job (staging.ts).
        const payload = Buffer.allocUnsafe(record.length);
        inbox.data.copy(payload, 0, record.offset, record.offset + record.length);
        const extra = record.extra;
        const staged: StagedJob = { id, at: extra >>> STAGING_CELL_SHIFT, task: aux, units: extra & UNITS_MASK, payload, traced };
        inbox.release();
        // Drop the ones the parent took back meanwhile (a full domain would keep them for long).
        if (this.staged.length > 0) this.staged = this.staged.filter((s) => stateOf(this.stagingCells, s.at, s.id) === Staged.Waiting);
        this.staged.push(staged);
        this.takeStaged();
      } else if (kind === ToDomain.DefineTask) {
        const moduleUrl = decoder.value() as string;
        const exportName = decoder.value() as string;
        inbox.release();
        this.loader.define(id, moduleUrl, exportName);
      } else {
        inbox.release();
        if (kind === ToDomain.Cancel) {
          const ctx = this.jobs.get(id);
          // Not started yet (its module is still loading): it starts cancelled.
          if (ctx === undefined) this.cancelledEarly.add(id);
          else ctx.cancel(callerCancelled());
        }
      }
    }
    if (this.claimed.length > 0) this.startClaimed();
    return any;
  }

  private accept(jobId: number, units: number): void {
    this.unitsOf.set(jobId, units);
    this.load += units;
  }

  /**
   * Starts staged jobs, oldest first, while this domain has room for them now (Eio's rule: running weight
   * below 1), unless the parent took it back first. Only claims it: it is started by
   * `startClaimed`, after the result that made room has gone out.
   */
  private takeStaged(): void {
    while (this.staged.length > 0 && this.load < FULL && this.unitsOf.size < this.concurrency) {
      const staged = this.staged.shift()!;
      if (!claim(this.stagingCells, staged.at, staged.id, Staged.Running)) continue; // withdrawn or moved
      this.accept(staged.id, staged.units);
      this.claimed.push(staged);
    }
  }

  private startClaimed(): void {
    const claimed = this.claimed;
    this.claimed = [];
    for (const job of claimed) {
      if (job.traced) this.tracedJobs.add(job.id);
      this.loader.run(job.task, job.id, this.loader.ready(job.task) ? this.decodeArgs(this.decoder.reset(job.payload, 0, job.payload.length)) : job.payload);
    }
  }

  private decodeArgs(decoder: Decoder): unknown[] {
    const args: unknown[] = [];
    while (!decoder.done) args.push(decoder.value());
    return args;
  }

  private startJob(jobId: number, fn: (...args: unknown[]) => unknown, args: unknown[]): void {
    if (this.jobs.size === 0) prepareDomainWork();
    if (this.tracedJobs.has(jobId)) {
      // Recorded while any traced job runs here.
      if (recorderOf(this.scheduler) === null) attachRecorder(this.scheduler, new Recorder(this.domainId, 0));
      this.traceTimer ??= setInterval(() => this.shipTrace(), TRACE_EVERY_MS);
    }
    const ctx = new CancelContext(this.root, false, "job");
    this.jobs.set(jobId, ctx);
    if (this.cancelledEarly.delete(jobId)) ctx.cancel(callerCancelled());
    const fiber = new Fiber(this.scheduler, ctx, emptyVars, (ok, value) => {
      if (ok && typeof (value as PromiseLike<unknown> | null)?.then === "function") {
        // An async function: its promise settles later, on this thread.
        this.scheduler.addExternalWait();
        globalThis.Promise.resolve(value).then(
          (result) => this.finishJob(jobId, ctx, true, result, true),
          (error: unknown) => this.finishJob(jobId, ctx, false, error, true),
        );
        return;
      }
      this.finishJob(jobId, ctx, ok, value);
    });
    // Traces name the job's fiber after its task's function.
    this.scheduler.start(fiber, () => fn(...args), fn);
  }

  private finishJob(jobId: number, ctx: CancelContext, ok: boolean, value: unknown, external = false): void {
    if (external) this.scheduler.removeExternalWait();
    this.jobs.delete(jobId);
    ctx.finish();
    // The parent may terminate this thread once it has the reply: before that, give the shared
    // heap back the blocks this thread cached (not after: a thread terminated while it holds
    // the allocator's lock would stop every domain).
    if (this.jobs.size === 0) prepareDomainExit();
    this.reply(jobId, ok, value);
  }

  private reply(jobId: number, ok: boolean, value: unknown): void {
    const units = this.unitsOf.get(jobId);
    if (units !== undefined) {
      this.unitsOf.delete(jobId);
      this.load -= units;
      // Claimed before the result goes out, so a parent that reads the result also sees the
      // staged job running (and can stage the next one here at once).
      this.takeStaged();
    }
    const encoder = this.encoder.reset();
    try {
      encoder.value(value);
    } catch (error) {
      const what = ok ? "result" : "error";
      ok = false;
      // Out of memory for a large value is already a clear error that names the size.
      encoder.reset().value(error instanceof RangeError ? error : new TypeError(`The job's ${what} cannot be sent to the parent domain: ${String(error)}`, { cause: error }));
    }
    let kind: number = ok ? FromDomain.Ok : FromDomain.Error;
    if (this.tracedJobs.delete(jobId)) {
      // The events since the last traced result; the recording stops with the last traced job.
      const recorder = recorderOf(this.scheduler);
      const batch: ForeignEvents = recorder === null ? { events: [], sends: [], dropped: 0 } : recorder.takeForeign();
      encoder.value(batch);
      if (this.tracedJobs.size === 0) {
        if (recorder !== null) detachRecorder(this.scheduler, null);
        if (this.traceTimer !== null) clearInterval(this.traceTimer);
        this.traceTimer = null;
      }
      kind |= WITH_TRACE;
    }
    this.write(kind, jobId, encoder.buffer, encoder.length);
    // Waking a sleeping parent costs both threads a core for a while. While we go on with a
    // staged job and more stay staged here, it has nothing urgent to do, and if it blocks it
    // reads the outboxes within a millisecond anyway: the result is announced with a later one,
    // or as soon as nothing runs here synchronously (`onIdle`), unless the parent sees it first.
    if (this.claimed.length > 0 && this.staged.length >= 2 && Atomics.load(this.parentBell, BLOCKING) === 1) this.unannounced = true;
    else this.announce();
    // Started from the idle hook, not inside the exit of the job that just ended.
    if (this.claimed.length > 0) this.scheduler.schedule();
  }

  /** Writes a record to the outbox, or queues it (in order) while the outbox is full. */
  private write(kind: number, id: number, payload: Uint8Array, length: number): void {
    if (this.overflow.length > 0 || !this.outbox.write(kind, id, 0, payload, length)) {
      this.overflow.push({ kind, id, payload: new Uint8Array(payload.subarray(0, length)) });
      setTimeout(() => this.poll(), 1);
    }
  }

  /**
   * While traced jobs run, sends their events on every `TRACE_EVERY_MS` (a timer): a long job,
   * such as a server's storage loop, would otherwise show nothing until it ends.
   */
  private shipTrace(): void {
    const recorder = recorderOf(this.scheduler);
    if (recorder === null || recorder.events.length === 0) return;
    const encoder = this.encoder.reset().value(recorder.takeForeign());
    this.write(FromDomain.Trace, 0, encoder.buffer, encoder.length);
    this.announce();
  }

  /** Rings the parent for the results written so far. */
  private announce(): void {
    this.unannounced = false;
    // Read after the ring: a parent that woke meanwhile needs no veto either.
    if (ringBell(this.parentBell) && Atomics.load(this.parentBell, BLOCKING) === 0) this.parentWasAsleep = true;
  }

  private flushOverflow(): void {
    let sent = 0;
    for (const r of this.overflow) {
      if (!this.outbox.write(r.kind, r.id, 0, r.payload, r.payload.length)) break;
      sent++;
    }
    this.overflow = this.overflow.slice(sent);
    if (sent > 0) ringBell(this.parentBell);
    if (this.overflow.length > 0) setTimeout(() => this.poll(), 1);
  }

  // The inbox as a source of the idle policy.

  /** The one runDomain holds: the parent may always send more work. */
  waits(): number {
    return 1;
  }

  active(): boolean {
    return true;
  }

  override enterIdle(): boolean {
    if (this.claimed.length > 0) {
      // Read the inbox first (poll then starts them): jobs staged meanwhile are known before
      // the claimed ones run, so their end can tell whether the parent must be woken.
      this.poll();
      // Those jobs ran as far as they could: unless another was claimed as one of them ended
      // (it starts next turn), the parent may be waiting for a result held back.
      if (this.unannounced && this.claimed.length === 0) this.announce();
      return true;
    }
    if (this.unannounced) this.announce();
    return false;
  }

  ready(): boolean {
    return this.inbox.hasData();
  }

  /** No spin after a result that had to wake the parent (cleared here, once per idle turn). */
  spinMs(): number {
    if (this.parentWasAsleep) {
      this.parentWasAsleep = false;
      return 0;
    }
    return SPIN_IDLE_MS;
  }

  spinStarts(): void {
    awake(this.words);
  }

  spinEnds(): void {}

  sleep(): number {
    return prepareToSleep(this.words);
  }

  awake(): void {
    awake(this.words);
  }

  /**
   * Not while a module loads, results wait for room in the outbox (a timer retries) or a trace
   * is shipped every `TRACE_EVERY_MS`: those need the event loop, and are no external waits.
   */
  override mayBlock(): boolean {
    return this.loader.idle && this.overflow.length === 0 && this.traceTimer === null;
  }
}

/** Starts the domain: called by the worker entry with its `workerData`. @internal */
export function runDomain(start: DomainStart): void {
  // The port listener keeps this thread alive while it waits in Atomics.waitAsync.
  parentPort?.on("message", () => {});
  attachArena(start.arena, start.domainId);
  attachBufferPort(start.bufferPort);
  void run(function* () {
    const fiber = currentFiber();
    const runner = new DomainRunner(start, fiber.scheduler, fiber.ctx);
    fiber.scheduler.addExternalWait(); // the parent may always send more work
    runner.poll();
    yield* suspendUnchecked<void>("domain: waiting for jobs", () => {});
  }).catch((error: unknown) => {
    if (!(error instanceof Cancelled)) throw error;
  });
}
