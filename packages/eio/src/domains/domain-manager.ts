/**
 * The domain manager, as in Eio's `Eio.Domain_manager`: runs code in a new domain, here a
 * worker thread with its own scheduler. Get one from `env.domainMgr`.
 * @module
 */
import type { ResourceLimits } from "node:worker_threads";
import { Cancelled } from "../core/errors.js";
import { currentFiber, type Fiber, type Operation, suspendUnchecked } from "../core/scheduler.js";
import { Encoder } from "./codec.js";
import { Domain } from "./domain.js";
import { hubOf } from "./hub.js";
import { checkManager, DomainManager } from "./domain-manager-type.js";
import type { Task } from "./task.js";
import { checkTask } from "./task-name.js";

export { DomainManager } from "./domain-manager-type.js";

/**
 * Options for {@link create}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.DomainManager.CreateOptions = { resourceLimits: { maxOldGenerationSizeMb: 128 } };
 * const dm = Eio.DomainManager.create(options);
 * console.log(String(dm));
 * ```
 */
export interface CreateOptions {
  /** Heap limits for each domain's worker (`worker_threads` `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/**
 * Makes a domain manager with options of its own; `env.domainMgr` is the default one.
 * eio-ts only.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const dm = Eio.DomainManager.create({ resourceLimits: { maxOldGenerationSizeMb: 64 } });
 * console.log(String(dm));
 * ```
 */
export function create(options: CreateOptions = {}): DomainManager {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`DomainManager.create: options must be an object, got ${String(options)}`);
  }
  return new DomainManager(options.resourceLimits);
}

const encoder = new Encoder();

/** Encodes task arguments, with a clear error for one that cannot cross. */
function encodeArgs(args: readonly unknown[], what: string): Encoder {
  encoder.reset();
  for (let i = 0; i < args.length; i++) {
    try {
      encoder.value(args[i]);
    } catch (error) {
      throw new TypeError(`${what}: argument ${i + 1} cannot be sent to another domain (values are structured-cloned): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  return encoder;
}

/**
 * Runs `task(...args)` in a new domain and returns its result; its error is rethrown here with
 * its name, message, stack, `cause` and own fields. Other fibers of this domain keep running
 * meanwhile. Arguments and result are structured-cloned. Mirrors `Eio.Domain_manager.run`.
 *
 * Suspends: yes — use `yield*`. Cancelling the caller cancels the task in the other domain and
 * waits for it to finish, then throws `Cancelled`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * import { isMainThread } from "node:worker_threads";
 * export function* square(n: number) { return n * n; }
 * if (isMainThread) {
 *   await Eio.run(function* (env) {
 *     const task = Eio.task<[number], number>(import.meta.url, "square");
 *     console.log(yield* Eio.DomainManager.run(env.domainMgr, task, 7));
 *   });
 * }
 * ```
 */
export function* run<Args extends unknown[], T>(dm: DomainManager, task: Task<Args, T>, ...args: Args): Operation<T> {
  checkManager(dm, "DomainManager.run");
  const name = checkTask(task, "DomainManager.run");
  const caller = currentFiber();
  const early = caller.ctx.cancelError();
  if (early !== null) throw early;
  if (dm.runHere !== null) return (yield* dm.runHere(name, args)) as T;
  const encoded = encodeArgs(args, "DomainManager.run");
  const domain = new Domain(hubOf(caller.scheduler), dm.resourceLimits === undefined ? {} : { resourceLimits: dm.resourceLimits });
  let outcome: { ok: boolean; value: unknown } | null = null;
  let waiter: Fiber | null = null;
  let cancelled: Cancelled | null = null;
  const jobId = domain.run(name, encoded.buffer, encoded.length, {
    settle(ok, value) {
      outcome = { ok, value };
      if (waiter !== null) waiter.scheduler.wake(waiter, undefined);
    },
  });
  try {
    while (outcome === null) {
      // Unchecked: after a cancellation we still wait for the other domain to finish.
      yield* suspendUnchecked<void>("DomainManager.run", (fiber) => {
        waiter = fiber;
        if (cancelled === null) {
          fiber.cancelFn = (error) => {
            cancelled = error;
            domain.cancel(jobId);
          };
        }
      });
    }
  } finally {
    void domain.stop((d) => new Error(`Domain ${d.id} was stopped`));
  }
  const { ok, value } = outcome as { ok: boolean; value: unknown };
  if (ok) return value as T;
  if (cancelled !== null && value instanceof Cancelled) throw cancelled;
  throw value;
}
