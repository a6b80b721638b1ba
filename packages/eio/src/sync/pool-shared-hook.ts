/**
 * How `Eio.Pool` reaches its shared form, which lives with the domains runtime
 * (`domains/shared-pool.ts`): this folder cannot import it (the shared heap imports `sync/`),
 * so the runtime registers it here when it loads, as it does for shared streams.
 * @internal
 * @module
 */
import type { Operation } from "../core/scheduler.js";

/** The part of a shared pool that serves `Pool.use` in this domain. */
export interface SharedPoolBackend {
  use(fn: (resource: unknown) => unknown, neverBlock: boolean): Operation<unknown>;
}

/** A task's name as the pool sees it (`Eio.Task` without its types). */
export interface TaskRef {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/** Makes a shared pool's backend and marks `pool` so that it crosses domains. */
export type SharedPoolFactory = (pool: object, max: number, alloc: TaskRef, validate: TaskRef | null, dispose: TaskRef | null) => SharedPoolBackend;

let factory: SharedPoolFactory | null = null;

/** Called once by the domains runtime. */
export function setSharedPoolFactory(f: SharedPoolFactory): void {
  factory = f;
}

/** The registered factory, or null if the domains runtime is not loaded. */
export function sharedPoolFactory(): SharedPoolFactory | null {
  return factory;
}
