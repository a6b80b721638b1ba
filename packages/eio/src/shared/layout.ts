/**
 * The arena's memory layout: a handful of named constants, so every thread reads the same
 * words. Offsets are in bytes; `W_*` are word indexes (Int32) inside a structure.
 * @internal
 * @module
 */

/** Written at byte 0 so a foreign buffer is recognised. */
export const MAGIC = 0x45494f31; // "EIO1"

/** Arena header words (Int32 indexes from byte 0). */
export const H_MAGIC = 0;
export const H_ALLOC_LOCK = 1;
export const H_BUMP_TOP = 2;
export const H_NEXT_DOMAIN = 3;
/** The last id given to a buffer that travels beside the arena (buffers.ts). */
export const H_NEXT_BUFFER = 4;
/** Bumped by the main thread each time it forwards buffers to the domains (buffers.ts). */
export const H_BUFFER_FORWARDS = 5;
/** Free-list heads, one per size class, from this word on. */
export const H_FREE_LISTS = 8;

/**
 * Heads of the lists of batches, one per cached size class (see `Arena.alloc`), from this word
 * on: blocks that one thread freed, handed to another in one piece. A batch is a chain of free
 * blocks linked like a free list; its first block's payload word links it to the next batch.
 * On their own cache line, apart from the allocator lock's.
 */
export const H_BATCHES = 48;

/** Block size classes: class c holds `MIN_BLOCK << c` bytes, header included. */
export const MIN_BLOCK = 16;
export const SIZE_CLASSES = 27;
/** Bytes before a block's payload: word 0 = size class, word 1 = next free block. */
export const BLOCK_HEADER = 8;

/** The domain table: one 64-byte slot (a cache line, to avoid false sharing) per domain. */
export const DOMAIN_TABLE = 256;
export const MAX_DOMAINS = 1024;
export const DOMAIN_SLOT_BYTES = 64;
/** Slot words: state (free/live/dead), inbox head (also the doorbell), parked flag. */
export const D_STATE = 0;
export const D_INBOX = 1;
export const D_PARKED = 2;
/**
 * The domain's held list: a block of the offsets its long-lived handles reference, its length
 * and capacity, so that the references of a domain that exited are given back (see handle.ts).
 */
export const D_HELD = 8;
export const D_HELD_COUNT = 9;
export const D_HELD_CAPACITY = 10;
/** The domain's buffer of cycle candidates (see cycle-candidates.ts). */
export const D_CANDIDATES = 11;
export const DOMAIN_FREE = 0;
export const DOMAIN_LIVE = 1;
export const DOMAIN_DEAD = 2;

/** Where blocks start. */
export const HEAP_START = DOMAIN_TABLE + MAX_DOMAINS * DOMAIN_SLOT_BYTES;

/**
 * Slot word: how many waiter records of the domain are not freed yet. A dead domain's id is
 * reused once none are (see `retireDomain`).
 */
export const D_RECORDS = 3;
/** A dead domain's slot being reset by the one thread that won it (see `reclaimDomain`). */
export const DOMAIN_RECLAIMING = 3;

/**
 * The arena's size. A fixed (non-growable) buffer: V8 in Node 20 does not inline `Atomics` on
 * views of a growable `SharedArrayBuffer` (measured: 6-8x slower loads), and pages are only
 * committed when touched, so reserving generously costs address space, not memory. Set
 * `EIO_SHARED_HEAP_MB` to change it.
 */
export const ARENA_BYTES = arenaBytes();

function arenaBytes(): number {
  const fromEnv = Number(process.env["EIO_SHARED_HEAP_MB"]);
  const megabytes = Number.isInteger(fromEnv) && fromEnv >= 1 && fromEnv <= 2047 ? fromEnv : 256;
  return megabytes << 20;
}

/**
 * Every shared object starts with four words: reference count, kind id, flags, and the cycle
 * collector's scan word (see cycles.ts).
 */
export const O_REFCOUNT = 0;
export const O_KIND = 1;
export const O_FLAGS = 2;
export const O_SCAN = 3;
export const OBJECT_HEADER = 16;
/** Flag: a value stored in the object has held a reference to another object (it may be on a cycle). */
export const MAY_CYCLE = 1;
/** Flag: the candidate list holds one reference to the object. */
export const BUFFERED = 2;
/** Scan word: a collection is examining the object; DIRTY: it was touched meanwhile. */
export const SCANNING = 1;
export const DIRTY = 2;

/**
 * Arena header words of the cycle collector: the candidate list (block, length, capacity) and
 * its lock, and the collector lock (0, or the collecting domain's id + 1).
 */
export const H_CANDIDATES = 40;
export const H_CANDIDATE_COUNT = 41;
export const H_CANDIDATE_CAPACITY = 42;
export const H_CANDIDATE_LOCK = 43;
export const H_COLLECTOR = 44;

/** Waiter record words (a fiber of some domain waiting on a shared object). */
export const W_NEXT = 0; // next waiter in the object's FIFO queue
export const W_INBOX_NEXT = 1; // next record in the target domain's inbox
export const W_DOMAIN = 2;
export const W_STATE = 3;
export const W_VALUE = 4; // an encoded value reference (stream items)
export const W_SLOT = 5; // the waiting fiber's index in its domain's table of parked fibers
export const WAITER_BYTES = 24;
export const WAITING = 0;
export const CLAIMED = 1;
