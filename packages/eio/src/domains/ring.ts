/**
 * A single-producer, single-consumer ring of byte records in a `SharedArrayBuffer`: how jobs
 * reach a domain and results come back without `postMessage`.
 *
 * Each record is a 20-byte header (length, kind, id, aux, extra as Int32) followed by `length` payload bytes,
 * padded to 4. Positions are free-running Int32 counters; `tail - head` is the bytes in use.
 * A record that would straddle the end is preceded by a wrap marker (kind -1).
 * @internal
 * @module
 */

/** Int32 slots at the start of a ring's buffer. */
const HEAD = 0; // consumer position (written only by the consumer)
const TAIL = 1; // producer position (written only by the producer)
/** Set by a consumer that is about to park; the producer then rings the doorbell. */
export const SLEEPING = 2;
/** Bumped and notified by the producer when the consumer sleeps. */
export const DOORBELL = 3;
/**
 * Set by a parent while it blocks in `Atomics.wait` for at most a millisecond (hub.ts): it will
 * read the outboxes by then anyway, so a domain busy with staged jobs may leave it asleep.
 */
export const BLOCKING = 4;
const HEADER_BYTES = 64;
const RECORD_HEADER = 20; // length, kind, id, aux, extra
const WRAP = -1;

/** One record read from a ring: its payload is `ring.data[offset, offset + length)`, valid until released. */
export interface RingRecord {
  kind: number;
  id: number;
  aux: number;
  extra: number;
  offset: number;
  length: number;
}

export class Ring {
  readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly record: RingRecord = { kind: 0, id: 0, aux: 0, extra: 0, offset: 0, length: 0 };
  /** The data area, as a Buffer (so records are decoded without a view per record). */
  readonly data: Buffer;

  /** Makes a new ring of `capacity` bytes (a power of two). */
  static create(capacity: number): Ring {
    return new Ring(new SharedArrayBuffer(HEADER_BYTES + capacity));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.capacity = buffer.byteLength - HEADER_BYTES;
    this.mask = this.capacity - 1;
    this.control = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
    this.words = new Int32Array(buffer, HEADER_BYTES, this.capacity / 4);
    this.data = Buffer.from(buffer, HEADER_BYTES, this.capacity);
  }

  /**
   * Appends a record; false if there is no room (the caller keeps it and retries later).
   * The payload bytes are written before the tail is published with `Atomics.store`, and a
   * consumer reads the tail with `Atomics.load`: seq-cst atomics order the plain writes
   * before it, so a consumer that sees the new tail sees the whole record.
   */
  write(kind: number, id: number, aux: number, payload: Uint8Array | null, length: number, extra = 0): boolean {
    const need = RECORD_HEADER + ((length + 3) & ~3);
    if (need > this.capacity / 2) throw new RangeError(`A message of ${length} bytes is too large for a domain channel.`);
    const head = Atomics.load(this.control, HEAD);
    let tail = this.control[TAIL]!; // only this thread writes the tail
    let offset = tail & this.mask;
    const contiguous = this.capacity - offset;
    const wraps = contiguous < need;
    const used = (tail - head) | 0;
    if (this.capacity - used < need + (wraps ? contiguous : 0)) return false;
    if (wraps) {
      this.words[offset >> 2] = WRAP;
      tail = (tail + contiguous) | 0;
      offset = 0;
    }
    const word = offset >> 2;
    this.words[word] = length;
    this.words[word + 1] = kind;
    this.words[word + 2] = id;
    this.words[word + 3] = aux;
    this.words[word + 4] = extra;
    const at = offset + RECORD_HEADER;
    if (length <= 32) {
      // Most jobs carry a few bytes: a loop beats making a view to copy from.
      for (let i = 0; i < length; i++) this.bytes[at + i] = payload![i]!;
    } else {
      this.bytes.set(payload!.subarray(0, length), at);
    }
    Atomics.store(this.control, TAIL, (tail + need) | 0);
    return true;
  }

  /** True if a record is waiting. */
  hasData(): boolean {
    return Atomics.load(this.control, TAIL) !== this.control[HEAD];
  }

  /**
   * Takes the next record, or null. The returned object and its payload view are reused: copy
   * what you keep before the next call. The head is published after the payload is consumed
   * by {@link release}, so the producer never overwrites bytes still being read.
   */
  read(): RingRecord | null {
    let head = this.control[HEAD]!;
    const tail = Atomics.load(this.control, TAIL);
    if (head === tail) return null;
    let offset = head & this.mask;
    if (this.words[offset >> 2] === WRAP) {
      head = (head + (this.capacity - offset)) | 0;
      offset = 0;
      Atomics.store(this.control, HEAD, head);
    }
    const word = offset >> 2;
    const length = this.words[word]!;
    const record = this.record;
    record.kind = this.words[word + 1]!;
    record.id = this.words[word + 2]!;
    record.aux = this.words[word + 3]!;
    record.extra = this.words[word + 4]!;
    record.offset = offset + RECORD_HEADER;
    record.length = length;
    this.pendingHead = (head + RECORD_HEADER + ((length + 3) & ~3)) | 0;
    return record;
  }

  private pendingHead = 0;

  /** Frees the record returned by the last {@link read}. */
  release(): void {
    Atomics.store(this.control, HEAD, this.pendingHead);
  }
}
