/**
 * The records that travel in a domain's rings, and the data a worker starts with.
 * Record header fields: `kind`, `id`, `aux`; the payload is codec-encoded values.
 * @internal
 * @module
 */
import type { MessagePort } from "node:worker_threads";

/** Main → domain. */
export const enum ToDomain {
  /** id = task number; payload = module URL, export name. Sent before the first run of a task. */
  DefineTask = 1,
  /** id = job id; aux = task number; payload = the arguments. */
  Run = 2,
  /** id = job id: cancel the job's fiber. */
  Cancel = 3,
}

/** Domain → main. */
export const enum FromDomain {
  /** id = job id; payload = the result. */
  Ok = 1,
  /** id = job id; payload = the error. */
  Error = 2,
}

/** Or'ed into a record's kind when shared buffers travel with it on the side port. */
export const WITH_SHARED = 0x100;

/** What a worker receives as `workerData`. */
export interface DomainStart {
  /** This domain's id in the shared heap (from `allocateDomainId`). */
  readonly domainId: number;
  /** The shared heap (arena) of the whole program, attached before the domain's `Eio.run`. */
  readonly arena: SharedArrayBuffer;
  /** The runtime module (the package's `index.js`) to load, so tasks share its instance. */
  readonly runtimeUrl: string;
  /** Jobs in: this domain consumes. */
  readonly inbox: SharedArrayBuffer;
  /** Results out: the parent consumes. */
  readonly outbox: SharedArrayBuffer;
  /** The parent's doorbell (shared by all its domains). */
  readonly parentBell: SharedArrayBuffer;
  /** Side ports for the shared buffers of inbox and outbox records (read with `receiveMessageOnPort`). */
  readonly inboxPort: MessagePort;
  readonly outboxPort: MessagePort;
}

/** Control messages by `postMessage` (rare: shutdown only). */
export type Control = { readonly type: "stop" };
