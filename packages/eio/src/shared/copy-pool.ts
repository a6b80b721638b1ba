/**
 * The main thread's pool of warm buffers for large copies read once (a job's arguments, a stream
 * item), sent to a domain. Copying 200 MB into fresh memory costs the thread that copies about
 * six times what copying it into memory already touched does (`bench/copy-warmth.mjs` here:
 * 89-111 ms against 14 ms; the first touch of each page is a page fault, and the kernel zeroes
 * the page). A parcel (buffers.ts) puts that cost on the sender, who copies into a new
 * `ArrayBuffer` and transfers it. From the main thread, the usual producer of a pipeline of large items to
 * domains, the bytes go instead into a shared buffer of this pool, touched before, and the
 * domain that reads the value copies them out into memory of its own: the fresh copy moves to
 * the reader, on its own core, while the main thread goes on producing.
 *
 * A pooled buffer is a shared buffer object (buffers.ts) whose first reference is the pool's;
 * each value that stages bytes in it takes one more, given back once the value is read (or
 * dropped). So a buffer is free again when its count is back to one: no value can still read it.
 * At most {@link SLOTS} buffers are kept, and a buffer no value has used for {@link IDLE_MS} is
 * released (its memory dropped everywhere); when none fits, the value gets a buffer of its own
 * (`storeApart`, as a promise's value does), dropped once it is read. Only the main thread pools: it outlives every domain, so no pool's reference is
 * ever left behind by a thread that exits. A domain's large values go as parcels, which the main
 * thread receives without a copy.
 * @internal
 * @module
 */
import { getArena } from "./arena.js";
import { allocateBuffer, registerBuffer, storeApart } from "./buffers.js";
import { release, retain } from "./handle.js";
import { O_REFCOUNT } from "./layout.js";

/** The most buffers kept (a capacity-1 stream has one item in it and one being read). */
const SLOTS = 2;
/** How long a buffer no value has used is kept. */
const IDLE_MS = 1000;

interface Pooled {
  /** The buffer object's offset; the pool holds one reference. */
  readonly offset: number;
  readonly buffer: SharedArrayBuffer;
  readonly bytes: number;
  usedAt: number;
  /** Values staged in it so far (for tests). */
  uses: number;
}

const pool: Pooled[] = [];
let trimTimer: ReturnType<typeof setTimeout> | null = null;

function free(entry: Pooled): boolean {
  return Atomics.load(getArena().i32, (entry.offset >> 2) + O_REFCOUNT) === 1;
}

/**
 * Copies `bytes` (from the main thread, into a value read once) into a pooled buffer; returns
 * its object's offset with one reference for the value. The reader copies the first
 * `bytes.byteLength` bytes out. Falls back to a buffer of the value's own (`storeApart`) when
 * every pooled buffer is in use, or the free ones are too small or more than twice too large.
 */
export function stageCopy(bytes: Uint8Array): number {
  const now = Date.now();
  const length = bytes.byteLength;
  let entry = pool.find((e) => e.bytes >= length && e.bytes <= 2 * length && free(e));
  if (entry === undefined) {
    // Make room: a free buffer of the wrong size gives its slot to one of the right size.
    const unfit = pool.findIndex(free);
    if (pool.length >= SLOTS && unfit < 0) return storeApart(bytes);
    if (pool.length >= SLOTS) drop(unfit);
    const buffer = allocateBuffer(length);
    entry = { offset: registerBuffer(buffer), buffer, bytes: length, usedAt: now, uses: 0 };
    pool.push(entry);
  }
  new Uint8Array(entry.buffer, 0, length).set(bytes);
  retain(entry.offset);
  entry.usedAt = now;
  entry.uses++;
  trimTimer ??= setTimeout(trimLater, IDLE_MS).unref();
  return entry.offset;
}

function drop(index: number): void {
  const [entry] = pool.splice(index, 1);
  release(entry!.offset);
}

function trimLater(): void {
  trimTimer = null;
  trimCopyPool(Date.now());
  if (pool.length > 0) trimTimer = setTimeout(trimLater, IDLE_MS).unref();
}

/** Releases the pooled buffers that are free and were last used more than {@link IDLE_MS} before `now`. @internal */
export function trimCopyPool(now: number): void {
  for (let i = pool.length - 1; i >= 0; i--) if (now - pool[i]!.usedAt > IDLE_MS && free(pool[i]!)) drop(i);
}

/** The pooled buffers: their sizes, whether a value still holds each, and how many values used each (for tests). @internal */
export function copyPoolState(): { bytes: number; inUse: boolean; uses: number }[] {
  return pool.map((e) => ({ bytes: e.bytes, inUse: !free(e), uses: e.uses }));
}
