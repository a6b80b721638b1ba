/**
 * The shared form of `Eio.Pool` (`Pool.create(max, alloc, { shared: true })`), built from the
 * shared parts the domains already have, the way Eio's pool is a queue of slots plus an atomic
 * count: free slots wait in a shared stream (capacity `max`, so returning a slot never blocks),
 * and a shared cell counts the slots made so far. A slot is `null` (no resource yet, or its
 * resource was disposed of) or `{ resource }`; the stream carries it to whichever domain takes
 * it, waiters of every domain in arrival order. The pool crosses domains as a capability whose
 * data is that stream, the cell and the tasks, and arrives as a pool of the receiving domain.
 * @internal
 * @module
 */
import { awaitNative } from "../core/fiber.js";
import { isGenerator, type Operation, runBody } from "../core/scheduler.js";
import { markCapability, registerCapability } from "../shared/markers.js";
import { createCells, incrementBelow } from "../shared/cells.js";
import { Pool } from "../sync/pool.js";
import { setSharedPoolFactory, type SharedPoolBackend, type TaskRef } from "../sync/pool-shared-hook.js";
import * as Stream from "../sync/stream.js";
import { loadTask, type TaskFunction } from "./load-task.js";

/** A free slot: `null` if it holds no resource. */
type Slot = { resource: unknown } | null;

/** What crosses domains: everything a domain needs to serve the pool. */
interface Wire {
  readonly max: number;
  readonly free: Stream.Stream<Slot>;
  /** Cell 0: the number of slots made so far. */
  readonly cells: Int32Array;
  readonly alloc: TaskRef;
  readonly validate: TaskRef | null;
  readonly dispose: TaskRef | null;
}

const SLOTS = 0;
const CAPABILITY = "Eio.Pool";

class SharedBackend implements SharedPoolBackend {
  /** This domain's functions for the tasks, once loaded. */
  private readonly loaded = new Map<TaskRef, TaskFunction>();

  constructor(readonly wire: Wire) {}

  /** Runs a task's function here (loading its module the first time), as a fiber body. */
  private *call(task: TaskRef, ...args: unknown[]): Operation<unknown> {
    let fn = this.loaded.get(task);
    if (fn === undefined) {
      fn = yield* awaitNative(loadTask(task.moduleUrl, task.exportName));
      this.loaded.set(task, fn);
    }
    const result = fn(...args);
    if (!isGenerator(result) && typeof (result as PromiseLike<unknown> | null)?.then === "function") return yield* awaitNative(result as PromiseLike<unknown>);
    return yield* runBody(result);
  }

  *use(fn: (resource: unknown) => unknown, neverBlock: boolean): Operation<unknown> {
    const { free, cells, max } = this.wire;
    let slot = Stream.takeNonblocking(free);
    if (slot === undefined) {
      const seen = incrementBelow(cells, SLOTS, max);
      if (seen >= max && neverBlock) return yield* this.runNewAndDispose(fn);
      // Added before taking: if others wait already, the new slot goes to the first of them.
      if (seen < max) yield* Stream.add(free, null);
      slot = yield* Stream.take(free);
    }
    return yield* this.runWith(slot, fn);
  }

  private *runWith(slot: Slot, fn: (resource: unknown) => unknown): Operation<unknown> {
    const { validate, dispose, alloc, free } = this.wire;
    let current = slot;
    try {
      if (current !== null && validate !== null && !(yield* this.call(validate, current.resource))) {
        const old = current.resource;
        current = null;
        if (dispose !== null) yield* this.call(dispose, old);
      }
      if (current === null) current = { resource: yield* this.call(alloc) };
      return yield* runBody(fn(current.resource));
    } finally {
      yield* giveBack(free, current);
    }
  }

  private *runNewAndDispose(fn: (resource: unknown) => unknown): Operation<unknown> {
    const resource = yield* this.call(this.wire.alloc);
    try {
      return yield* runBody(fn(resource));
    } finally {
      if (this.wire.dispose !== null) yield* this.call(this.wire.dispose, resource);
    }
  }
}

/**
 * Returns a slot to the pool. The stream has room for every slot, so this never waits (not even
 * when cancelled). A resource the domains cannot carry (a function, a socket) is refused here:
 * the slot goes back empty, so the pool keeps its size, and the user is told why.
 */
function* giveBack(free: Stream.Stream<Slot>, slot: Slot): Operation<void> {
  try {
    yield* Stream.add(free, slot);
  } catch (error) {
    yield* Stream.add(free, null);
    throw new TypeError(
      `Pool.use: a shared pool's resources must be values that can cross domains (shared memory, shared promises and streams, plain data); this one cannot: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A pool of this domain served by `wire`, and marked to cross as it. */
function attach(pool: Pool<unknown>, wire: Wire): SharedBackend {
  markCapability(pool, CAPABILITY, wire);
  return new SharedBackend(wire);
}

const plainTask = (task: TaskRef): TaskRef => ({ moduleUrl: task.moduleUrl, exportName: task.exportName });

setSharedPoolFactory((pool, max, alloc, validate, dispose) =>
  attach(pool as Pool<unknown>, {
    max,
    free: Stream.create<Slot>(max, { shared: true, label: "Pool" }),
    cells: createCells(1),
    alloc: plainTask(alloc),
    validate: validate === null ? null : plainTask(validate),
    dispose: dispose === null ? null : plainTask(dispose),
  }),
);

registerCapability(CAPABILITY, (data) => {
  const wire = data as Wire;
  const pool = new Pool<unknown>(wire.max, () => undefined, undefined, undefined);
  pool.shared = attach(pool, wire);
  return pool;
});
