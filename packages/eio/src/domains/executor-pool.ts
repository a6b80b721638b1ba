/**
 * Executor pools, as in Eio's `Eio.Executor_pool`: a fixed set of domains that run jobs, each
 * domain taking new jobs while the total weight of the jobs it runs is below 1.
 *
 * Admission is decided here, in the submitting domain; a job that no domain accepts now waits
 * in a FIFO queue, and the oldest waiting one may be staged in a full domain, which starts it
 * by itself when it has room (staging.ts), so no round trip through this thread sits between
 * two jobs of a busy domain.
 * @module
 */
import type { ResourceLimits } from "node:worker_threads";
import { protect } from "../core/cancel.js";
import { Deque } from "../core/deque.js";
import { awaitCancel, awaitNative, forkDaemon } from "../core/fiber.js";
import type { Result } from "../core/result.js";
import { currentFiber, Fiber, type Operation } from "../core/scheduler.js";
import { checkOurDomain, incFibers, type Switch } from "../core/switch-type.js";
import { LocalPromise } from "../core/local-promise.js";
import type { OrError } from "../core/promise.js";
import { Encoder } from "./codec.js";
import { Domain } from "./domain.js";
import { checkManager, type DomainManager } from "./domain-manager-type.js";
import { PoolClosed } from "./errors.js";
import { hubOf, type Hub } from "./hub.js";
import { forkedJobExit, JobMode, type JobPool, JobState, PoolJob, type Slot } from "./pool-job.js";
import { Staged, STAGING_DEPTH } from "./staging.js";
import type { Task } from "./task.js";
import { checkTask, type TaskName } from "./task-name.js";

/** Weights are counted in millionths, as Eio does, so that sums are exact. */
const UNITS = 1_000_000;

/** One domain of the pool and the load it carries. */
interface DomainSlot extends Slot {
  domain: Domain;
}

/** Where jobs' arguments are encoded on their way into a domain's inbox. */
const argsEncoder = new Encoder();

/**
 * An executor pool (Eio's `Executor_pool.t`). Opaque: use the functions of this module.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * function describe(pool: Eio.ExecutorPool.ExecutorPool): string {
 *   return String(pool);
 * }
 * await Eio.run((env) =>
 *   Eio.Switch.run((sw) => {
 *     const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
 *     console.log(describe(pool));
 *   }),
 * );
 * ```
 */
export class ExecutorPool implements JobPool {
  /** @internal */ readonly slots: DomainSlot[] = [];
  /** @internal */ readonly waiting = new Deque<PoolJob>();
  /** @internal */ closed = false;

  /** @internal */
  constructor(
    /** @internal */
    readonly hub: Hub,
    private readonly concurrency: number,
    private readonly resourceLimits: ResourceLimits | undefined,
  ) {}

  /** @internal */
  newDomain(): Domain {
    const options = { concurrency: this.concurrency, ...(this.resourceLimits === undefined ? {} : { resourceLimits: this.resourceLimits }) };
    const domain = new Domain(this.hub, options);
    domain.onExit = (dead, crashed, staged) => {
      const slot = this.slots.find((s) => s.domain === dead);
      if (slot === undefined) return;
      // Never accepted by the dead domain (a job waiting in Eio's queue is no domain's): they
      // go back to the head of the queue, oldest first, to run elsewhere.
      slot.staged = [];
      for (let i = staged.length - 1; i >= 0; i--) {
        const job = staged[i] as PoolJob;
        job.slot = null;
        job.state = JobState.Waiting;
        if (this.closed) job.refuse();
        else this.waiting.pushHead(job);
      }
      if (!crashed || this.closed) return;
      slot.domain = this.newDomain();
      this.admit();
    };
    return domain;
  }

  /** Staged jobs that their domain started now count in that domain's load. */
  private sync(slot: DomainSlot): void {
    const staged = slot.staged;
    for (let i = 0; i < staged.length; ) {
      const job = staged[i]!;
      if (slot.domain.stagedState(job.stagingCell) === Staged.Running) {
        slot.domain.forgetStaged(job.stagingCell);
        staged.splice(i, 1);
        this.running(job, slot);
      } else {
        i++;
      }
    }
  }

  private running(job: PoolJob, slot: DomainSlot): void {
    slot.load += job.units;
    slot.running++;
    job.state = JobState.Running;
    job.dropArgs(true);
  }

  /**
   * The least loaded domain that accepts one more job now (Eio: load below 1), or null. A
   * domain with staged jobs accepts none: they are next there. @internal
   */
  pick(): DomainSlot | null {
    let best: DomainSlot | null = null;
    for (const slot of this.slots) {
      this.sync(slot);
      if (slot.staged.length > 0 || slot.load >= UNITS || slot.running >= this.concurrency || slot.domain.stopped) continue;
      if (best === null || slot.load < best.load) best = slot;
    }
    return best;
  }

  /** The oldest job staged in a domain other than `free`, or null. */
  private oldestStaged(free: DomainSlot): DomainSlot | null {
    let oldest: DomainSlot | null = null;
    for (const slot of this.slots) {
      if (slot === free || slot.staged.length === 0 || slot.domain.stopped) continue;
      if (oldest === null || slot.staged[0]!.jobId < oldest.staged[0]!.jobId) oldest = slot;
    }
    return oldest;
  }

  /** A full domain with a free staging cell (the fewest jobs staged, then the least load), or null. */
  private stagingHost(): DomainSlot | null {
    let best: DomainSlot | null = null;
    for (const slot of this.slots) {
      const n = slot.staged.length;
      if (n >= STAGING_DEPTH || slot.domain.stopped) continue;
      if (best === null || n < best.staged.length || (n === best.staged.length && slot.load < best.load)) best = slot;
    }
    return best;
  }

  /** FIFO: a new job starts at once only if nobody waits before it and a domain accepts it. @internal */
  enqueue(job: PoolJob): void {
    if (this.waiting.length > 0 || this.stagedCount() > 0) this.admit(); // also drops withdrawn jobs at the head
    const slot = this.waiting.length === 0 ? this.pick() : null;
    job.prepare(argsEncoder, slot === null);
    if (slot !== null) {
      this.start(job, slot);
    } else {
      this.waiting.pushTail(job);
      if (this.waiting.length === 1) this.admit(); // stage it if a domain has a free cell
    }
  }

  private stagedCount(): number {
    let n = 0;
    for (const slot of this.slots) n += slot.staged.length;
    return n;
  }

  /** @internal */
  start(job: PoolJob, slot: DomainSlot): void {
    slot.load += job.units;
    slot.running++;
    job.slot = slot;
    job.state = JobState.Running;
    let bytes: Uint8Array | null = job.encoded;
    let length: number;
    if (bytes !== null) {
      length = bytes.length;
    } else {
      job.encodeDeferred(argsEncoder);
      bytes = argsEncoder.buffer;
      length = argsEncoder.length;
    }
    job.dropArgs(true);
    job.jobId = slot.domain.run(job.task, bytes, length, job, job.units);
  }

  /** Sends `job` ahead to the full domain of `slot`, which starts it when it has room. */
  private stage(job: PoolJob, slot: DomainSlot): void {
    const bytes = job.keepEncoded(argsEncoder);
    slot.staged.push(job);
    job.slot = slot;
    job.state = JobState.Staged;
    [job.jobId, job.stagingCell] = slot.domain.stage(job.task, bytes, bytes.length, job, job.units);
  }

  /**
   * Starts waiting jobs, first come first served, while domains accept them: a job staged in a
   * busy domain first (it is older than any in the queue), then the queue's head. When no
   * domain accepts one, stages the queue's head in a domain with a free staging cell. @internal
   */
  admit(): void {
    for (;;) {
      const slot = this.pick();
      if (slot !== null) {
        const from = this.oldestStaged(slot);
        if (from !== null) {
          const job = from.staged.shift()!;
          if (from.domain.unstage(job.stagingCell, Staged.Moved)) this.start(job, slot);
          else this.running(job, from); // its domain started it meanwhile
          continue;
        }
      }
      const job = this.waiting.shift();
      if (job === undefined) return;
      if (job.state === JobState.Withdrawn) continue;
      if (slot !== null) {
        this.start(job, slot);
        continue;
      }
      const host = this.stagingHost();
      if (host === null) {
        this.waiting.pushHead(job);
        return;
      }
      this.stage(job, host);
    }
  }

  /** @internal */
  withdrawStaged(job: PoolJob): boolean {
    const slot = job.slot as DomainSlot;
    slot.staged.splice(slot.staged.indexOf(job), 1);
    if (!slot.domain.unstage(job.stagingCell, Staged.Withdrawn)) {
      this.running(job, slot);
      return false;
    }
    job.slot = null;
    job.state = JobState.Withdrawn;
    job.dropArgs(false);
    this.admit(); // the next waiting job may be staged there now
    return true;
  }

  /** @internal */
  *shutdown(): Operation<void> {
    if (this.closed) return;
    this.closed = true;
    for (let job = this.waiting.shift(); job !== undefined; job = this.waiting.shift()) {
      if (job.state === JobState.Waiting) job.refuse();
    }
    for (const slot of this.slots) {
      const staged = slot.staged;
      slot.staged = [];
      for (const job of staged) {
        // Taken back: refused like a waiting job. Else its domain started it: it fails with the rest.
        if (slot.domain.unstage(job.stagingCell, Staged.Withdrawn)) job.refuse();
        else this.running(job, slot);
      }
    }
    const stopping = this.slots.map((slot) => slot.domain.stop(() => new PoolClosed()));
    yield* awaitNative(globalThis.Promise.all(stopping));
  }

  /** @internal */
  toString(): string {
    return `ExecutorPool(${this.slots.length} domains)`;
  }
}

/**
 * Options for {@link create}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * // Two domains, each running at most 4 jobs at once whatever their weights.
 * const options: Eio.ExecutorPool.CreateOptions = { domainCount: 2, domainConcurrency: 4 };
 * console.log(options.domainCount);
 * ```
 */
export interface CreateOptions {
  /** How many domains (worker threads) the pool runs. */
  domainCount: number;
  /**
   * At most this many jobs run at once in one domain, whatever their weights (default: no
   * limit beyond the weights). Bounds a domain's work when many jobs have weight 0. eio-ts only.
   */
  domainConcurrency?: number;
  /** Heap limits for each domain's worker (a domain over them crashes and is replaced). */
  resourceLimits?: ResourceLimits;
}

/**
 * Creates a pool of `domainCount` domains, started at once. The pool does not keep `sw` from
 * finishing; when `sw` finishes (or fails) the domains are stopped, jobs still running fail with
 * `PoolClosed`, and later submissions throw `PoolClosed`. A domain that crashes fails only its
 * own jobs (with `DomainCrashed`) and is replaced. Mirrors `Eio.Executor_pool.create`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run((sw) => {
 *     const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 2 });
 *     console.log(String(pool));
 *   });
 * });
 * ```
 */
export function create(sw: Switch, dm: DomainManager, options: CreateOptions): ExecutorPool {
  checkOurDomain(sw, "create an executor pool");
  checkManager(dm, "ExecutorPool.create");
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`ExecutorPool.create: options must be an object like { domainCount: 2 }, got ${String(options)}`);
  }
  const { domainCount, domainConcurrency = Infinity } = options;
  if (!Number.isInteger(domainCount) || domainCount < 1) {
    throw new RangeError(`ExecutorPool.create: domainCount must be a whole number >= 1, got ${String(domainCount)}`);
  }
  if (!(domainConcurrency >= 1)) {
    throw new RangeError(`ExecutorPool.create: domainConcurrency must be >= 1, got ${String(domainConcurrency)}`);
  }
  const pool = new ExecutorPool(hubOf(currentFiber().scheduler), domainConcurrency, options.resourceLimits ?? dm.resourceLimits);
  for (let i = 0; i < domainCount; i++) pool.slots.push({ domain: pool.newDomain(), load: 0, running: 0, staged: [] });
  // A daemon: it does not hold the switch open, and it is cancelled when the switch ends.
  forkDaemon(sw, function* () {
    try {
      yield* awaitCancel();
    } finally {
      yield* protect(() => pool.shutdown());
    }
  });
  return pool;
}

/**
 * Options for {@link submit}, {@link submitExn} and {@link submitFork}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * // A job that uses a quarter of a domain: four such jobs can share one domain.
 * const options: Eio.ExecutorPool.SubmitOptions = { weight: 0.25 };
 * console.log(options.weight);
 * ```
 */
export interface SubmitOptions {
  /** The share of one domain the job uses, in [0, 1]: a domain takes jobs while the total is below 1. */
  weight: number;
}

function checkSubmit(pool: unknown, options: unknown, task: unknown, what: string): [ExecutorPool, number, TaskName<unknown[], unknown>] {
  if (!(pool instanceof ExecutorPool)) throw new TypeError(`${what}: expected an executor pool (from ExecutorPool.create), got ${String(pool)}`);
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${what}: options must be an object like { weight: 0.5 }, got ${String(options)}`);
  }
  const weight = (options as SubmitOptions).weight;
  if (typeof weight !== "number" || !(weight >= 0 && weight <= 1)) {
    throw new RangeError(`${what}: weight must be a number between 0 and 1 (the share of one domain the job uses), got ${String(weight)}`);
  }
  const name = checkTask(task, what);
  if (pool.closed) throw new PoolClosed();
  return [pool, Math.floor(weight * UNITS), name];
}

/** `submitFork` hands its job to `Scheduler.start` through this (no closure per job). */
let startingJob: PoolJob | null = null;
function takeStartingJob(): PoolJob {
  const job = startingJob!;
  startingJob = null;
  return job;
}

/**
 * Runs `task(...args)` in one of the pool's domains and returns its outcome as a result.
 * Waits (this fiber only) until a domain accepts the job, then until it finishes. Mirrors
 * `Eio.Executor_pool.submit`.
 *
 * Suspends: yes — use `yield*`. Cancelled while waiting for a domain, the job is withdrawn;
 * cancelled after it started, it runs on in its domain and this throws `Cancelled`.
 * Throws `RangeError` for a weight outside [0, 1] and `PoolClosed` once the pool is stopped.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * import { isMainThread } from "node:worker_threads";
 * export function half(n: number) { if (n % 2) throw new Error(`${n} is odd`); return n / 2; }
 * if (isMainThread) {
 *   await Eio.run(function* (env) {
 *     yield* Eio.Switch.run(function* (sw) {
 *       const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
 *       const half = Eio.task<[number], number>(import.meta.url, "half");
 *       const a = yield* Eio.ExecutorPool.submit(pool, { weight: 1 }, half, 8);
 *       const b = yield* Eio.ExecutorPool.submit(pool, { weight: 1 }, half, 3);
 *       console.log(a, b.ok);
 *     });
 *   });
 * }
 * ```
 */
export function submit<Args extends unknown[], T>(pool: ExecutorPool, options: SubmitOptions, task: Task<Args, T>, ...args: Args): Operation<Result<T>> {
  const [p, units, name] = checkSubmit(pool, options, task, "ExecutorPool.submit");
  return new PoolJob(p, units, name, args, JobMode.Result, "ExecutorPool.submit") as unknown as Operation<Result<T>>;
}

/**
 * Like {@link submit}, but returns the value and throws the job's error. Mirrors
 * `Eio.Executor_pool.submit_exn`.
 *
 * Suspends: yes — use `yield*`. Cancellation as for {@link submit}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * import { isMainThread } from "node:worker_threads";
 * export function* add(a: number, b: number) { return a + b; }
 * if (isMainThread) {
 *   await Eio.run(function* (env) {
 *     yield* Eio.Switch.run(function* (sw) {
 *       const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
 *       console.log(yield* Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, Eio.task<[number, number], number>(import.meta.url, "add"), 2, 3));
 *     });
 *   });
 * }
 * ```
 */
export function submitExn<Args extends unknown[], T>(pool: ExecutorPool, options: SubmitOptions, task: Task<Args, T>, ...args: Args): Operation<T> {
  const [p, units, name] = checkSubmit(pool, options, task, "ExecutorPool.submitExn");
  return new PoolJob(p, units, name, args, JobMode.Value, "ExecutorPool.submitExn") as unknown as Operation<T>;
}

/**
 * Submits the job from a new fiber in `sw` and returns at once with a promise of its outcome,
 * so the caller does not wait for a domain to accept it. Mirrors
 * `Eio.Executor_pool.submit_fork`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * import { isMainThread } from "node:worker_threads";
 * export function shout(s: string) { return s.toUpperCase(); }
 * if (isMainThread) {
 *   await Eio.run(function* (env) {
 *     yield* Eio.Switch.run(function* (sw) {
 *       const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
 *       const p = Eio.ExecutorPool.submitFork(sw, pool, { weight: 0.1 }, Eio.task<[string], string>(import.meta.url, "shout"), "hi");
 *       console.log(yield* Eio.Promise.awaitExn(p));
 *     });
 *   });
 * }
 * ```
 */
export function submitFork<Args extends unknown[], T>(sw: Switch, pool: ExecutorPool, options: SubmitOptions, task: Task<Args, T>, ...args: Args): OrError<T> {
  const [p, units, name] = checkSubmit(pool, options, task, "ExecutorPool.submitFork");
  checkOurDomain(sw, "fork a fiber");
  // Fiber.forkPromise, with the job itself as the new fiber's operation.
  const cell = new LocalPromise<Result<unknown>>();
  const error = sw.ctx.cancelError();
  if (error !== null) {
    cell.tryResolveValue({ ok: false, error });
    return cell as unknown as OrError<T>;
  }
  const job = new PoolJob(p, units, name, args, JobMode.Value, "ExecutorPool.submitFork");
  job.cell = cell;
  job.sw = sw;
  const parent = currentFiber();
  incFibers(sw);
  const fiber = new Fiber(parent.scheduler, sw.ctx, parent.vars, forkedJobExit, job);
  startingJob = job;
  parent.scheduler.start(fiber, takeStartingJob);
  return cell as unknown as OrError<T>;
}
