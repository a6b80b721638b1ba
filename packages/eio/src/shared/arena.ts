/**
 * The arena: one `SharedArrayBuffer` that every domain of a program maps (see `ARENA_BYTES`
 * for why it does not grow). Shared
 * objects and encoded values live in blocks of it, so a reference to one is just a byte
 * offset, which any domain can use. Blocks come from power-of-two size classes with one free
 * list each, under one lock word (critical sections are a few loads and stores).
 *
 * Small blocks mostly die in another thread than the one that made them: a promise cell or a
 * value block is allocated by the sender and freed by the receiver. So each thread caches the
 * small blocks it frees, and a full cache hands a batch of them to the others in one piece
 * (one lock acquisition for {@link BATCH} blocks); a thread whose cache is empty takes a whole
 * batch the same way. Taking the lock for each block instead (measured: 3.4 acquisitions per
 * cross-domain round trip on the sending side) moved the lock's cache line between the two
 * cores several times a round trip.
 * @internal
 * @module
 */
import { lockWord, unlockWord } from "./atomics.js";
import {
  BLOCK_HEADER, D_INBOX, D_PARKED, D_RECORDS, D_STATE, DOMAIN_DEAD, DOMAIN_FREE, DOMAIN_LIVE, DOMAIN_RECLAIMING, DOMAIN_SLOT_BYTES, DOMAIN_TABLE,
  ARENA_BYTES, H_ALLOC_LOCK, H_BATCHES, H_COLLECTOR, H_BUMP_TOP, H_FREE_LISTS, H_MAGIC, H_NEXT_DOMAIN, HEAP_START,
  MAGIC, MAX_DOMAINS, MIN_BLOCK, SIZE_CLASSES,
} from "./layout.js";

/** Size classes (up to 128 bytes) that each thread caches, and how many blocks of each. */
const CACHED_CLASSES = 4;
const CACHE_LIMIT = 512;
/** How many blocks a full cache hands over at once. */
const BATCH = 64;

/** One thread's view of the arena. */
export class Arena {
  /**
   * Small blocks this thread freed, reused without the lock: waiter records and value blocks
   * come and go at every wait, and the allocator lock is shared by every domain.
   */
  private readonly cache: number[][] = Array.from({ length: CACHED_CLASSES }, () => []);
  /**
   * False once the thread may end at any moment (see {@link stopCaching}): blocks then go
   * straight to and from the shared lists, since a cache, or a batch taken whole, would die
   * with the thread.
   */
  private caching = true;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;

  constructor(readonly buffer: SharedArrayBuffer, readonly domainId: number) {
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
  }

  /** Word index of a domain's slot field. */
  slot(domainId: number, field: number): number {
    return (DOMAIN_TABLE + domainId * DOMAIN_SLOT_BYTES) / 4 + field;
  }

  /** A waiter record of this domain was made (the waiter module counts every one). */
  recordMade(): void {
    Atomics.add(this.i32, this.slot(this.domainId, D_RECORDS), 1);
  }

  /** A waiter record of `domainId` was freed: the last one of a dead domain frees its id. */
  recordFreed(domainId: number): void {
    if (Atomics.sub(this.i32, this.slot(domainId, D_RECORDS), 1) === 1 && Atomics.load(this.i32, this.slot(domainId, D_STATE)) === DOMAIN_DEAD) {
      reclaimDomain(this, domainId);
    }
  }

  /**
   * A block whose payload holds at least `bytes` bytes; returns the payload's byte offset
   * (8-aligned). The payload is not zeroed.
   */
  alloc(bytes: number): number {
    const sizeClass = classFor(bytes + BLOCK_HEADER);
    const i32 = this.i32;
    if (sizeClass < CACHED_CLASSES && this.caching) {
      const cache = this.cache[sizeClass]!;
      const cached = cache.pop();
      if (cached !== undefined) return cached + BLOCK_HEADER;
      const batch = this.takeBatch(sizeClass);
      if (batch !== 0) {
        // The first block is the answer; the rest of the chain fills the cache.
        for (let block = i32[(batch >> 2) + 1]!; block !== 0; block = i32[(block >> 2) + 1]!) cache.push(block);
        return batch + BLOCK_HEADER;
      }
    }
    lockWord(i32, H_ALLOC_LOCK);
    let block = i32[H_FREE_LISTS + sizeClass]!;
    if (block !== 0) {
      i32[H_FREE_LISTS + sizeClass] = i32[(block >> 2) + 1]!;
    } else if (sizeClass < CACHED_CLASSES && i32[H_BATCHES + sizeClass] !== 0) {
      // Not caching: one block off the first batch, whose rest stays a batch.
      block = i32[H_BATCHES + sizeClass]!;
      const rest = i32[(block >> 2) + 1]!;
      const nextBatch = i32[(block >> 2) + 2]!;
      if (rest !== 0) i32[(rest >> 2) + 2] = nextBatch;
      i32[H_BATCHES + sizeClass] = rest !== 0 ? rest : nextBatch;
    } else {
      block = i32[H_BUMP_TOP]!;
      const top = block + (MIN_BLOCK << sizeClass);
      if (top > this.buffer.byteLength) {
        unlockWord(i32, H_ALLOC_LOCK);
        throw new RangeError(
          `The shared heap is full (${this.buffer.byteLength >> 20} MiB, ${bytes} more bytes asked): values sent between domains are too large or are kept alive. Set EIO_SHARED_HEAP_MB for a larger heap.`,
        );
      }
      i32[H_BUMP_TOP] = top;
    }
    unlockWord(i32, H_ALLOC_LOCK);
    i32[block >> 2] = sizeClass;
    return block + BLOCK_HEADER;
  }

  /** Returns a block from {@link alloc} to its free list. */
  free(payload: number): void {
    const block = payload - BLOCK_HEADER;
    const i32 = this.i32;
    const sizeClass = i32[block >> 2]!;
    if (sizeClass < CACHED_CLASSES && this.caching) {
      const cache = this.cache[sizeClass]!;
      cache.push(block);
      if (cache.length > CACHE_LIMIT) this.giveBatch(sizeClass, BATCH);
      return;
    }
    lockWord(i32, H_ALLOC_LOCK);
    i32[(block >> 2) + 1] = i32[H_FREE_LISTS + sizeClass]!;
    i32[H_FREE_LISTS + sizeClass] = block;
    unlockWord(i32, H_ALLOC_LOCK);
  }

  /**
   * Hands the last `count` blocks of a cache to the other threads as one batch: linked outside
   * the lock, published with a single push under it.
   */
  private giveBatch(sizeClass: number, count: number): void {
    const i32 = this.i32;
    const cache = this.cache[sizeClass]!;
    let chain = 0;
    for (let i = 0; i < count; i++) {
      const block = cache.pop()!;
      i32[(block >> 2) + 1] = chain;
      chain = block;
    }
    lockWord(i32, H_ALLOC_LOCK);
    i32[(chain >> 2) + 2] = i32[H_BATCHES + sizeClass]!;
    i32[H_BATCHES + sizeClass] = chain;
    unlockWord(i32, H_ALLOC_LOCK);
  }

  /** Takes a whole batch of free blocks of a cached size class (its first block), or 0. */
  private takeBatch(sizeClass: number): number {
    const i32 = this.i32;
    if (Atomics.load(i32, H_BATCHES + sizeClass) === 0) return 0;
    lockWord(i32, H_ALLOC_LOCK);
    const batch = i32[H_BATCHES + sizeClass]!;
    if (batch !== 0) i32[H_BATCHES + sizeClass] = i32[(batch >> 2) + 2]!;
    unlockWord(i32, H_ALLOC_LOCK);
    return batch;
  }

  /**
   * Gives this thread's cached blocks back and stops caching until {@link startCaching}: for a
   * domain with nothing left to run, whose thread may be terminated at any moment. A worker
   * that exits with blocks in its cache takes them with it for good, and one allocation after
   * a plain flush would take a whole batch.
   */
  stopCaching(): void {
    this.caching = false;
    this.flushCache();
  }

  /** The thread has work again: cache freed blocks (see {@link stopCaching}). */
  startCaching(): void {
    this.caching = true;
  }

  /** Gives this thread's cached blocks back to the other threads, as batches. */
  flushCache(): void {
    for (let sizeClass = 0; sizeClass < CACHED_CLASSES; sizeClass++) {
      const cache = this.cache[sizeClass]!;
      while (cache.length > 0) this.giveBatch(sizeClass, Math.min(BATCH, cache.length));
    }
  }

  /**
   * Bytes in blocks that are in use: handed out from the top, minus the free lists and this
   * thread's cache (other threads' caches count as in use). Walks the free lists under the
   * allocator lock: for tests and measurements, not for hot paths.
   */
  liveBytes(): number {
    const i32 = this.i32;
    let free = 0;
    lockWord(i32, H_ALLOC_LOCK);
    for (let sizeClass = 0; sizeClass < SIZE_CLASSES; sizeClass++) {
      for (let block = i32[H_FREE_LISTS + sizeClass]!; block !== 0; block = i32[(block >> 2) + 1]!) free += MIN_BLOCK << sizeClass;
    }
    for (let sizeClass = 0; sizeClass < CACHED_CLASSES; sizeClass++) {
      for (let batch = i32[H_BATCHES + sizeClass]!; batch !== 0; batch = i32[(batch >> 2) + 2]!) {
        for (let block = batch; block !== 0; block = i32[(block >> 2) + 1]!) free += MIN_BLOCK << sizeClass;
      }
    }
    const top = i32[H_BUMP_TOP]!;
    unlockWord(i32, H_ALLOC_LOCK);
    for (let sizeClass = 0; sizeClass < CACHED_CLASSES; sizeClass++) free += this.cache[sizeClass]!.length * (MIN_BLOCK << sizeClass);
    return top - HEAP_START - free;
  }

  /** Bytes handed out from the top so far (free blocks included): what the arena has used. */
  get usedBytes(): number {
    return Atomics.load(this.i32, H_BUMP_TOP);
  }
}

function classFor(bytes: number): number {
  let sizeClass = 0;
  while (MIN_BLOCK << sizeClass < bytes) sizeClass++;
  if (sizeClass >= SIZE_CLASSES) throw new RangeError(`Cannot allocate ${bytes} bytes in the shared heap: the limit is ${ARENA_BYTES}.`);
  return sizeClass;
}

let arena: Arena | null = null;

/** What modules that import this one keep per domain and give back when it retires (handle.ts, cycle-candidates.ts). */
const retireHooks: ((domainId: number) => void)[] = [];

/** @internal */
export function onRetire(fn: (domainId: number) => void): void {
  retireHooks.push(fn);
}

/** Makes a fresh arena; this thread becomes domain 0. */
function createArena(): Arena {
  const buffer = new SharedArrayBuffer(ARENA_BYTES);
  const created = new Arena(buffer, 0);
  const i32 = created.i32;
  i32[H_BUMP_TOP] = HEAP_START;
  i32[H_NEXT_DOMAIN] = 1;
  i32[created.slot(0, D_STATE)] = DOMAIN_LIVE;
  Atomics.store(i32, H_MAGIC, MAGIC);
  return created;
}

/** This thread's arena, made on first use if none was attached (the main thread: domain 0). */
export function getArena(): Arena {
  return arena ?? (arena = createArena());
}

/** Gives this thread's cached free blocks back and stops caching (see {@link Arena.stopCaching}). */
export function stopArenaCaching(): void {
  arena?.stopCaching();
}

/** This thread has work again (see {@link Arena.startCaching}). */
export function startArenaCaching(): void {
  arena?.startCaching();
}

/** This thread's arena if it has one yet (never makes one). */
export function peekArena(): Arena | null {
  return arena;
}

/** The arena's buffer and this thread's domain id, to hand to a new domain. */
export function currentArena(): { buffer: SharedArrayBuffer; domainId: number } {
  const a = getArena();
  return { buffer: a.buffer, domainId: a.domainId };
}

/**
 * Makes this thread domain `domainId` of the arena in `buffer`. Call it in a worker before its
 * `Eio.run`, with what the parent passed in `workerData`.
 */
export function attachArena(buffer: SharedArrayBuffer, domainId: number): void {
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(`attachArena: expected the SharedArrayBuffer from currentArena(), got ${String(buffer)}`);
  }
  if (!Number.isInteger(domainId) || domainId < 1 || domainId >= MAX_DOMAINS) {
    throw new RangeError(`attachArena: domainId must be an integer in [1, ${MAX_DOMAINS - 1}] from allocateDomainId(), got ${domainId}`);
  }
  if (arena !== null) {
    if (arena.buffer === buffer && arena.domainId === domainId) return;
    throw new Error(`attachArena: this thread is already domain ${arena.domainId} of an arena; attach before any shared object is made.`);
  }
  const attached = new Arena(buffer, domainId);
  if (Atomics.load(attached.i32, H_MAGIC) !== MAGIC) throw new TypeError("attachArena: this buffer is not an eio-ts arena.");
  Atomics.store(attached.i32, attached.slot(domainId, D_STATE), DOMAIN_LIVE);
  arena = attached;
}

/** Reserves a free domain id for a worker about to start. */
export function allocateDomainId(): number {
  const a = getArena();
  const start = Atomics.add(a.i32, H_NEXT_DOMAIN, 1);
  for (let i = 0; i < MAX_DOMAINS; i++) {
    const id = ((start + i) % (MAX_DOMAINS - 1)) + 1;
    const state = a.slot(id, D_STATE);
    if (Atomics.compareExchange(a.i32, state, DOMAIN_FREE, DOMAIN_LIVE) === DOMAIN_FREE) return id;
  }
  throw new RangeError(`Cannot start another domain: all ${MAX_DOMAINS - 1} domain ids are in use.`);
}

/** True unless the domain has exited (see {@link retireDomain}). */
export function isDomainLive(a: Arena, domainId: number): boolean {
  return Atomics.load(a.i32, a.slot(domainId, D_STATE)) !== DOMAIN_DEAD;
}

/**
 * Gives a domain's id back after its worker exited. After a clean exit (its `Eio.run` ended, so
 * none of its fibers waits on anything) the id is reused. After a crash (`crashed: true`) its
 * fibers may still sit in the queues of shared objects: the slot is marked dead, and whoever
 * would wake such a waiter skips it (and frees its record), so no stream item is handed to a
 * dead domain. Once the last of its waiter records is freed, the id is reused too.
 */
export function retireDomain(domainId: number, options: { crashed?: boolean } = {}): void {
  const a = getArena();
  if (!Number.isInteger(domainId) || domainId < 1 || domainId >= MAX_DOMAINS) {
    throw new RangeError(`retireDomain: expected a domain id in [1, ${MAX_DOMAINS - 1}], got ${domainId}`);
  }
  // Its handles are gone with its thread, and their finalizers never ran: give their references
  // back, and those of its cycle candidates.
  for (const hook of retireHooks) hook(domainId);
  // A thread terminated in the middle of a cycle collection: let others collect (what that
  // collection held stays allocated).
  Atomics.compareExchange(a.i32, H_COLLECTOR, domainId + 1, 0);
  if (options.crashed === true) {
    Atomics.store(a.i32, a.slot(domainId, D_STATE), DOMAIN_DEAD);
    // Seq-cst store, then load: a thread freeing the last record concurrently either sees DEAD
    // (and reclaims) or freed it before this load (and we reclaim); both may try, one wins.
    if (Atomics.load(a.i32, a.slot(domainId, D_RECORDS)) === 0) reclaimDomain(a, domainId);
    return;
  }
  Atomics.store(a.i32, a.slot(domainId, D_INBOX), 0);
  Atomics.store(a.i32, a.slot(domainId, D_PARKED), 0);
  Atomics.store(a.i32, a.slot(domainId, D_STATE), DOMAIN_FREE);
}

/**
 * Resets a dead domain's slot and frees its id. Only the thread whose compare-exchange takes
 * the slot out of DEAD resets it, and the slot becomes FREE (allocatable) only after the reset,
 * so a new domain never sees the old one's inbox.
 */
export function reclaimDomain(a: Arena, domainId: number): void {
  const state = a.slot(domainId, D_STATE);
  if (Atomics.compareExchange(a.i32, state, DOMAIN_DEAD, DOMAIN_RECLAIMING) !== DOMAIN_DEAD) return;
  Atomics.store(a.i32, a.slot(domainId, D_INBOX), 0);
  Atomics.store(a.i32, a.slot(domainId, D_PARKED), 0);
  Atomics.store(a.i32, state, DOMAIN_FREE);
}
