/**
 * The append-only log's record format. A log file is a short magic header followed by
 * records; each record is framed as `[u32 payload length][u32 CRC-32 of payload][payload]`
 * (little-endian), so a record torn by a crash mid-write is recognised and dropped on replay.
 *
 * Records are effects, not commands: `INCR` is logged as the `set` it produced and a relative
 * expiry as an absolute time, so replaying a log gives the same table whatever the clock says.
 * @module
 */
import { crc32 } from "node:zlib";

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
  | { op: "flush" };

const OP_SET = 1;
const OP_DEL = 2;
const OP_EXPIRE = 3;
const OP_FLUSH = 4;
const FRAME = 8;

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, FRAME);
  return out;
}

/**
 * The bytes of one framed record.
 *
 * @example
 * ```ts
 * Log.encode({ op: "del", key: Buffer.from("k") }).length; // 8 (frame) + 1 + 4 + 1
 * ```
 */
export function encode(record: Record): Buffer {
  switch (record.op) {
    case "set": {
      const { key, value } = record;
      const payload = Buffer.allocUnsafe(1 + 4 + key.length + 4 + value.length + 8);
      let at = payload.writeUInt8(OP_SET, 0);
      at = payload.writeUInt32LE(key.length, at);
      at += key.copy(payload, at);
      at = payload.writeUInt32LE(value.length, at);
      at += value.copy(payload, at);
      payload.writeDoubleLE(record.expireAt, at);
      return frame(payload);
    }
    case "del":
    case "expire": {
      const { key } = record;
      const payload = Buffer.allocUnsafe(1 + 4 + key.length + (record.op === "expire" ? 8 : 0));
      let at = payload.writeUInt8(record.op === "del" ? OP_DEL : OP_EXPIRE, 0);
      at = payload.writeUInt32LE(key.length, at);
      at += key.copy(payload, at);
      if (record.op === "expire") payload.writeDoubleLE(record.expireAt, at);
      return frame(payload);
    }
    case "flush":
      return frame(Buffer.from([OP_FLUSH]));
  }
}

function decodePayload(payload: Buffer): Record | null {
  const op = payload[0];
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
  if (op === OP_SET && keyEnd + 4 <= payload.length) {
    const valueEnd = keyEnd + 4 + payload.readUInt32LE(keyEnd);
    if (valueEnd + 8 !== payload.length) return null;
    const value = Buffer.from(payload.subarray(keyEnd + 4, valueEnd));
    return { op: "set", key, value, expireAt: payload.readDoubleLE(valueEnd) };
  }
  return null;
}

/**
 * What {@link replay} found.
 *
 * @example
 * ```ts
 * const { records, validBytes } = Log.replay(contents, apply);
 * if (validBytes < contents.length) console.log("torn tail dropped");
 * ```
 */
export interface ReplayResult {
  /** Records applied. */
  records: number;
  /** Length of the valid prefix of the file; anything after it is a torn or corrupt tail. */
  validBytes: number;
}

/**
 * Calls `apply` for each whole record of a log file's contents, stopping at the first record
 * that is cut short or fails its checksum (a crash during the last append). Throws if the
 * contents do not start with {@link MAGIC} (so another file is never overwritten).
 *
 * @example
 * ```ts
 * const table = Table.create();
 * Log.replay(fs.readFileSync("data/kv.log"), (record) => Table.apply(table, record));
 * ```
 */
export function replay(contents: Buffer, apply: (record: Record) => void): ReplayResult {
  if (contents.length < MAGIC.length || !contents.subarray(0, MAGIC.length).equals(MAGIC)) {
    if (contents.length === 0 || MAGIC.subarray(0, contents.length).equals(contents.subarray(0, MAGIC.length))) {
      return { records: 0, validBytes: 0 };
    }
    throw new Error("kv-server: the log file does not start with the kv-server header; refusing to overwrite it");
  }
  let at = MAGIC.length;
  let records = 0;
  while (contents.length - at >= FRAME) {
    const length = contents.readUInt32LE(at);
    if (length > contents.length - at - FRAME) break;
    const payload = contents.subarray(at + FRAME, at + FRAME + length);
    if (crc32(payload) !== contents.readUInt32LE(at + 4)) break;
    const record = decodePayload(payload);
    if (record === null) break;
    apply(record);
    records++;
    at += FRAME + length;
  }
  return { records, validBytes: at };
}
