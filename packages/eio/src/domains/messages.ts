/**
 * The records that travel in a domain's rings, and the data a worker starts with.
 * Record header fields: `kind`, `id`, `aux`, `extra`; the payload is codec-encoded values.
 * @internal
 * @module
 */
import type { MessagePort } from "node:worker_threads";

/** Main → domain. */
export const enum ToDomain {
  /** id = task number; payload = module URL, export name. Sent before the first run of a task. */
  DefineTask = 1,
  /** id = job id; aux = task number; extra = the job's weight in millionths; payload = the arguments. */
  Run = 2,
  /** id = job id: cancel the job's fiber. */
  Cancel = 3,
  /**
   * As `Run`, but the job is staged (staging.ts): the domain starts it once its running weight
   * drops below 1, if it wins the staging cell's compare-exchange. extra = the weight, or'ed
   * with the cell's index shifted by `STAGING_CELL_SHIFT`.
   */
  Stage = 4,
}

/** Where a `Stage` record's cell index sits in its `extra` word (weights are below 2^20). */
export const STAGING_CELL_SHIFT = 24;
/** The weight bits of a record's `extra` word. */
export const UNITS_MASK = (1 << STAGING_CELL_SHIFT) - 1;

/** Domain → main. */
export const enum FromDomain {
  /** id = job id; payload = the result. */
  Ok = 1,
  /** id = job id; payload = the error. */
  Error = 2,
  /** No job and no payload: trace events follow on the port (see `WITH_TRACE`). */
  Trace = 3,
}

/**
 * On `Run` and `Stage`: the parent is recording a trace, so the domain records the job's fibers
 * too. On a result: the domain's trace events follow the result in the payload.
 */
export const WITH_TRACE = 0x200;

/** What a worker receives as `workerData`. */
export interface DomainStart {
  /** This domain's id in the shared heap (from `allocateDomainId`). */
  readonly domainId: number;
  /** The shared heap (arena) of the whole program, attached before the domain's `Eio.run`. */
  readonly arena: SharedArrayBuffer;
  /** Jobs in: this domain consumes. */
  readonly inbox: SharedArrayBuffer;
  /** Results out: the parent consumes. */
  readonly outbox: SharedArrayBuffer;
  /** The parent's doorbell (shared by all its domains). */
  readonly parentBell: SharedArrayBuffer;
  /** The domain's port to the main thread for buffers that travel beside values (shared/buffers.ts). */
  readonly bufferPort: MessagePort;
  /** The staging cells (staging.ts) of this domain. */
  readonly stagingCells: SharedArrayBuffer;
  /** At most this many jobs run at once (a pool's `domainConcurrency`); 0: no limit. */
  readonly concurrency: number;
}

/** Control messages by `postMessage` (rare: shutdown only). */
export type Control = { readonly type: "stop" };
