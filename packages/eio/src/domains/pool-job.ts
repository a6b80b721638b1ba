/**
 * One job of an executor pool, from submission to outcome. The job is also the operation its
 * submitter runs with `yield*` (a hand-written iterator, see `HandWrittenOp`): a burst of
 * `submitFork` calls then costs one small object per job instead of a generator, its closures
 * and a second promise, which is what bounded the pool's throughput on trivial tasks.
 * @internal
 * @module
 */
import type { Cancelled } from "../core/errors.js";
import type { Result } from "../core/result.js";
import { beginSuspend, currentFiber, type Fiber, HandWrittenOp, type Suspend, SUSPEND_STEP } from "../core/scheduler.js";
import { decFibers, type Switch } from "../core/switch-type.js";
import type { LocalPromise } from "../core/local-promise.js";
import { Encoder, releasePayload } from "./codec.js";
import type { DomainJob } from "./domain.js";
import { PoolClosed } from "./errors.js";
import type { TaskName } from "./task-name.js";

export const enum JobState {
  Waiting,
  Running,
  Done,
  Withdrawn,
  /** Sent ahead to a full domain, which starts it when it has room (staging.ts): not yet accepted. */
  Staged,
}

/** What the submitter gets: a `Result` (`submit`), or the value with the error thrown. */
export const enum JobMode {
  Result,
  Value,
}


/** Longest string argument kept unencoded while a job waits (its encoded size stays small). */
const DEFERRED_STRING = 256;

/** The pool as a job sees it (the class lives in executor-pool.ts). */
export interface JobPool {
  closed: boolean;
  /** Starts the job now if a domain accepts it and nobody waits before it, else queues it. */
  enqueue(job: PoolJob): void;
  /** Starts waiting jobs now that capacity was freed. */
  admit(): void;
  /**
   * Pools that stage jobs: takes a staged job back for good; false if its domain started it
   * first (the job then counts as running).
   */
  withdrawStaged?(job: PoolJob): boolean;
}

/** One domain of the pool and the load it carries (weights in millionths). */
export interface Slot {
  /** Weights and count of the jobs known to run there (a staged job counts once it started). */
  load: number;
  running: number;
  /** The jobs staged there, oldest first (at most `STAGING_DEPTH`). */
  staged: PoolJob[];
}

export class PoolJob extends HandWrittenOp<unknown> implements DomainJob {
  state = JobState.Waiting;
  slot: Slot | null = null;
  /** The submitter while it waits; null once it was woken or cancelled. */
  fiber: Fiber | null = null;
  ok = false;
  outcome: unknown = undefined;
  private submitted = false;
  /** The domain's id for the job once sent (staged jobs: orders them, oldest first). */
  jobId = 0;
  /** While staged: its cell in the domain's staging cells. */
  stagingCell = 0;
  /**
   * Arguments that are all primitives stay as they are until the job starts (they cannot
   * change meanwhile), and are then encoded straight into the domain's inbox. Others are
   * encoded at submission, as structured clone requires, and copied out if the job waits.
   */
  args: readonly unknown[] | null;
  encoded: Uint8Array | null = null;
  /** For `submitFork`: the promise to resolve and the switch the job counts in. */
  cell: LocalPromise<Result<unknown>> | null = null;
  sw: Switch | null = null;

  constructor(
    readonly pool: JobPool,
    readonly units: number,
    readonly task: TaskName<unknown[], unknown>,
    args: readonly unknown[],
    readonly mode: JobMode,
    readonly what: string,
  ) {
    super();
    this.args = args;
  }

  next(): IteratorResult<Suspend, unknown> {
    if (!this.submitted) return this.submit();
    if (this.mode === JobMode.Result) {
      return { value: this.ok ? { ok: true, value: this.outcome } : { ok: false, error: this.outcome }, done: true };
    }
    if (!this.ok) throw this.outcome;
    return { value: this.outcome, done: true };
  }

  private submit(): IteratorResult<Suspend, unknown> {
    this.submitted = true;
    const fiber = currentFiber();
    const early = fiber.ctx.cancelError();
    if (early !== null) throw early;
    if (this.pool.closed) throw new PoolClosed();
    this.pool.enqueue(this);
    // The context was checked above and nothing since could cancel it: this cannot be null.
    beginSuspend(this.what);
    this.fiber = fiber;
    fiber.waitingFor = this;
    fiber.cancelFn = cancelJob;
    return SUSPEND_STEP;
  }

  /**
   * Called by the pool once it knows whether the job starts now. Arguments that are not all
   * small primitives are encoded now (structured clone takes its copy at submission) into
   * `encoder`, and copied out of it only if the job must wait.
   */
  prepare(encoder: Encoder, willWait: boolean): void {
    const args = this.args!;
    if (deferrable(args)) return;
    encoder.reset();
    for (let i = 0; i < args.length; i++) {
      try {
        encoder.value(args[i]);
      } catch (error) {
        throw new TypeError(
          `${this.what}: argument ${i + 1} cannot be sent to another domain (values are structured-cloned): ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    }
    this.args = null;
    if (willWait) this.encoded = new Uint8Array(encoder.buffer.subarray(0, encoder.length));
  }

  /**
   * Leaves the encoded arguments in `encoder` unless they are in `encoded` (the caller checks):
   * deferred ones are encoded now; otherwise `prepare` just left them there.
   */
  encodeDeferred(encoder: Encoder): void {
    const args = this.args;
    if (args === null) return;
    encoder.reset();
    for (let i = 0; i < args.length; i++) encoder.value(args[i]);
  }

  /**
   * Makes sure `encoded` holds the arguments (a staged job keeps its own copy until it starts,
   * to send it elsewhere or release it).
   */
  keepEncoded(encoder: Encoder): Uint8Array {
    if (this.encoded === null) {
      this.encodeDeferred(encoder);
      this.encoded = new Uint8Array(encoder.buffer.subarray(0, encoder.length));
    }
    return this.encoded;
  }

  /** Forgets the arguments once sent; a job that never starts gives back what they hold. */
  dropArgs(sent: boolean): void {
    const encoded = this.encoded;
    if (!sent && encoded !== null) releasePayload(encoded, 0, encoded.length);
    this.args = null;
    this.encoded = null;
  }

  /** The outcome arrived from the domain (or its domain died). */
  settle(ok: boolean, value: unknown): void {
    const slot = this.slot!;
    if (this.state === JobState.Staged) {
      // It started (and ended) before the pool noticed: it never counted in the load.
      const staged = slot.staged;
      staged.splice(staged.indexOf(this), 1);
      this.dropArgs(true);
    } else {
      slot.load -= this.units;
      slot.running--;
    }
    this.state = JobState.Done;
    this.ok = ok;
    this.outcome = value;
    const fiber = this.fiber;
    if (fiber !== null) {
      this.fiber = null;
      fiber.waitingFor = null;
      fiber.scheduler.wake(fiber, undefined);
    }
    this.pool.admit();
  }

  /** The pool stopped before the job started. */
  refuse(): void {
    this.state = JobState.Withdrawn;
    this.dropArgs(false);
    const fiber = this.fiber;
    if (fiber === null) return;
    this.fiber = null;
    fiber.waitingFor = null;
    fiber.scheduler.wakeError(fiber, new PoolClosed());
  }
}

/** True if every argument is a primitive small enough to encode later without surprises. */
function deferrable(args: readonly unknown[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    switch (typeof arg) {
      case "number":
      case "boolean":
      case "undefined":
        break;
      case "string":
        if (arg.length > DEFERRED_STRING) return false;
        break;
      case "object":
        if (arg !== null) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The submitter was cancelled. Still waiting for a domain: withdraw it. Started: it runs on. */
function cancelJob(error: Cancelled, fiber: Fiber): void {
  const job = fiber.waitingFor as PoolJob;
  fiber.waitingFor = null;
  job.fiber = null;
  if (job.state === JobState.Waiting) {
    job.state = JobState.Withdrawn;
    job.dropArgs(false);
  } else if (job.state === JobState.Staged) {
    job.pool.withdrawStaged!(job); // if its domain started it first, it runs on
  }
  fiber.scheduler.wakeError(fiber, error);
}

/** `onExit` of a `submitFork` fiber: resolve its promise, leave its switch. */
export function forkedJobExit(ok: boolean, value: unknown, job: PoolJob): void {
  job.cell!.tryResolveValue(ok ? { ok: true, value } : { ok: false, error: value });
  decFibers(job.sw!);
}
