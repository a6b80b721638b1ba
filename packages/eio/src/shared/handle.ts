/**
 * Shared objects and their handles. A shared object is a block of the arena that starts with
 * a reference count and a kind id; a handle is the small JS object a domain uses to reach it.
 * Each live handle holds one reference, given back by a `FinalizationRegistry` when the
 * handle is garbage; each encoded value holds one per handle inside it. At zero the kind's
 * `destroy` runs and the block is freed. (Reference cycles through values are not collected.)
 * @internal
 * @module
 */
import { getArena } from "./arena.js";
import { O_KIND, O_REFCOUNT, OBJECT_HEADER } from "./layout.js";

/** What a kind of shared object tells the heap. */
export interface Kind {
  /** A small integer, the same in every thread (1 promise, 2 stream; domains may use 3..15). */
  readonly id: number;
  readonly name: string;
  /** Makes a new handle object for the object at `offset` (no reference taken). */
  revive(offset: number): SharedHandle;
  /** Releases what the object owns (value blocks...), before its block is freed. */
  destroy(offset: number): void;
}

const kinds: (Kind | undefined)[] = [];

/** Registers a kind of shared object; the same `id` must be registered in every domain. */
export function registerKind(kind: Kind): void {
  if (!Number.isInteger(kind.id) || kind.id < 1 || kind.id > 15) {
    throw new RangeError(`registerKind: id must be an integer in [1, 15], got ${kind.id}`);
  }
  const existing = kinds[kind.id];
  if (existing !== undefined && existing.name !== kind.name) {
    throw new Error(`registerKind: id ${kind.id} is already taken by "${existing.name}"`);
  }
  kinds[kind.id] = kind;
}

/** The base class of every handle: an offset into the arena. */
export abstract class SharedHandle {
  constructor(readonly offset: number) {}

  /**
   * The object to name when this handle is sent to another domain, with one new reference
   * taken for the message. A kind may override it (a settled promise that let its cell go
   * makes a fresh one).
   */
  sendRef(): number {
    retain(this.offset);
    rememberHandle(this);
    return this.offset;
  }
}

/** Allocates a shared object of kind `kindId` with `payloadBytes` after the header; refcount 0. */
export function allocObject(kindId: number, payloadBytes: number): number {
  const arena = getArena();
  const offset = arena.alloc(OBJECT_HEADER + payloadBytes);
  arena.i32[(offset >> 2) + O_REFCOUNT] = 0;
  arena.i32[(offset >> 2) + O_KIND] = kindId;
  return offset;
}

/** Takes one reference to the object at `offset`. */
export function retain(offset: number): void {
  Atomics.add(getArena().i32, (offset >> 2) + O_REFCOUNT, 1);
}

/** Drops one reference; the last one destroys and frees the object. */
export function release(offset: number): void {
  const arena = getArena();
  const word = offset >> 2;
  if (Atomics.sub(arena.i32, word + O_REFCOUNT, 1) !== 1) return;
  const kind = kinds[arena.i32[word + O_KIND]!];
  kind?.destroy(offset);
  arena.free(offset);
}

/**
 * One handle per object per domain while it lives, so a handle that travels out and back is
 * the same object. Only handles that were sent or revived are remembered (a `WeakRef` each):
 * the many that never leave their domain stay cheap for the garbage collector.
 */
const live = new Map<number, WeakRef<SharedHandle>>();
const registry = new FinalizationRegistry<number>((offset) => {
  const ref = live.get(offset);
  if (ref !== undefined && ref.deref() === undefined) live.delete(offset);
  release(offset);
});

/** Makes `handle` hold one reference (taken here), given back when the handle is garbage. */
export function trackHandle(handle: SharedHandle): void {
  retain(handle.offset);
  registry.register(handle, handle.offset, handle);
}

/**
 * Gives back `handle`'s reference now, without waiting for the garbage collector: for a
 * handle that no longer needs its object (a promise that has read its value).
 */
export function untrackHandle(handle: SharedHandle): void {
  registry.unregister(handle);
  if (live.get(handle.offset)?.deref() === handle) live.delete(handle.offset);
  release(handle.offset);
}

/** Remembers `handle` as this domain's handle for its object (called when it is sent). */
export function rememberHandle(handle: SharedHandle): void {
  if (live.get(handle.offset)?.deref() !== handle) live.set(handle.offset, new WeakRef(handle));
}

/** The live handle of this domain for the object at `offset` (made if there is none). */
export function reviveHandle(kindId: number, offset: number): SharedHandle {
  const existing = live.get(offset)?.deref();
  if (existing !== undefined) return existing;
  const kind = kinds[kindId];
  if (kind === undefined) throw new TypeError(`Cannot revive a shared object of unknown kind ${kindId}: is its module loaded in this domain?`);
  const handle = kind.revive(offset);
  trackHandle(handle);
  live.set(offset, new WeakRef(handle));
  return handle;
}

/** The kind id stored in an object's header. */
export function kindOf(offset: number): number {
  return getArena().i32[(offset >> 2) + O_KIND]!;
}
