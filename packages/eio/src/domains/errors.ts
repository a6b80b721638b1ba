/**
 * Errors raised by domains and executor pools.
 * @module
 */
import { rememberErrorClass } from "../shared/error-classes.js";

/**
 * A domain stopped before its job finished: an uncaught error in the worker, `process.exit`,
 * running out of memory, or the worker being terminated. Only that domain's jobs fail with it;
 * what stopped the worker is in `cause` when known. eio-ts only (OCaml domains do not crash
 * separately from their process).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.DomainCrashed(3, "exited with code 1");
 * console.log(err.name, err.domainId);
 * ```
 */
export class DomainCrashed extends Error {
  /** Always `"DomainCrashed"`: how logs and stack traces name this error. */
  override readonly name = "DomainCrashed";
  /** The number of the domain that stopped. */
  readonly domainId: number;
  constructor(
    domainId: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Domain ${domainId} crashed before the job finished: ${reason}.`, options);
    this.domainId = domainId;
  }
}

/**
 * Submitting to an executor pool whose switch has finished (its domains are stopped).
 * Mirrors the `Invalid_argument "Stream closed"` of Eio's `Executor_pool`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * console.log(new Eio.PoolClosed().message);
 * ```
 */
export class PoolClosed extends Error {
  /** Always `"PoolClosed"`: how logs and stack traces name this error. */
  override readonly name = "PoolClosed";
  constructor() {
    super("Cannot submit a job: the executor pool's switch has finished and its domains are stopped. Create the pool in a switch that outlives its jobs.");
  }
}

// They arrive from other domains as themselves.
rememberErrorClass(DomainCrashed);
rememberErrorClass(PoolClosed);
