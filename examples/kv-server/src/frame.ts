/**
 * Requests as one byte frame each, for the crossing to the storage domain. A request sent as
 * arrays of Buffers crosses as one encoded item per argument, and arrives as one new Buffer
 * per argument (the shared heap's codec copies each into memory of its own); a frame is one
 * item, copied once, and the storage side reads the arguments as views of it.
 *
 * A frame holds one or more requests (gather.ts sends several clients' requests as one):
 *
 * ```text
 * frame   = u32 requests, request*
 * request = u32 replyLimit, u32 commands, command*
 * command = u32 arguments, (u32 length, bytes)*
 * ```
 *
 * All numbers little-endian. The replies to a frame of several requests come back as one
 * buffer too: `u32 count, u32 length*, bytes*` ({@link joinReplies}, {@link splitReplies}); a
 * frame of one request is answered with its replies as they are.
 *
 * A frame of more than {@link MAX_FRAME} bytes is no gain: the codec copies Uint8Arrays of up
 * to 4 KiB on its fast path and sends longer ones to the serializer, so a longer request
 * crosses as arrays (its big values then take the codec's road for large bytes).
 * @module
 */

/**
 * The longest frame worth sending (the shared heap codec's fast path for bytes).
 *
 * @example
 * ```ts
 * if (Frame.requestBytes(commands) + 4 <= Frame.MAX_FRAME) send(Frame.encode(commands, 0));
 * ```
 */
export const MAX_FRAME = 4096;

/**
 * One request read from a frame: its commands (arguments as views of the frame) and its reply
 * limit (0: none).
 *
 * @example
 * ```ts
 * const [{ commands, replyLimit }] = Frame.decode(frame);
 * ```
 */
export interface Decoded {
  commands: Buffer[][];
  replyLimit: number;
}

/**
 * The bytes one request takes in a frame (without the frame's count word).
 *
 * @example
 * ```ts
 * Frame.requestBytes([[Buffer.from("GET"), Buffer.from("k")]]); // 8 + 4 + 7 + 5 = 24
 * ```
 */
export function requestBytes(commands: readonly (readonly Uint8Array[])[]): number {
  let n = 8;
  for (let c = 0; c < commands.length; c++) {
    const args = commands[c]!;
    n += 4 + 4 * args.length;
    for (let a = 0; a < args.length; a++) n += args[a]!.length;
  }
  return n;
}

function putU32(target: Uint8Array, p: number, value: number): void {
  target[p] = value;
  target[p + 1] = value >>> 8;
  target[p + 2] = value >>> 16;
  target[p + 3] = value >>> 24;
}

function getU32(source: Uint8Array, p: number): number {
  return (source[p]! | (source[p + 1]! << 8) | (source[p + 2]! << 16) | (source[p + 3]! << 24)) >>> 0;
}

/**
 * Writes one request at `offset` of `target` (which must have {@link requestBytes} of room);
 * returns the offset after it.
 *
 * @example
 * ```ts
 * const end = Frame.writeRequest(frame, 4, commands, 0);
 * ```
 */
export function writeRequest(target: Uint8Array, offset: number, commands: readonly (readonly Uint8Array[])[], replyLimit: number): number {
  if (!Number.isInteger(replyLimit) || replyLimit < 0 || replyLimit > 0xffffffff) {
    throw new RangeError(`Frame.writeRequest: replyLimit must be an integer in [0, 2^32), got ${replyLimit}`);
  }
  let p = offset;
  putU32(target, p, replyLimit);
  putU32(target, p + 4, commands.length);
  p += 8;
  for (let c = 0; c < commands.length; c++) {
    const args = commands[c]!;
    putU32(target, p, args.length);
    p += 4;
    for (let a = 0; a < args.length; a++) {
      const arg = args[a]!;
      const length = arg.length;
      putU32(target, p, length);
      p += 4;
      // Short arguments (keys, small values) byte by byte: `set` costs more than it copies.
      if (length <= 16) for (let i = 0; i < length; i++) target[p + i] = arg[i]!;
      else target.set(arg, p);
      p += length;
    }
  }
  return p;
}

/**
 * Writes the count word of a frame of `requests` requests at its start.
 *
 * @example
 * ```ts
 * Frame.writeCount(frame, 3);
 * ```
 */
export function writeCount(target: Uint8Array, requests: number): void {
  putU32(target, 0, requests);
}

/**
 * A frame of one request.
 *
 * @example
 * ```ts
 * const frame = Frame.encode([[Buffer.from("SET"), Buffer.from("k"), Buffer.from("v")]], 0);
 * ```
 */
export function encode(commands: readonly (readonly Uint8Array[])[], replyLimit: number): Buffer {
  const frame = Buffer.allocUnsafe(4 + requestBytes(commands));
  putU32(frame, 0, 1);
  writeRequest(frame, 4, commands, replyLimit);
  return frame;
}

/**
 * The requests of `frame`, arguments as views of it (Buffers). Throws a RangeError on a frame
 * that is cut short or has bytes past its last request.
 *
 * @example
 * ```ts
 * Frame.decode(Frame.encode([[Buffer.from("GET"), Buffer.from("k")]], 0))[0]!.commands[0]![1]!.toString(); // "k"
 * ```
 */
export function decode(frame: Uint8Array): Decoded[] {
  const bytes = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const end = bytes.length;
  const short = (): never => {
    throw new RangeError(`Frame.decode: a frame of ${end} bytes is cut short`);
  };
  if (end < 4) short();
  const count = getU32(bytes, 0);
  let p = 4;
  const requests: Decoded[] = [];
  for (let r = 0; r < count; r++) {
    if (p + 8 > end) short();
    const replyLimit = getU32(bytes, p);
    const n = getU32(bytes, p + 4);
    p += 8;
    const commands: Buffer[][] = [];
    for (let c = 0; c < n; c++) {
      if (p + 4 > end) short();
      const argc = getU32(bytes, p);
      p += 4;
      const args: Buffer[] = new Array(argc);
      for (let a = 0; a < argc; a++) {
        if (p + 4 > end) short();
        const length = getU32(bytes, p);
        p += 4;
        if (p + length > end) short();
        args[a] = bytes.subarray(p, p + length);
        p += length;
      }
      commands.push(args);
    }
    requests.push({ commands, replyLimit });
  }
  if (p !== end) throw new RangeError(`Frame.decode: ${end - p} bytes after the last of ${count} requests`);
  return requests;
}

/**
 * The replies to a frame of several requests as one buffer, each request's in its place.
 *
 * @example
 * ```ts
 * Frame.splitReplies(Frame.joinReplies([Buffer.from("+OK\r\n"), Buffer.from(":1\r\n")])).length; // 2
 * ```
 */
export function joinReplies(replies: readonly Uint8Array[]): Buffer {
  let total = 4 + 4 * replies.length;
  for (let i = 0; i < replies.length; i++) total += replies[i]!.length;
  const out = Buffer.allocUnsafe(total);
  putU32(out, 0, replies.length);
  let p = 4 + 4 * replies.length;
  for (let i = 0; i < replies.length; i++) {
    const reply = replies[i]!;
    putU32(out, 4 + 4 * i, reply.length);
    if (reply.length <= 16) for (let j = 0; j < reply.length; j++) out[p + j] = reply[j]!;
    else out.set(reply, p);
    p += reply.length;
  }
  return out;
}

/**
 * The replies {@link joinReplies} joined, as views of `joined`. Throws a RangeError if it is
 * not such a buffer.
 *
 * @example
 * ```ts
 * const [first, second] = Frame.splitReplies(joined);
 * ```
 */
export function splitReplies(joined: Uint8Array): Uint8Array[] {
  const end = joined.length;
  if (end < 4) throw new RangeError(`Frame.splitReplies: ${end} bytes hold no count`);
  const count = getU32(joined, 0);
  let p = 4 + 4 * count;
  if (p > end) throw new RangeError(`Frame.splitReplies: ${end} bytes cannot hold ${count} lengths`);
  const replies: Uint8Array[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const length = getU32(joined, 4 + 4 * i);
    if (p + length > end) throw new RangeError(`Frame.splitReplies: reply ${i} of ${length} bytes runs past the end`);
    replies[i] = joined.subarray(p, p + length);
    p += length;
  }
  if (p !== end) throw new RangeError(`Frame.splitReplies: ${end - p} bytes after the last reply`);
  return replies;
}
