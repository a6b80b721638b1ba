/**
 * The append-only log's record format, and reading a log file back. A log file is a short magic
 * header followed by records; each record is framed as `[u32 payload length][u32 CRC-32 of
 * payload][payload]` (little-endian), so a record torn by a crash mid-write is recognised.
 *
 * {@link replayFile} reads a file as a stream, one chunk at a time (no 2 GiB ceiling), with
 * `Eio.File.pread` on libuv's pool (the domain's other fibers run meanwhile, and a cancelled
 * replay stops at its next read), and tells
 * a torn tail (the last record cut short, as a crash during an append leaves it) from damage
 * before the end (valid records follow the bad bytes), which must never be cut away silently.
 *
 * Records are effects, not commands: `INCR` is logged as the `set` it produced and a relative
 * expiry as an absolute time, so replaying a log gives the same table whatever the clock says.
 * The records of hashes, lists, sets and sorted sets ({@link ArgsOp}) came later and share one
 * shape, a key and a list of byte strings; the first four kinds are unchanged, so older logs load.
 *
 * A transaction's records (EXEC's, when it changed more than one thing) are wrapped in one
 * transaction record ({@link encodeTransaction}), as Redis's AOF wraps them in MULTI/EXEC: its
 * one checksum covers them all, so a crash mid-append leaves a torn transaction record, which is
 * cut whole, and replay applies a transaction all or nothing. The records inside are not framed
 * as records (no checksum of their own), so the search for valid records after damage never
 * takes a piece of a transaction for a record.
 * @module
 */
import { crc32 } from "node:zlib";
import * as Eio from "eio-ts";
import { crc32From } from "./crc32.js";

/**
 * The first bytes of every log file.
 *
 * @example
 * ```ts
 * fs.writeFileSync(file, Buffer.concat([Log.MAGIC, Log.encode({ op: "flush" })]));
 * ```
 */
export const MAGIC: Buffer = Buffer.from("EIOKV01\n");

/**
 * One change to the table. `expireAt` is milliseconds since the epoch; 0 means never.
 *
 * @example
 * ```ts
 * const record: Log.Record = { op: "set", key: Buffer.from("k"), value: Buffer.from("v"), expireAt: 0 };
 * ```
 */
export type Record =
  | { op: "set"; key: Buffer; value: Buffer; expireAt: number }
  | { op: "del"; key: Buffer }
  | { op: "expire"; key: Buffer; expireAt: number }
  | { op: "flush" }
  | { op: ArgsOp; key: Buffer; args: Buffer[] };

/**
 * The kinds of record whose payload is a key and a list of byte strings: the changes to
 * hashes, lists, sets and sorted sets, each replayed by the table as the same deterministic
 * effect (`lpop` with its count, `zadd` with 8-byte little-endian scores, `rename` to `args[0]`).
 *
 * @example
 * ```ts
 * const record: Log.Record = { op: "rpush", key: Buffer.from("queue"), args: [Buffer.from("job")] };
 * ```
 */
export type ArgsOp =
  | "hset" | "hdel" | "lpush" | "rpush" | "lpop" | "rpop" | "lset" | "ltrim" | "lrem" | "linsert"
  | "sadd" | "srem" | "zadd" | "zrem" | "rename";

const OP_SET = 1;
const OP_DEL = 2;
const OP_EXPIRE = 3;
const OP_FLUSH = 4;
/** The ops with a key and a list of byte strings, numbered from 5 on in this order. */
const ARGS_OPS: readonly ArgsOp[] = [
  "hset", "hdel", "lpush", "rpush", "lpop", "rpop", "lset", "ltrim", "lrem", "linsert", "sadd", "srem", "zadd", "zrem", "rename",
];
const OP_ARGS_FIRST = 5;
const OP_LAST = OP_ARGS_FIRST + ARGS_OPS.length - 1;
const ARGS_OP_NUMBERS = new Map(ARGS_OPS.map((op, i) => [op, OP_ARGS_FIRST + i]));
/** A transaction: `[u32 length][payload]` for each of its records. Far from the args kinds, which may grow. */
const OP_TX = 64;
const FRAME = 8;
/** The largest payload a frame's u32 length can say. */
const MAX_PAYLOAD = 0xffff_ffff;

/** True for the first byte of a known record's payload. */
function isOp(op: number): boolean {
  return (op >= OP_SET && op <= OP_LAST) || op === OP_TX;
}

/**
 * The bytes of one framed record, as parts to write in order: a value is not copied, only
 * framed (its CRC is computed over the parts), so a 512 MB value costs no second 512 MB.
 *
 * @example
 * ```ts
 * fs.writevSync(fd, Log.encodeParts({ op: "set", key, value, expireAt: 0 }));
 * ```
 */
export function encodeParts(record: Record): Buffer[] {
  return record.op === "set" ? encodeSet(record.key, record.value, record.expireAt) : [encode(record)];
}

/**
 * {@link encodeParts} of a `set` record, whose key may also be given as a string of byte
 * values (a table key: written in place, no Buffer made for it first).
 *
 * @example
 * ```ts
 * Log.encodeSet("k", Buffer.from("v"), 0); // the bytes of Log.encodeParts({ op: "set", key: Buffer.from("k"), ... })
 * ```
 */
export function encodeSet(key: string | Uint8Array, value: Uint8Array, expireAt: number): Buffer[] {
  const headLength = FRAME + 1 + 4 + key.length + 4;
  // Small values are framed into one buffer, written in place and summed in one pass: fewer,
  // larger writes, and one crc32 call (a SET is the most common record).
  const small = value.length <= 4096;
  const head = Buffer.allocUnsafe(small ? headLength + value.length + 8 : headLength);
  putU32(head, 0, 1 + 4 + key.length + 4 + value.length + 8);
  head[FRAME] = OP_SET;
  let at = putU32(head, FRAME + 1, key.length);
  if (typeof key !== "string") head.set(key, at);
  // A short key's characters (each a byte: a table key is latin1) are put in a loop: cheaper
  // than the call into Node's latin1 writer.
  else if (key.length <= 32) for (let i = 0; i < key.length; i++) head[at + i] = key.charCodeAt(i);
  else head.write(key, at, key.length, "latin1");
  at = putU32(head, at + key.length, value.length);
  if (small) {
    putBytes(head, at, value);
    putExpiry(head, at + value.length, expireAt);
    putU32(head, 4, crc32From(head, FRAME));
    return [head];
  }
  const tail = Buffer.allocUnsafe(8);
  tail.writeDoubleLE(expireAt, 0);
  head.writeUInt32LE(crc32(tail, crc32(value, crc32(head.subarray(FRAME)))), 4);
  return [head, Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length), tail];
}

/**
 * The parts of one transaction record wrapping the framed records in `parts` (a journal's tail,
 * as {@link encodeParts} made them, in order), so that they are written, and read back, as one
 * unit. Fewer than two records are returned as they are: one record is atomic already. Nothing
 * is copied but the frames: each record's frame is replaced by a 4-byte length.
 *
 * @example
 * ```ts
 * const parts = [Log.encode({ op: "del", key: Buffer.from("a") }), Log.encode({ op: "del", key: Buffer.from("b") })];
 * Log.replay(Buffer.concat([Log.MAGIC, ...Log.encodeTransaction(parts)]), console.log).records; // 2
 * ```
 */
export function encodeTransaction(parts: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let records = 0;
  let length = 1;
  for (let i = 0; i < parts.length; ) {
    const first = parts[i]!;
    const size = first.readUInt32LE(0);
    if (first[FRAME] === OP_TX) {
      // A transaction's records (MSET's, inside EXEC) join this one's: a transaction holds no
      // transaction (replay refuses one), and its records are framed as this one's already.
      if (first.length > FRAME + 1) out.push(first.subarray(FRAME + 1));
      records += 2;
      length += size - 1;
    } else {
      const inner = Buffer.allocUnsafe(4);
      inner.writeUInt32LE(size, 0);
      out.push(inner, first.subarray(FRAME));
      records++;
      length += 4 + size;
    }
    let taken = first.length - FRAME;
    for (i++; taken < size; i++) {
      const part = parts[i];
      if (part === undefined) throw new Error(`Log.encodeTransaction: the parts end inside a record of ${size} bytes`);
      out.push(part);
      taken += part.length;
    }
  }
  // A transaction too large for one frame (over 4 GiB) is logged as its records: not atomic.
  if (records < 2 || length > MAX_PAYLOAD) return [...parts];
  const head = Buffer.allocUnsafe(FRAME + 1);
  head.writeUInt32LE(length, 0);
  head.writeUInt8(OP_TX, FRAME);
  let crc = crc32(head.subarray(FRAME));
  // Node's crc32 drops the running value for an empty buffer with no memory behind it.
  for (const part of out) if (part.length > 0) crc = crc32(part, crc);
  head.writeUInt32LE(crc, 4);
  out.unshift(head);
  return out;
}

/**
 * The parts of the `set` records (no expiry) of each `values[i]` under `keys[i]` as one
 * transaction record (MSET's: Redis's AOF holds it as one command, replayed whole or not at
 * all): the bytes of {@link encodeTransaction} over their {@link encodeParts}, but built in one
 * buffer with one CRC when the values are small (one buffer and one CRC per key were most of
 * MSET's journaling). One pair is one plain record.
 *
 * @example
 * ```ts
 * const parts = Log.encodeSets([Buffer.from("a"), Buffer.from("b")], [Buffer.from("1"), Buffer.from("2")]);
 * Log.replay(Buffer.concat([Log.MAGIC, ...parts]), console.log).transactions; // 1
 * ```
 */
export function encodeSets(keys: readonly Uint8Array[], values: readonly Uint8Array[]): Buffer[] {
  const n = keys.length;
  if (values.length !== n) throw new RangeError(`Log.encodeSets: ${n} keys and ${values.length} values`);
  let length = 1;
  let small = n >= 2;
  for (let i = 0; i < n; i++) {
    const value = values[i]!;
    length += 4 + 1 + 4 + keys[i]!.length + 4 + value.length + 8;
    if (value.length > 4096) small = false;
  }
  if (!small || length > MAX_PAYLOAD) {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const value = values[i]!;
      const record: Record = { op: "set", key: Buffer.from(key.buffer, key.byteOffset, key.length), value: Buffer.from(value.buffer, value.byteOffset, value.length), expireAt: 0 };
      for (const part of encodeParts(record)) parts.push(part);
    }
    return encodeTransaction(parts);
  }
  const out = Buffer.allocUnsafe(FRAME + length);
  out.writeUInt32LE(length, 0);
  out[FRAME] = OP_TX;
  let at = FRAME + 1;
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const value = values[i]!;
    at = putU32(out, at, 1 + 4 + key.length + 4 + value.length + 8);
    out[at++] = OP_SET;
    at = putBytes(out, putU32(out, at, key.length), key);
    at = putBytes(out, putU32(out, at, value.length), value);
    // No expiry: the double 0 is eight zero bytes.
    out.fill(0, at, at + 8);
    at += 8;
  }
  out.writeUInt32LE(crc32From(out, FRAME), 4);
  return [out];
}

/** Writes `n` as a little-endian u32 at `at` (room made by the caller); returns the end. */
function putU32(out: Buffer, at: number, n: number): number {
  out[at] = n;
  out[at + 1] = n >>> 8;
  out[at + 2] = n >>> 16;
  out[at + 3] = n >>> 24;
  return at + 4;
}

/**
 * Puts an expiry time (a double, little-endian) at `at`: no expiry, 0, the common case, as eight
 * zero bytes (writeDoubleLE checks its arguments and goes through a Float64Array).
 */
function putExpiry(out: Buffer, at: number, expireAt: number): void {
  if (expireAt === 0) for (let i = 0; i < 8; i++) out[at + i] = 0;
  else out.writeDoubleLE(expireAt, at);
}

/** Copies `bytes` to `at` (a short one in a loop, cheaper than a call to set); returns the end. */
function putBytes(out: Buffer, at: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length <= 16) for (let i = 0; i < length; i++) out[at + i] = bytes[i]!;
  else out.set(bytes, at);
  return at + length;
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, FRAME);
  return out;
}

/** A record of `length` payload bytes to write in place from byte {@link FRAME}; {@link seal} it after. */
function framed(length: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME + length);
  out.writeUInt32LE(length, 0);
  return out;
}

/** Writes the CRC of a {@link framed} record's payload, once it is written. */
function seal(out: Buffer): Buffer {
  out.writeUInt32LE(crc32From(out, FRAME), 4);
  return out;
}

/**
 * The bytes of one framed record, as one buffer.
 *
 * @example
 * ```ts
 * Log.encode({ op: "del", key: Buffer.from("k") }).length; // 8 (frame) + 1 + 4 + 1
 * ```
 */
export function encode(record: Record): Buffer {
  switch (record.op) {
    case "set":
      return Buffer.concat(encodeParts(record));
    case "del":
    case "expire": {
      const { key } = record;
      const out = framed(1 + 4 + key.length + (record.op === "expire" ? 8 : 0));
      out[FRAME] = record.op === "del" ? OP_DEL : OP_EXPIRE;
      const at = out.writeUInt32LE(key.length, FRAME + 1);
      out.set(key, at);
      if (record.op === "expire") out.writeDoubleLE(record.expireAt, at + key.length);
      return seal(out);
    }
    case "flush":
      return frame(Buffer.from([OP_FLUSH]));
    default: {
      // Written in place, as a SET: one buffer and one pass (LPUSH, SADD, HSET ... each make one).
      const { key, args } = record;
      let length = 1 + 4 + key.length + 4;
      for (let i = 0; i < args.length; i++) length += 4 + args[i]!.length;
      const out = framed(length);
      out[FRAME] = ARGS_OP_NUMBERS.get(record.op)!;
      let at = putBytes(out, putU32(out, FRAME + 1, key.length), key);
      at = putU32(out, at, args.length);
      for (let i = 0; i < args.length; i++) {
        const arg = args[i]!;
        at = putBytes(out, putU32(out, at, arg.length), arg);
      }
      return seal(out);
    }
  }
}

/** A view's bytes, copied unless the view fills nearly all of its memory (a big value read alone). */
function own(view: Buffer): Buffer {
  return view.buffer.byteLength - view.length <= view.length / 8 ? view : Buffer.from(view);
}

/** The expected payload length for a payload starting with `head`, or -1 if `head` is no record's start. */
function shapeOf(op: number, keyLength: number, valueLength: number): number {
  if (op === OP_FLUSH) return 1;
  if (op === OP_DEL) return 5 + keyLength;
  if (op === OP_EXPIRE) return 5 + keyLength + 8;
  if (op === OP_SET) return 5 + keyLength + 4 + valueLength + 8;
  return -1;
}

/** The records of a payload: one, or a transaction's; null if it is no valid record. */
function decodeRecords(payload: Buffer): Record[] | null {
  if (payload[0] !== OP_TX) {
    const record = decodePayload(payload);
    return record === null ? null : [record];
  }
  const records: Record[] = [];
  for (let at = 1; at < payload.length; ) {
    if (at + 4 > payload.length) return null;
    const end = at + 4 + payload.readUInt32LE(at);
    if (end > payload.length || end === at + 4 || payload[at + 4] === OP_TX) return null;
    const record = decodePayload(payload.subarray(at + 4, end));
    if (record === null) return null;
    records.push(record);
    at = end;
  }
  return records.length >= 2 ? records : null;
}

function decodePayload(payload: Buffer): Record | null {
  const op = payload[0]!;
  if (op === OP_FLUSH) return payload.length === 1 ? { op: "flush" } : null;
  if (payload.length < 5) return null;
  const keyLength = payload.readUInt32LE(1);
  const keyEnd = 5 + keyLength;
  if (keyEnd > payload.length) return null;
  const key = Buffer.from(payload.subarray(5, keyEnd));
  if (op === OP_DEL) return keyEnd === payload.length ? { op: "del", key } : null;
  if (op === OP_EXPIRE) {
    return keyEnd + 8 === payload.length ? { op: "expire", key, expireAt: payload.readDoubleLE(keyEnd) } : null;
  }
  if (op >= OP_ARGS_FIRST && op <= OP_LAST && keyEnd + 4 <= payload.length) {
    const count = payload.readUInt32LE(keyEnd);
    const args: Buffer[] = [];
    let at = keyEnd + 4;
    for (let i = 0; i < count; i++) {
      if (at + 4 > payload.length) return null;
      const end = at + 4 + payload.readUInt32LE(at);
      if (end > payload.length) return null;
      args.push(Buffer.from(payload.subarray(at + 4, end)));
      at = end;
    }
    return at === payload.length ? { op: ARGS_OPS[op - OP_ARGS_FIRST]!, key, args } : null;
  }
  if (op === OP_SET && keyEnd + 4 <= payload.length) {
    const valueEnd = keyEnd + 4 + payload.readUInt32LE(keyEnd);
    if (valueEnd + 8 !== payload.length) return null;
    const value = own(payload.subarray(keyEnd + 4, valueEnd));
    return { op: "set", key, value, expireAt: payload.readDoubleLE(valueEnd) };
  }
  return null;
}

/**
 * What {@link replay} and {@link replayFile} found.
 *
 * @example
 * ```ts
 * const { records, validBytes, damage } = yield* Log.replayFile(file, apply);
 * if (damage?.torn) console.log(`a torn tail from byte ${damage.offset}`);
 * ```
 */
export interface ReplayResult {
  /** Records applied (those inside transactions included). */
  records: number;
  /** Transactions applied (each all its records at once). */
  transactions: number;
  /** Length of the valid prefix of the file: where the first bad byte is, or the file's size. */
  validBytes: number;
  /** The file's size. */
  fileBytes: number;
  /** Null when the whole file is valid. */
  damage: Damage | null;
}

/**
 * A place where the log stops being valid.
 *
 * @example
 * ```ts
 * if (damage !== null && !damage.torn) throw new Error(`damaged at byte ${damage.offset}: ${damage.reason}`);
 * ```
 */
export interface Damage {
  /** Offset of the first bad record. */
  offset: number;
  /** What is wrong with it, in words. */
  reason: string;
  /**
   * True for a torn tail: the last record is cut short (or the tail is zeros) and no valid record
   * follows, as a crash during an append leaves it. Cutting it loses only unacknowledged writes.
   */
  torn: boolean;
  /** Where valid records start again after the damage, or null if none do. */
  resumeAt: number | null;
  /** The first bad record is a transaction's (see {@link encodeTransaction}): none of its records was applied. */
  transaction: boolean;
}

/**
 * Calls `apply` for each whole record of a log file's contents held in memory, stopping at the
 * first bad one (see {@link replayFile}, which reads a file as a stream).
 *
 * @example
 * ```ts
 * const table = Table.create();
 * Log.replay(Buffer.concat([Log.MAGIC, ...Table.takeJournal(other)]), (record) => Table.apply(table, record));
 * ```
 */
export function replay(contents: Buffer, apply: (record: Record) => void): ReplayResult {
  // Reads from memory never suspend: the operation is done after its first step.
  const step = replaySource(memorySource(contents), apply, {}).next();
  if (step.done !== true) throw new Error("Log.replay: a read from memory suspended");
  return step.value;
}

/**
 * Options for {@link replayFile}.
 *
 * @example
 * ```ts
 * yield* Log.replayFile(file, apply, { chunkBytes: 4 << 20, from: damage.resumeAt });
 * ```
 */
export interface ReplayOptions {
  /** Bytes read at a time (a record larger than this is read whole, in one buffer of its size). */
  chunkBytes?: number;
  /** Offset to start at instead of just after the header (to resume after damage). */
  from?: number;
  /** Called after each chunk with the offset reached and the file's size. */
  onProgress?: (offset: number, fileBytes: number) => void;
}

/**
 * Reads the log `file` (from `Eio.Path.openIn`) from the start as a stream of chunks and calls
 * `apply` for each valid record, stopping at the first record that is cut short, fails its
 * checksum or is not a record. Then it looks past the bad bytes for valid records, to tell a
 * torn tail from damage before the end (see {@link Damage}). Throws if the file does not start
 * with {@link MAGIC}, so that another file is never taken for a log and overwritten. Reads at
 * given offsets (`Eio.File.pread`): the file's own offset does not move.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * const file = yield* Eio.Path.openIn(sw, Eio.Path.join(env.fs, "data/kv.log"));
 * const result = yield* Log.replayFile(file, (record) => Table.apply(table, record));
 * ```
 */
export function* replayFile(file: Eio.File.File, apply: (record: Record) => void, options: ReplayOptions = {}): Eio.Operation<ReplayResult> {
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < FRAME) {
    throw new RangeError(`Log.replayFile: chunkBytes must be an integer of at least ${FRAME}, got ${chunkBytes}`);
  }
  const size = yield* Eio.File.size(file);
  // The switch of the read ahead: the next chunk is read while this one is applied.
  return yield* Eio.Switch.run((sw) => replaySource(fileSource(sw, file, size, chunkBytes), apply, options), { name: "replayFile" });
}

/** Random access to a log's bytes, from memory or a file. */
interface Source {
  size: number;
  chunkBytes: number;
  /** Reads up to `n` bytes at `offset` into `target` at `into`; returns how many (fewer at the end). */
  readInto(target: Buffer, into: number, offset: number, n: number): Eio.Operation<number>;
}

/** `n` bytes at `offset` (fewer at the end of the file). */
function* read(source: Source, offset: number, n: number): Eio.Operation<Buffer> {
  const out = Buffer.allocUnsafe(Math.max(0, Math.min(n, source.size - offset)));
  return out.subarray(0, yield* source.readInto(out, 0, offset, out.length));
}

function memorySource(contents: Buffer): Source {
  return {
    size: contents.length,
    chunkBytes: contents.length,
    *readInto(target, into, offset, n) {
      return contents.copy(target, into, offset, Math.min(offset + n, contents.length));
    },
  };
}

/** Fills `target` from `offset` on; returns how many bytes (fewer only at the end of the file). */
function* readAt(file: Eio.File.File, target: Buffer, offset: number): Eio.Operation<number> {
  let done = 0;
  while (done < target.length) {
    try {
      done += yield* Eio.File.pread(file, target.subarray(done), { fileOffset: offset + done });
    } catch (error) {
      if (error instanceof Eio.Flow.EndOfFile) break;
      throw error;
    }
  }
  return done;
}

/**
 * A file's bytes. A read of a whole chunk (replay's stream) starts reading the next chunk in a
 * fiber of `sw`, so that the file is read while the records are applied; other reads (the search
 * after damage) read just what they ask for.
 */
function fileSource(sw: Eio.Switch.Switch, file: Eio.File.File, size: number, chunkBytes: number): Source {
  let ahead: { offset: number; bytes: Buffer; done: Eio.Promise.OrError<number> } | null = null;
  // The search after damage reads a few bytes at many offsets: they come from one window read
  // at a time, not one trip to libuv's pool each.
  let window = { offset: 0, bytes: Buffer.alloc(0) };
  const windowBytes = Math.max(chunkBytes, 1 << 16);
  return {
    size,
    chunkBytes,
    *readInto(target, into, offset, n) {
      if (n < chunkBytes) {
        if (offset < window.offset || offset + n > window.offset + window.bytes.length) {
          const bytes = Buffer.allocUnsafe(Math.min(Math.max(windowBytes, n), size - offset));
          window = { offset, bytes: bytes.subarray(0, yield* readAt(file, bytes, offset)) };
        }
        const start = offset - window.offset;
        return window.bytes.copy(target, into, start, Math.min(start + n, window.bytes.length));
      }
      let got: number;
      const next = ahead;
      ahead = null;
      if (next !== null && next.offset === offset && next.bytes.length >= n) {
        got = next.bytes.copy(target, into, 0, Math.min(n, yield* Eio.Promise.awaitExn(next.done)));
      } else got = yield* readAt(file, target.subarray(into, into + n), offset);
      const from = offset + got;
      if (n >= chunkBytes && got === n && from < size) {
        const bytes = Buffer.allocUnsafe(Math.min(chunkBytes, size - from));
        ahead = { offset: from, bytes, done: Eio.Fiber.forkPromise<number>(sw, () => readAt(file, bytes, from)) };
      }
      return got;
    },
  };
}

function* replaySource(source: Source, apply: (record: Record) => void, options: ReplayOptions): Eio.Operation<ReplayResult> {
  const size = source.size;
  const start = yield* read(source, 0, MAGIC.length);
  if (!start.equals(MAGIC.subarray(0, start.length))) {
    throw new Error("kv-server: the log file does not start with the kv-server header; refusing to overwrite it");
  }
  if (start.length < MAGIC.length) {
    const damage = size === 0 ? null : { offset: 0, reason: "the header is cut short", torn: true, resumeAt: null, transaction: false };
    return { records: 0, transactions: 0, validBytes: 0, fileBytes: size, damage };
  }
  let at = options.from ?? MAGIC.length;
  let records = 0;
  let transactions = 0;
  // The bytes from `at` on that were read and not yet consumed.
  let pending = Buffer.alloc(0);
  let readTo = at;
  // Called only when fewer than `n` bytes are pending: a generator per record would cost.
  const fill = function* (n: number): Eio.Operation<boolean> {
    if (readTo >= size) return false;
    // A record larger than a chunk is read whole into one buffer of its size, with no copy after.
    const want = Math.min(Math.max(n - pending.length, source.chunkBytes), size - readTo);
    const joined = Buffer.allocUnsafe(pending.length + want);
    pending.copy(joined);
    const got = yield* source.readInto(joined, pending.length, readTo, want);
    readTo += got;
    pending = joined.subarray(0, pending.length + got);
    options.onProgress?.(readTo, size);
    return pending.length >= n;
  };
  let reason: string | null = null;
  let incomplete = false;
  for (;;) {
    if (pending.length < FRAME && !(yield* fill(FRAME))) {
      if (pending.length > 0) [reason, incomplete] = ["the last record's frame is cut short", true];
      break;
    }
    const length = pending.readUInt32LE(0);
    if (length > size - at - FRAME) {
      // A transaction cut short is dropped whole: none of its records was acknowledged.
      const what = pending.length > FRAME && pending[FRAME] === OP_TX ? "a transaction" : "a record";
      [reason, incomplete] = [`${what} of ${length} bytes runs past the end of the file`, true];
      break;
    }
    if (pending.length < FRAME + length) yield* fill(FRAME + length);
    const payload = pending.subarray(FRAME, FRAME + length);
    if (crc32From(payload, 0) !== pending.readUInt32LE(4)) {
      reason = "a record's checksum does not match";
      break;
    }
    const decoded = length === 0 ? null : decodeRecords(payload);
    if (decoded === null) {
      reason = "a record with a valid checksum is not a known record";
      break;
    }
    // All of a transaction's records were decoded before the first is applied.
    for (const record of decoded) apply(record);
    records += decoded.length;
    if (payload[0] === OP_TX) transactions++;
    at += FRAME + length;
    pending = pending.subarray(FRAME + length);
  }
  if (reason === null) return { records, transactions, validBytes: at, fileBytes: size, damage: null };
  const resumeAt = yield* findRecord(source, at + 1);
  const torn = resumeAt === null && (incomplete || (yield* allZero(source, at)));
  const transaction = pending.length > FRAME && pending[FRAME] === OP_TX;
  return { records, transactions, validBytes: at, fileBytes: size, damage: { offset: at, reason, torn, resumeAt, transaction } };
}

function* allZero(source: Source, from: number): Eio.Operation<boolean> {
  for (let at = from; at < source.size; at += 1 << 20) {
    if ((yield* read(source, at, 1 << 20)).some((byte) => byte !== 0)) return false;
  }
  return true;
}

/** The length of the whole valid record that starts at `at` (frame included), or -1. */
function* recordAt(source: Source, at: number): Eio.Operation<number> {
  const head = yield* read(source, at, FRAME + 9);
  if (head.length < FRAME + 1) return -1;
  const length = head.readUInt32LE(0);
  if (length === 0 || length > source.size - at - FRAME) return -1;
  const op = head[FRAME]!;
  const keyLength = op === OP_FLUSH ? 0 : head.length >= FRAME + 5 ? head.readUInt32LE(FRAME + 1) : -1;
  if (keyLength < 0 || keyLength > length) return -1;
  let valueLength = 0;
  if (op === OP_SET) {
    const valueHead = yield* read(source, at + FRAME + 5 + keyLength, 4);
    if (valueHead.length < 4) return -1;
    valueLength = valueHead.readUInt32LE(0);
  }
  if ((op >= OP_ARGS_FIRST && op <= OP_LAST) || op === OP_TX) {
    const payload = yield* read(source, at + FRAME, length);
    return crc32From(payload, 0) === head.readUInt32LE(4) && decodeRecords(payload) !== null ? FRAME + length : -1;
  }
  if (shapeOf(op, keyLength, valueLength) !== length) return -1;
  return crc32(yield* read(source, at + FRAME, length)) === head.readUInt32LE(4) ? FRAME + length : -1;
}

/**
 * Follows the records from `at`: "end" if they go on to the end of the file (the last may be
 * cut short by it), else the offset of the first bad one.
 */
function* walk(source: Source, at: number): Eio.Operation<number | "end"> {
  for (;;) {
    if (at >= source.size) return "end";
    const length = yield* recordAt(source, at);
    if (length > 0) {
      at += length;
      continue;
    }
    // A record cut short by the end: a torn tail after the damage, if it looks like a record's start.
    const head = yield* read(source, at, FRAME + 1);
    if (head.length < FRAME + 1) return "end";
    const op = head[FRAME]!;
    return isOp(op) && at + FRAME + head.readUInt32LE(0) > source.size ? "end" : at;
  }
}

/**
 * Where valid records start again from `from` on, or null: the first valid record after which
 * the file recovers, that is, whose records (and those after any further damage) go on to the
 * end of the file. Bytes inside a torn value that happen to look like a record do not count,
 * unless they chain to the very end.
 */
function* findRecord(source: Source, from: number): Eio.Operation<number | null> {
  let first: number | null = null;
  for (let at = from; ; ) {
    const candidate = yield* nextCandidate(source, at);
    if (candidate === null) return null;
    first ??= candidate;
    const end = yield* walk(source, candidate);
    if (end === "end") return first;
    at = end + 1;
  }
}

/** The first offset from `from` on where a whole valid record starts, or null. */
function* nextCandidate(source: Source, from: number): Eio.Operation<number | null> {
  const window = 1 << 16;
  for (let base = from; base + FRAME < source.size; base += window) {
    const bytes = yield* read(source, base, window + 16);
    for (let i = 0; i < window && base + i + FRAME < source.size; i++) {
      const op = bytes[i + FRAME];
      if (op === undefined || !isOp(op)) continue;
      // Cheap checks on the bytes at hand first: most positions fail them without a read.
      if (i + 13 <= bytes.length) {
        const length = bytes.readUInt32LE(i);
        if (length > source.size - base - i - FRAME || (op === OP_FLUSH ? length !== 1 : length < 5 || bytes.readUInt32LE(i + 9) > length)) continue;
      }
      if ((yield* recordAt(source, base + i)) > 0) return base + i;
    }
  }
  return null;
}
