/**
 * The parent's view of one domain: its worker thread, the two rings, and the jobs it runs.
 * Used by `DomainManager.run` (one job, then stop) and by `ExecutorPool` (many jobs).
 * @internal
 * @module
 */
import { Worker, type ResourceLimits } from "node:worker_threads";
import { Decoder, Encoder } from "./codec.js";
import { ringBell } from "./doorbell.js";
import { DomainCrashed } from "./errors.js";
import type { Hub } from "./hub.js";
import { FromDomain, STAGING_CELL_SHIFT, ToDomain, WITH_TRACE, type DomainStart } from "./messages.js";
import { Ring } from "./ring.js";
import { claim, createStagingCells, Staged, stage, STAGING_DEPTH, stateOf } from "./staging.js";
import { allocateDomainId, currentArena, retireDomain } from "../shared/index.js";
import { connectBufferPeer } from "../shared/buffers.js";
import type { TaskName } from "./task-name.js";
import { domainWorkerUrl } from "./worker-entries.js";
import { type ForeignEvents, recorderOf } from "../trace/recorder.js";

const RING_BYTES = 1 << 20;

/** A job as its domain sees it: where its result goes. */
export interface DomainJob {
  settle(ok: boolean, value: unknown): void;
}

/** Task numbers are global to the thread, so each domain only needs a set of known ones. */
const taskNumbers = new Map<string, number>();

let nextJobId = 1;

/** Options for starting a domain. */
export interface DomainOptions {
  /** Passed to the `Worker`: heap limits (a domain over them crashes with `DomainCrashed`). */
  resourceLimits?: ResourceLimits;
  /** At most this many jobs run at once in the domain (it applies this to staged jobs). */
  concurrency?: number;
}

export class Domain {
  /** The domain's id in the shared heap (reused after a clean stop). */
  readonly id = allocateDomainId();
  readonly worker: Worker;
  private readonly inbox = Ring.create(RING_BYTES);
  private readonly outbox = Ring.create(RING_BYTES);
  private readonly jobs = new Map<number, DomainJob>();
  private readonly knownTasks = new Set<number>();
  /** Records that did not fit in the inbox yet, sent in order before anything new. */
  private overflow: { kind: number; id: number; aux: number; extra: number; payload: Uint8Array }[] = [];
  private readonly decoder = new Decoder();
  private crashCause: unknown = undefined;
  private interrupted = false;
  private bellPending = false;
  /** Shared with the worker: the states of the jobs staged here (staging.ts). */
  private readonly stagingCells = createStagingCells();
  /** By cell: the id of the job staged there whose staging has not ended as far as we know, or 0. */
  private readonly stagedIds: number[] = new Array<number>(STAGING_DEPTH).fill(0);
  stopped = false;
  /**
   * Called once when the worker is gone, after its jobs have been failed. Jobs still staged
   * in a crashed domain had not started: they are not failed but handed back as `staged`.
   */
  onExit: ((domain: Domain, crashed: boolean, staged: DomainJob[]) => void) | null = null;

  constructor(
    private readonly hub: Hub,
    options: DomainOptions = {},
  ) {
    const bufferPort = connectBufferPeer();
    const start: DomainStart = {
      domainId: this.id,
      arena: currentArena().buffer,
      inbox: this.inbox.buffer,
      outbox: this.outbox.buffer,
      parentBell: hub.bellBuffer,
      bufferPort,
      stagingCells: this.stagingCells.buffer as SharedArrayBuffer,
      concurrency: options.concurrency === undefined || options.concurrency === Infinity ? 0 : options.concurrency,
    };
    this.worker = new Worker(domainWorkerUrl, {
      workerData: start,
      transferList: [bufferPort],
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    this.worker.on("error", (error) => {
      this.crashCause ??= error;
    });
    this.worker.on("exit", (code) => this.exited(code));
    hub.attach(this);
  }

  get jobCount(): number {
    return this.jobs.size;
  }

  /**
   * Sends a job to start at once; its arguments are already encoded in `args[0, length)`, and
   * `units` is its weight in millionths (the domain counts its load to start staged jobs).
   * Returns the job id.
   */
  run(task: TaskName<unknown[], unknown>, args: Uint8Array, length: number, job: DomainJob, units = 0): number {
    return this.send1(ToDomain.Run, task, args, length, job, units);
  }

  /**
   * Sends a job ahead, to start when the domain's running weight drops below 1 (staging.ts).
   * A cell must be free (fewer than `STAGING_DEPTH` staged jobs whose staging has not ended).
   * Returns the job id and the cell it is staged in.
   */
  stage(task: TaskName<unknown[], unknown>, args: Uint8Array, length: number, job: DomainJob, units: number): [number, number] {
    const at = this.stagedIds.indexOf(0);
    if (at < 0) throw new Error("Domain.stage: no free staging cell");
    const id = this.send1(ToDomain.Stage, task, args, length, job, units, at);
    return [id, at];
  }

  /** The state of the job staged in cell `at` (Empty if none). */
  stagedState(at: number): Staged {
    const id = this.stagedIds[at]!;
    return id === 0 ? Staged.Empty : stateOf(this.stagingCells, at, id);
  }

  /** The parent saw the job of cell `at` running: the cell is free for another. */
  forgetStaged(at: number): void {
    this.stagedIds[at] = 0;
  }

  /**
   * Ends the staging of the job in cell `at` from the parent's side: true if we took it back
   * (it never runs here, and its result is no longer awaited); false if the domain had started it.
   */
  unstage(at: number, to: Staged.Withdrawn | Staged.Moved): boolean {
    const id = this.stagedIds[at]!;
    this.stagedIds[at] = 0;
    if (id === 0 || !claim(this.stagingCells, at, id, to)) return false;
    if (this.jobs.delete(id)) this.hub.jobEnded();
    return true;
  }

  private send1(kind: ToDomain, task: TaskName<unknown[], unknown>, args: Uint8Array, length: number, job: DomainJob, units: number, at = 0): number {
    if (this.stopped) throw new DomainCrashed(this.id, "it had already stopped");
    let number = task.number;
    if (number === 0) {
      const key = `${task.exportName}\u0000${task.moduleUrl}`;
      number = taskNumbers.get(key) ?? taskNumbers.size + 1;
      taskNumbers.set(key, number);
      task.number = number;
    }
    if (!this.knownTasks.has(number)) {
      this.knownTasks.add(number);
      const definition = new Encoder().value(task.moduleUrl).value(task.exportName);
      this.send(ToDomain.DefineTask, number, 0, definition.buffer, definition.length);
    }
    const id = nextJobId++;
    this.jobs.set(id, job);
    this.hub.jobStarted();
    let extra = units;
    if (kind === ToDomain.Stage) {
      // Published before the record: the domain checks the cell when it reads the record.
      this.stagedIds[at] = id;
      stage(this.stagingCells, at, id);
      extra |= at << STAGING_CELL_SHIFT;
    }
    const flags = recorderOf(this.hub.scheduler) !== null ? WITH_TRACE : 0;
    this.send(kind | flags, id, number, args, length, extra);
    return id;
  }

  /** Asks the domain to cancel a running job (it answers with the job's outcome). */
  cancel(jobId: number): void {
    if (!this.stopped && this.jobs.has(jobId)) this.send(ToDomain.Cancel, jobId, 0, null, 0);
  }

  private send(kind: number, id: number, aux: number, payload: Uint8Array | null, length: number, extra = 0): void {
    if (this.overflow.length > 0 || !this.inbox.write(kind, id, aux, payload, length, extra)) {
      this.overflow.push({ kind, id, aux, extra, payload: payload === null ? new Uint8Array(0) : new Uint8Array(payload.subarray(0, length)) }); // a copy: the encoder is reused
    }
    // Waking a sleeping worker is a system call: do it once per batch of sends, not per send.
    if (!this.bellPending) {
      this.bellPending = true;
      this.hub.ringLater(this);
    }
  }

  /** Wakes the worker if it sleeps (the hub calls this once per batch). */
  ringNow(): void {
    this.bellPending = false;
    ringBell(this.inbox.control);
  }

  /** Reads the outbox and settles jobs; true if anything arrived. Also retries the overflow. */
  drain(): boolean {
    if (this.overflow.length > 0) this.flushOverflow();
    const outbox = this.outbox;
    let any = false;
    for (let record = outbox.read(); record !== null; record = outbox.read()) {
      any = true;
      const decoder = this.decoder.reset(outbox.data, record.offset, record.offset + record.length);
      if (record.kind === FromDomain.Trace) {
        this.takeTrace(decoder.value());
        outbox.release();
        continue;
      }
      const value = decoder.value();
      if ((record.kind & WITH_TRACE) !== 0) this.takeTrace(decoder.value());
      const id = record.id;
      const ok = (record.kind & ~WITH_TRACE) === FromDomain.Ok;
      outbox.release();
      const job = this.jobs.get(id);
      if (job === undefined) continue;
      this.jobs.delete(id);
      const at = this.stagedIds.indexOf(id);
      if (at >= 0) this.stagedIds[at] = 0; // it started and ended before the pool looked
      this.hub.jobEnded();
      job.settle(ok, value);
    }
    return any;
  }

  /** Trace events the domain sent (after its result) reach the recording going on here, if any. */
  private takeTrace(events: unknown): void {
    recorderOf(this.hub.scheduler)?.addForeign(events as ForeignEvents);
  }

  private flushOverflow(): void {
    let sent = 0;
    for (const r of this.overflow) {
      if (!this.inbox.write(r.kind, r.id, r.aux, r.payload, r.payload.length, r.extra)) break;
      sent++;
    }
    if (sent > 0) {
      this.overflow = this.overflow.slice(sent);
      ringBell(this.inbox.control);
    }
  }

  /** Stops the worker; its unfinished jobs fail with `reason`. */
  stop(reason: (domain: Domain) => unknown): globalThis.Promise<number> {
    if (!this.stopped) {
      this.stopped = true;
      // Fibers of unfinished jobs may sit in the queues of shared objects: retire the id as a
      // crash (it is reused once their waiter records are freed).
      this.interrupted = this.jobs.size > 0;
      this.failJobs(reason(this));
    }
    return this.worker.terminate();
  }

  private failJobs(error: unknown): void {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) {
      this.hub.jobEnded();
      job.settle(false, error);
    }
  }

  private exited(code: number): void {
    this.drain(); // results it published before it died still count
    this.hub.detach(this);
    const crashed = !this.stopped;
    retireDomain(this.id, { crashed: crashed || this.interrupted });
    const staged: DomainJob[] = [];
    if (crashed) {
      this.stopped = true;
      // Staged jobs the domain had not started were never accepted: they are not this domain's.
      const ids = this.stagedIds.map((id, at) => [id, at] as const).filter(([id]) => id !== 0);
      for (const [id, at] of ids.sort((a, b) => a[0] - b[0])) {
        const job = this.jobs.get(id);
        if (job !== undefined && this.unstage(at, Staged.Moved)) staged.push(job);
      }
      const cause = this.crashCause;
      const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : `its thread exited with code ${code}`;
      this.failJobs(new DomainCrashed(this.id, why, cause === undefined ? undefined : { cause }));
    }
    this.onExit?.(this, crashed, staged);
  }
}
