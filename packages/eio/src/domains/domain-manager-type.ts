/**
 * The domain manager object and its check, apart from the public `DomainManager` module that
 * re-exports the type: the runtime makes one per env, and `ExecutorPool` and `Net.runServer`
 * check theirs.
 * @internal
 * @module
 */
import type { ResourceLimits } from "node:worker_threads";
import type { Operation } from "../core/scheduler.js";
import { markCapability } from "../shared/index.js";

/** A task's name, as `runHere` gets it. */
interface TaskRef {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/**
 * A domain manager (Eio's `Domain_manager.t`). Opaque: use `DomainManager.run`. `env.domainMgr` is the
 * default one; pass it to the code that needs to start domains. It may be sent to another
 * domain (anywhere in a task's arguments, say): it arrives there as a live domain manager, so a
 * task can start domains of its own.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * function describe(dm: Eio.DomainManager.DomainManager): string {
 *   return String(dm);
 * }
 * await Eio.run((env) => console.log(describe(env.domainMgr)));
 * ```
 */
export class DomainManager {
  /**
   * Runs a task in the calling domain instead of a new one (a mock manager's way); null for a
   * real manager. @internal
   */
  runHere: ((task: TaskRef, args: unknown[]) => Operation<unknown>) | null = null;

  /** @internal */
  constructor(
    /** Heap limits for the worker of each domain it starts (none when undefined). */
    readonly resourceLimits: ResourceLimits | undefined,
  ) {
    // Sent to another domain, a domain manager arrives as a live one there (the default one
    // as that domain's own `env.domainMgr`).
    markCapability(this, "domainMgr", resourceLimits);
  }
  /** @internal */
  toString(): string {
    return "DomainManager";
  }
}

/** Throws unless `dm` is a domain manager; `what` names the caller and argument. */
export function checkManager(dm: unknown, what: string): DomainManager {
  if (!(dm instanceof DomainManager)) {
    throw new TypeError(`${what}: expected a domain manager (env.domainMgr), got ${String(dm)}`);
  }
  return dm;
}
