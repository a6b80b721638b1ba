/**
 * The codec: values in and out of arena blocks, with structured-clone semantics. Small
 * integers, booleans, null and undefined need no block (their reference holds them); other
 * numbers, short strings and small plain objects and arrays take a fast path; anything else goes through
 * `v8.serialize`. Shared handles found inside a value are swapped for markers (and their
 * objects retained by the block), then revived as live handles when decoded.
 * @internal
 * @module
 */
import { type Arena, getArena } from "./arena.js";
import { adoptHandle, kindById, kindOf, kindsRegistered, release, reviveHandle, SharedHandle } from "./handle.js";
import { LARGE_BYTES, loadApart, storeApart } from "./buffers.js";
import { isMarkedForMove, prepareValue, reviveValue, sendPrepared } from "./markers.js";
import { deserialize, serialize } from "./serializer.js";
import { Tag } from "./value-tags.js";


/**
 * Payload words: tag, data length (for a record or list, the kinds it names: see `KIND_SHIFT`),
 * handle count, then the handle offsets, then the data.
 */
const HEADER_WORDS = 3;

/**
 * Small values need no block: their reference is the value itself. Blocks are 8-aligned, so a
 * reference with any of its low three bits set is inline: an odd one is an integer in
 * [-2^30, 2^30) shifted left by one; 2, 4, 6 and 10 are undefined, null, false and true. A stream
 * of numbers or a promise answered with one then touches no block: no allocation, no free, and
 * one cache line fewer moved between the cores of two domains.
 */
const INLINE_MIN = -(2 ** 30);
const INLINE_MAX = 2 ** 30 - 1;
const UNDEFINED_REF = 2;
const NULL_REF = 4;
const FALSE_REF = 6;
const TRUE_REF = 10;

/** True if `ref` holds its value inline (no block behind it). */
function isInline(ref: number): boolean {
  return (ref & 7) !== 0;
}

function decodeInline(ref: number): unknown {
  if ((ref & 1) !== 0) return ref >> 1;
  switch (ref) {
    case UNDEFINED_REF:
      return undefined;
    case NULL_REF:
      return null;
    case FALSE_REF:
      return false;
    case TRUE_REF:
      return true;
  }
  throw new Error(`decodeValue: ${ref} is not a value reference.`);
}
const SHORT_STRING = 256;
/**
 * Uint8Arrays and Buffers up to this length take the fast path (kv-server's keys and values:
 * through the serializer a request took about four times as long).
 */
const SHORT_BYTES = 4096;

/**
 * True for an integer that fits in 32 bits (not -0, which structured clone keeps): an item of
 * two words instead of four (a tag, padding to 8 bytes, a float64), so a message of a number and
 * two handles fits in a promise cell (see promise.ts).
 */
function isInt32(n: number): boolean {
  return (n | 0) === n && (n !== 0 || 1 / n > 0);
}

/** True for a Uint8Array or Buffer of ordinary memory, small enough for the fast path. */
function isShortBytes(value: object): value is Uint8Array {
  return (
    (value.constructor === Buffer || value.constructor === Uint8Array) &&
    (value as Uint8Array).length <= SHORT_BYTES &&
    !((value as Uint8Array).buffer instanceof SharedArrayBuffer) &&
    !isMarkedForMove((value as Uint8Array).buffer)
  );
}

/** Words a Bytes item takes: tag, class (1 for a Buffer), length, the bytes padded to a word. */
function bytesWords(bytes: Uint8Array): number {
  return 3 + ((bytes.length + 3) >> 2);
}

function writeBytes(arena: Arena, p: number, bytes: Uint8Array): number {
  const i32 = arena.i32;
  i32[p++] = Tag.Bytes;
  i32[p++] = Buffer.isBuffer(bytes) ? 1 : 0;
  i32[p++] = bytes.length;
  arena.u8.set(bytes, p << 2);
  return p + ((bytes.length + 3) >> 2);
}

/** Reads the bytes of a Bytes item whose class word is at `p`, into memory of their own. */
function readBytes(arena: Arena, p: number): Uint8Array {
  const length = arena.i32[p + 1]!;
  // Not Buffer.from: it would hand out a slice of its 8 KiB pool.
  const bytes = arena.i32[p] === 1 ? Buffer.allocUnsafeSlow(length) : new Uint8Array(length);
  bytes.set(arena.u8.subarray((p + 2) << 2, ((p + 2) << 2) + length));
  return bytes;
}
const RECORD_FIELDS = 16;
/**
 * Bounds of the fast path for arrays: items in all the arrays of one value, nesting, and bytes
 * of all its Uint8Arrays and Buffers. kv-server's request of 16 pipelined MSETs of 10 keys has
 * 352 items: at the old bound of 256 it went through the serializer, which took most of the
 * storage domain's time (redis-benchmark -t mset -P 16: 12k requests per second).
 */
const LIST_ITEMS = 4096;
const LIST_DEPTH = 8;
const LIST_BYTES = 1 << 20;

/** A serialized block's length word when its bytes travel beside it (the last handle is their buffer). */
const APART = -1;

/** Whether the last {@link encodeValue} moved a buffer marked by `Eio.transfer` (its sender's copy is detached). */
let lastMoved = false;

/** True if the last {@link encodeValue} moved a buffer: the sender's value is no longer whole. */
export function encodedMoved(): boolean {
  return lastMoved;
}

/**
 * Encodes `value` into a new block (none for a small value, see `isInline`); returns its
 * reference. `once`: the block is decoded exactly once (a stream item), so large bytes may
 * travel as parcels (buffers.ts).
 */
export function encodeValue(value: unknown, once = false): number {
  lastMoved = false;
  const arena = getArena();
  switch (typeof value) {
    case "number": {
      // Not -0: it would come back as 0, where structured clone keeps the sign.
      if (Number.isInteger(value) && value >= INLINE_MIN && value <= INLINE_MAX && !Object.is(value, -0)) return (value << 1) | 1;
      const ref = arena.alloc(24);
      arena.i32[ref >> 2] = Tag.Number;
      arena.i32[(ref >> 2) + 2] = 0;
      arena.f64[(ref + 16) >> 3] = value;
      return ref;
    }
    case "string":
      if (value.length <= SHORT_STRING) {
        const ref = arena.alloc(HEADER_WORDS * 4 + value.length * 2);
        const i32 = arena.i32;
        i32[ref >> 2] = Tag.String;
        i32[(ref >> 2) + 1] = value.length;
        i32[(ref >> 2) + 2] = 0;
        const u16 = arena.u16;
        const start = (ref + HEADER_WORDS * 4) >> 1;
        for (let i = 0; i < value.length; i++) u16[start + i] = value.charCodeAt(i);
        return ref;
      }
      break;
    case "undefined":
      return UNDEFINED_REF;
    case "boolean":
      return value ? TRUE_REF : FALSE_REF;
    case "object":
      if (value === null) return NULL_REF;
      // A plain object, the usual message, first: its prototype rules out a handle and bytes.
      if (Object.getPrototypeOf(value) === Object.prototype) {
        const ref = encodeRecord(value as Record<string, unknown>);
        if (ref !== 0) return ref;
        break;
      }
      if (value instanceof SharedHandle) {
        // A bare handle (a resolver sent as a reply address, say): no serializer needed.
        const ref = arena.alloc((HEADER_WORDS + 1) * 4);
        const offset = value.sendRef();
        arena.i32[ref >> 2] = Tag.Handle;
        arena.i32[(ref >> 2) + 1] = kindOf(offset);
        arena.i32[(ref >> 2) + 2] = 1;
        arena.i32[(ref >> 2) + HEADER_WORDS] = offset;
        return ref;
      }
      if (isShortBytes(value)) {
        const ref = arena.alloc((HEADER_WORDS + bytesWords(value)) * 4);
        arena.i32[(ref >> 2) + 1] = 0;
        arena.i32[(ref >> 2) + 2] = 0;
        writeBytes(arena, (ref >> 2) + HEADER_WORDS, value);
        arena.i32[ref >> 2] = Tag.Bytes;
        return ref;
      }
      if (Array.isArray(value)) {
        const ref = encodeList(value);
        if (ref !== 0) return ref;
      }
      break;
  }
  const walked = prepareValue(value, once);
  const { value: prepared, handles, revivable } = walked;
  let bytes: Uint8Array;
  let length: number;
  try {
    bytes = serialize(prepared);
    length = bytes.length;
    if (length >= LARGE_BYTES) {
      handles.push(storeApart(bytes));
      length = APART;
      bytes = new Uint8Array(0);
    }
    sendPrepared(walked);
    lastMoved = walked.moved !== null;
  } catch (error) {
    for (const offset of handles) release(offset);
    if (error instanceof TypeError || error instanceof RangeError) throw error;
    throw new TypeError(
      `Cannot send this value to another domain: ${(error as Error).message}. Values that cross domains are structured-cloned (no functions, no class prototypes); share Eio objects by creating them with { shared: true }.`,
      { cause: error },
    );
  }
  const dataStart = (HEADER_WORDS + handles.length) * 4;
  const ref = arena.alloc(dataStart + bytes.length);
  const i32 = arena.i32;
  i32[ref >> 2] = revivable ? Tag.Revivable : Tag.Serialized;
  i32[(ref >> 2) + 1] = length;
  i32[(ref >> 2) + 2] = handles.length;
  for (let i = 0; i < handles.length; i++) i32[(ref >> 2) + HEADER_WORDS + i] = handles[i]!;
  arena.u8.set(bytes, ref + dataStart);
  return ref;
}

/**
 * The fast path for a small plain object whose fields are numbers, booleans, null, undefined,
 * short strings, shared handles or small arrays of those (a message carrying reply addresses,
 * a command and its arguments): written field by field, as structured clone would copy it,
 * without `v8.serialize` (measured: kv-server's request `{ commands: [["GET", key]], resolver }`
 * took 14.5 µs to encode and decode through the serializer, 3.7 µs this way). Returns 0 if
 * `value` does not qualify (nothing was retained). Layout after the header and handle offsets:
 * field count, then for each field its key (length, UTF-16 units padded to a word) and its item:
 * a tag and a payload (number: an int32 after its tag, else an 8-byte aligned f64; string: length and units; handle: index in
 * the offsets and the kind of the object named; list: item count, then the items).
 */
function encodeRecord(value: Record<string, unknown>): number {
  // Two passes over the fields (size, then write) instead of collecting them in arrays: this
  // runs at every message, and its temporaries were a third of the garbage of a round trip.
  startSizing();
  let count = 0;
  let words = 1;
  for (const key in value) {
    if (++count > RECORD_FIELDS || key.length > SHORT_STRING || key === "__proto__") return endSizing(0);
    const field = value[key];
    // Numbers and handles, the usual fields, inline here and in the write below: with the plain
    // object asked first in encodeValue, encoding and freeing the ping-pong's message { i, pong,
    // next } went from 209 to 187 ns (esbuild bundle of src, 2M per round, best rounds).
    let item: number;
    if (typeof field === "number") item = isInt32(field) ? 2 : 4;
    else if (field instanceof SharedHandle) {
      sizedHandles++;
      item = 2;
    } else item = itemWords(field, 0);
    if (item < 0) return endSizing(0);
    words += 1 + ((key.length + 1) >> 1) + item;
  }
  endSizing(0);
  const ref = allocCompound(Tag.Record, words);
  const arena = getArena();
  const i32 = arena.i32;
  const base = ref >> 2;
  const end = base + HEADER_WORDS + sizedHandles + words;
  let p = base + HEADER_WORDS + sizedHandles;
  i32[p++] = count;
  let written = 0;
  for (const key in value) {
    // A getter may answer differently the second time: whatever no longer fits or qualifies
    // sends the value to the serializer instead (which calls it once more, as a clone would).
    if (++written > count || p + 1 + ((key.length + 1) >> 1) > end) return abandon(ref);
    p = writeChars(i32, arena.u16, p, key);
    const field = value[key];
    if (typeof field === "number" && isInt32(field) && p + 2 <= end) {
      i32[p] = Tag.Int32;
      i32[p + 1] = field;
      p += 2;
    } else {
      p = writeItem(arena, base, end, p, field, 0);
      if (p < 0) return abandon(ref);
    }
  }
  if (written !== count) return abandon(ref);
  return finishCompound(i32, base, p);
}

/** The fast path for a top-level array: {@link encodeRecord}'s items, without keys. */
function encodeList(value: unknown[]): number {
  startSizing();
  const words = endSizing(itemWords(value, 0));
  if (words < 0) return 0;
  const ref = allocCompound(Tag.List, words);
  const arena = getArena();
  const base = ref >> 2;
  const p = writeItem(arena, base, base + HEADER_WORDS + sizedHandles + words, base + HEADER_WORDS + sizedHandles, value, 0);
  return p < 0 ? abandon(ref) : finishCompound(arena.i32, base, p);
}

/**
 * What sizing one value found: its handles, its items, the bytes of its views, and its arrays and
 * views (each must appear once): the first few in a list (a search of a short list is cheaper
 * than a set), the rest in a set (a search of a long list cost the square of the items), but for
 * the views met in order in one buffer, in `runViews` (see {@link viewMetBefore}).
 */
let sizedHandles = 0;
let sizedItems = 0;
let sizedBytes = 0;
const sizedLists: unknown[] = [];
const sizedMany = new Set<unknown>();
const FEW_LISTS = 64;
/** The buffer of the first view met, and where the views of it met so far end (at most). */
let runBuffer: ArrayBufferLike | null = null;
let runEnd = 0;
/** Views of `runBuffer` noted without a search. */
const runViews: Uint8Array[] = [];

function startSizing(): void {
  sizedHandles = 0;
  sizedItems = 0;
  sizedBytes = 0;
  // (after a getter threw while sizing). Setting the length of an empty array costs a call.
  forgetSized();
}

/** Lets go of the arrays sizing met (held here, they would keep the value and its handles alive); returns `result`. */
function endSizing(result: number): number {
  forgetSized();
  return result;
}

function forgetSized(): void {
  if (sizedLists.length !== 0) sizedLists.length = 0;
  if (sizedMany.size !== 0) sizedMany.clear();
  if (runViews.length !== 0) runViews.length = 0;
  runBuffer = null;
  runEnd = 0;
}

/** True if sizing met `item` (an array or view) before in this value; else notes it. */
function metBefore(item: object): boolean {
  if (sizedLists.includes(item) || (sizedMany.size !== 0 && sizedMany.has(item))) return true;
  if (sizedLists.length < FEW_LISTS) sizedLists.push(item);
  else sizedMany.add(item);
  return false;
}

/**
 * {@link metBefore} for a view, without a search for views met in order in one buffer (a
 * parser's views of what it read: kv-server's arguments, 352 in a request of 16 MSETs, where the
 * searches were a quarter of the encoding): one that starts where all those met before end, or
 * after, is none of them. An empty view counts as one byte long (another empty view at the same
 * place may be the same one).
 */
function viewMetBefore(view: Uint8Array): boolean {
  const buffer = view.buffer;
  const start = view.byteOffset;
  const end = start + Math.max(view.length, 1);
  if (runBuffer === null || (buffer === runBuffer && start >= runEnd)) {
    runBuffer = buffer;
    runEnd = end;
    runViews.push(view);
    return false;
  }
  if (buffer !== runBuffer) return metBefore(view);
  // Out of order: the views of the run become searchable (each moves once).
  for (let i = 0; i < runViews.length; i++) sizedMany.add(runViews[i]);
  runViews.length = 0;
  if (metBefore(view)) return true;
  if (end > runEnd) runEnd = end;
  return false;
}

/** Words `item` takes (its tag included; numbers may need a word of padding), or -1 if it does not qualify. */
function itemWords(item: unknown, depth: number): number {
  switch (typeof item) {
    case "number":
      return isInt32(item) ? 2 : 4;
    case "string":
      return item.length > SHORT_STRING ? -1 : 2 + ((item.length + 1) >> 1);
    case "boolean":
    case "undefined":
      return 1;
    case "object": {
      if (item === null) return 1;
      if (item instanceof SharedHandle) {
        sizedHandles++;
        return 2;
      }
      if (isShortBytes(item)) {
        // Structured clone keeps the identity of a view met twice: such values go to the serializer.
        if ((sizedBytes += item.length) > LIST_BYTES || viewMetBefore(item)) return -1;
        return bytesWords(item);
      }
      // Structured clone keeps holes, extra properties and the identity of an array met twice:
      // such arrays go to the serializer.
      if (!Array.isArray(item) || Object.getPrototypeOf(item) !== Array.prototype || depth >= LIST_DEPTH) return -1;
      const n = item.length;
      if ((sizedItems += n) > LIST_ITEMS || !denseAndPlain(item) || metBefore(item)) return -1;
      let words = 2;
      for (let i = 0; i < n; i++) {
        const w = itemWords(item[i], depth + 1);
        if (w < 0) return -1;
        words += w;
      }
      return words;
    }
    default:
      return -1;
  }
}

/**
 * True if the keys of `array` are exactly its indexes: no hole, no other property. (Counting
 * the keys is not enough: one hole and one other property make as many keys as items.)
 */
function denseAndPlain(array: unknown[]): boolean {
  const keys = Object.keys(array);
  const n = array.length;
  // Indexes come first, in order: n keys ending with index n - 1 are all of them.
  return keys.length === n && (n === 0 || keys[n - 1] === String(n - 1));
}

/**
 * Writes `item` at word `p` of the block at word `base` (whose data ends at word `end`); returns
 * the next word, or -1 if it does not fit or no longer qualifies. Handles take the next offset
 * slot: the header's length word counts them until {@link finishCompound}.
 */
function writeItem(arena: Arena, base: number, end: number, p: number, item: unknown, depth: number): number {
  const i32 = arena.i32;
  switch (typeof item) {
    case "number":
      if (isInt32(item)) {
        if (p + 2 > end) return -1;
        i32[p] = Tag.Int32;
        i32[p + 1] = item;
        return p + 2;
      }
      if (p + 4 > end) return -1;
      i32[p++] = Tag.Number;
      if ((p & 1) !== 0) p++;
      arena.f64[p >> 1] = item;
      return p + 2;
    case "string":
      if (item.length > SHORT_STRING || p + 2 + ((item.length + 1) >> 1) > end) return -1;
      i32[p++] = Tag.String;
      return writeChars(i32, arena.u16, p, item);
    case "boolean":
      if (p + 1 > end) return -1;
      i32[p] = item ? Tag.True : Tag.False;
      return p + 1;
    case "undefined":
      if (p + 1 > end) return -1;
      i32[p] = Tag.Undefined;
      return p + 1;
    case "object": {
      if (item === null) {
        if (p + 1 > end) return -1;
        i32[p] = Tag.Null;
        return p + 1;
      }
      if (item instanceof SharedHandle) {
        const index = i32[base + 1]!;
        if (p + 2 > end || index >= i32[base + 2]!) return -1;
        // Sending a settled promise encodes its value into a cell of its own, which may start
        // another record: the kinds written so far are kept across it.
        const kinds = writtenKinds;
        const offset = item.sendRef();
        const kind = kindOf(offset);
        i32[p++] = Tag.Handle;
        i32[base + HEADER_WORDS + index] = offset;
        i32[base + 1] = index + 1;
        i32[p++] = index | (kind << KIND_SHIFT);
        writtenKinds = kinds | (1 << kind);
        return p;
      }
      if (isShortBytes(item)) return p + bytesWords(item) > end ? -1 : writeBytes(arena, p, item);
      if (!Array.isArray(item) || depth >= LIST_DEPTH || p + 2 > end) return -1;
      const n = item.length;
      i32[p++] = Tag.List;
      i32[p++] = n;
      for (let i = 0; i < n && p >= 0; i++) p = writeItem(arena, base, end, p, item[i], depth + 1);
      return p;
    }
    default:
      return -1;
  }
}

/**
 * A handle item of a record or list carries the kind of the object it names beside its index
 * (`index | kind << KIND_SHIFT`), and the block's length word, once written, is the set of those
 * kinds (bit `kind`): the reader revives each handle, and checks it can, without reading the
 * header of the object named. That header is in a line of the sender's cache: a message naming
 * the next ping's promise made the reader fetch that line on its way to answering.
 */
const KIND_SHIFT = 24;
const INDEX_MASK = (1 << KIND_SHIFT) - 1;
/** The kinds written so far in the record or list being encoded. */
let writtenKinds = 0;

/** A new block for a record or list of `words` data words and the handles sizing counted. */
function allocCompound(tag: Tag.Record | Tag.List, words: number): number {
  writtenKinds = 0;
  const arena = getArena();
  const ref = arena.alloc((HEADER_WORDS + sizedHandles + words) * 4);
  const base = ref >> 2;
  arena.i32[base] = tag;
  arena.i32[base + 1] = 0; // handles written so far (see writeItem)
  arena.i32[base + 2] = sizedHandles;
  return ref;
}

function finishCompound(i32: Int32Array, base: number, p: number): number {
  // Every handle sizing counted was written (the header's count is what freeValue releases).
  if (i32[base + 1] !== i32[base + 2]) return abandon(base << 2);
  i32[base + 1] = writtenKinds;
  return base << 2;
}

/** Gives back a block the fast path could not finish, and the references its handles took; 0. */
function abandon(ref: number): number {
  const arena = getArena();
  const i32 = arena.i32;
  const written = i32[(ref >> 2) + 1]!;
  for (let i = 0; i < written; i++) release(i32[(ref >> 2) + HEADER_WORDS + i]!);
  arena.free(ref);
  return 0;
}

/**
 * Writes `text` (length word, then UTF-16 units padded to a word with a zero unit) at word `p`;
 * returns the next word. The padding is written so a key reads as whole words (see readKey).
 */
function writeChars(i32: Int32Array, u16: Uint16Array, p: number, text: string): number {
  const length = text.length;
  i32[p++] = length;
  const start = p << 1;
  for (let i = 0; i < length; i++) u16[start + i] = text.charCodeAt(i);
  if ((length & 1) !== 0) u16[start + length] = 0;
  return p + ((length + 1) >> 1);
}

function readChars(u16: Uint16Array, p: number, length: number): string {
  const start = p << 1;
  if (length <= 16) {
    let text = "";
    for (let i = 0; i < length; i++) text += String.fromCharCode(u16[start + i]!);
    return text;
  }
  return String.fromCharCode.apply(null, u16.subarray(start, start + length) as unknown as number[]);
}

/**
 * Recently decoded keys, by a hash of their characters. A record's keys are almost always the
 * same few names: reusing the string V8 already interned as a property name saves building it
 * and looking it up in the string table again.
 */
const KEY_CACHE_SIZE = 256;
const keyCache: (string | undefined)[] = new Array<string | undefined>(KEY_CACHE_SIZE).fill(undefined);
/**
 * The words each cached key was read from (keys of up to 2 * KEY_WORDS units are cached): a key
 * is hashed and compared a word (two units) at a time, against words rather than the string's
 * characters (`charCodeAt` per unit).
 */
const KEY_WORDS = 16;
const keyWords = new Int32Array(KEY_CACHE_SIZE * KEY_WORDS);
/** The hash of the last key {@link readKey} returned. */
let keyHash = 0;

/** Reads the key of `length` units at word `p` (padded with a zero unit, see writeChars). */
function readKey(i32: Int32Array, u16: Uint16Array, p: number, length: number): string {
  const words = (length + 1) >> 1;
  let hash = length;
  for (let i = 0; i < words; i++) hash = (Math.imul(hash, 31) + i32[p + i]!) | 0;
  keyHash = hash;
  if (words > KEY_WORDS) return readChars(u16, p, length);
  const slot = hash & (KEY_CACHE_SIZE - 1);
  const at = slot * KEY_WORDS;
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === length) {
    let i = 0;
    while (i < words && keyWords[at + i] === i32[p + i]) i++;
    if (i === words) return cached;
  }
  const key = readChars(u16, p, length);
  keyCache[slot] = key;
  for (let i = 0; i < words; i++) keyWords[at + i] = i32[p + i]!;
  return key;
}

/**
 * Records already seen, by their keys, each with a function that builds one from its fields
 * with an object literal. Adding the fields one by one to `{}` went through a new hidden class
 * at every field, from one store site for every shape (measured: three quarters of a decode).
 */
interface Shape {
  readonly keys: readonly string[];
  readonly build: (fields: unknown[]) => Record<string, unknown>;
}
const SHAPE_CACHE_SIZE = 64;
const shapeCache: (Shape | undefined)[] = new Array<Shape | undefined>(SHAPE_CACHE_SIZE).fill(undefined);
/** Scratch space of {@link decodeRecord}: the keys and fields of the record being decoded. */
const scratchKeys: string[] = new Array<string>(RECORD_FIELDS).fill("");
const scratchFields: unknown[] = new Array<unknown>(RECORD_FIELDS).fill(undefined);

function shapeOf(count: number, hash: number): Shape {
  const slot = hash & (SHAPE_CACHE_SIZE - 1);
  const cached = shapeCache[slot];
  if (cached !== undefined && cached.keys.length === count) {
    let same = true;
    for (let i = 0; i < count && same; i++) same = cached.keys[i] === scratchKeys[i];
    if (same) return cached;
  }
  const keys = scratchKeys.slice(0, count);
  // Keys are quoted as JSON strings, which are JS string literals; "__proto__" never gets here
  // (encodeRecord refuses it), so no literal can set a prototype.
  const literal = keys.map((key, i) => `${JSON.stringify(key)}: f[${i}]`).join(", ");
  const build = new Function("f", `return { ${literal} };`) as Shape["build"];
  const shape: Shape = { keys, build };
  shapeCache[slot] = shape;
  return shape;
}

function decodeRecord(ref: number): Record<string, unknown> {
  const arena = getArena();
  const i32 = arena.i32;
  const u16 = arena.u16;
  const base = ref >> 2;
  let p = base + HEADER_WORDS + i32[base + 2]!;
  const count = i32[p++]!;
  let hash = count;
  revivedCount = 0;
  for (let i = 0; i < count; i++) {
    const length = i32[p++]!;
    scratchKeys[i] = readKey(i32, u16, p, length);
    hash = (Math.imul(hash, 17) + keyHash) | 0;
    cursor = p + ((length + 1) >> 1);
    scratchFields[i] = readItem(arena, base);
    p = cursor;
  }
  const record = shapeOf(count, hash).build(scratchFields);
  for (let i = 0; i < count; i++) scratchFields[i] = undefined; // (Array#fill is slower here)
  for (let i = 0; i < revivedCount; i++) revived[i] = undefined;
  return record;
}

/** Where {@link readItem} reads next (a word index). */
let cursor = 0;
/** The handles revived so far in the value being decoded, and how many. */
const revived: (SharedHandle | undefined)[] = [];
let revivedCount = 0;

/** Reads the item at {@link cursor} (see {@link writeItem}) and moves past it. */
function readItem(arena: Arena, base: number): unknown {
  const i32 = arena.i32;
  let p = cursor;
  let item: unknown;
  switch (i32[p++] as Tag) {
    case Tag.Int32:
      item = i32[p++];
      break;
    case Tag.Number:
      if ((p & 1) !== 0) p++;
      item = arena.f64[p >> 1];
      p += 2;
      break;
    case Tag.String: {
      const length = i32[p++]!;
      item = readChars(arena.u16, p, length);
      p += (length + 1) >> 1;
      break;
    }
    case Tag.True:
      item = true;
      break;
    case Tag.False:
      item = false;
      break;
    case Tag.Null:
      item = null;
      break;
    case Tag.Undefined:
      item = undefined;
      break;
    case Tag.Handle: {
      // Within one value, the same object named twice is one handle (as structured clone
      // keeps shared references): look for one revived earlier.
      const word = i32[p++]!;
      const stored = i32[base + HEADER_WORDS + (word & INDEX_MASK)]!;
      const offset = Math.abs(stored);
      for (let j = 0; j < revivedCount && item === undefined; j++) if (revived[j]!.offset === offset) item = revived[j];
      if (item === undefined) {
        // Taking (see decodeAndFree): the handle takes over the block's counted reference.
        const kind = word >>> KIND_SHIFT;
        item = revived[revivedCount++] = (taking && stored > 0 ? adoptHandle(kind, offset) : reviveHandle(kind, offset)) as SharedHandle;
      } else if (taking && stored > 0) {
        // The object named twice is one handle: the block's second reference is dropped after.
        extraRefs.push(offset);
      }
      break;
    }
    case Tag.Bytes:
      item = readBytes(arena, p);
      p += 2 + ((i32[p + 1]! + 3) >> 2);
      break;
    default: {
      const n = i32[p++]!;
      const list: unknown[] = [];
      cursor = p;
      for (let i = 0; i < n; i++) list.push(readItem(arena, base));
      return list;
    }
  }
  cursor = p;
  return item;
}

/** Reads a top-level array written by `encodeList`. */
function decodeList(ref: number): unknown[] {
  const arena = getArena();
  const base = ref >> 2;
  revivedCount = 0;
  cursor = base + HEADER_WORDS + arena.i32[base + 2]!;
  const list = readItem(arena, base) as unknown[];
  for (let i = 0; i < revivedCount; i++) revived[i] = undefined;
  return list;
}

/** Reads the value in block `ref` (the block is kept). */
export function decodeValue(ref: number): unknown {
  if (isInline(ref)) return decodeInline(ref);
  const arena = getArena();
  const i32 = arena.i32;
  switch (i32[ref >> 2] as Tag) {
    case Tag.Number:
      return arena.f64[(ref + 16) >> 3];
    case Tag.String: {
      const length = i32[(ref >> 2) + 1]!;
      const start = (ref + HEADER_WORDS * 4) >> 1;
      const u16 = arena.u16;
      let text = "";
      for (let i = 0; i < length; i++) text += String.fromCharCode(u16[start + i]!);
      return text;
    }
    case Tag.Handle: {
      const stored = i32[(ref >> 2) + HEADER_WORDS]!;
      return taking && stored > 0 ? adoptHandle(i32[(ref >> 2) + 1]!, stored) : reviveHandle(i32[(ref >> 2) + 1]!, Math.abs(stored));
    }
    case Tag.Bytes:
      return readBytes(arena, (ref >> 2) + HEADER_WORDS + 1);
    case Tag.Record:
      return decodeRecord(ref);
    case Tag.List:
      return decodeList(ref);
    case Tag.Serialized:
    case Tag.Revivable: {
      const length = i32[(ref >> 2) + 1]!;
      const handleCount = i32[(ref >> 2) + 2]!;
      const dataStart = ref + (HEADER_WORDS + handleCount) * 4;
      // The deserializer copies what it keeps (serializer.ts), so the block may be freed after.
      const value = deserialize(length === APART ? loadApart(i32[(ref >> 2) + HEADER_WORDS + handleCount - 1]!) : arena.u8.subarray(dataStart, dataStart + length));
      return i32[ref >> 2] === Tag.Serialized ? value : reviveValue(value);
    }
  }
  throw new Error(`decodeValue: block ${ref} does not hold an encoded value (tag ${i32[ref >> 2]}).`);
}

/** Frees block `ref`, releasing the shared objects it kept alive (not the uncounted ones). */
export function freeValue(ref: number): void {
  if (isInline(ref)) return;
  const arena = getArena();
  const i32 = arena.i32;
  const handleCount = i32[(ref >> 2) + 2]!;
  for (let i = 0; i < handleCount; i++) {
    const offset = i32[(ref >> 2) + HEADER_WORDS + i]!;
    if (offset > 0) release(offset);
  }
  arena.free(ref);
}

/**
 * Block `ref` is about to belong to the shared object at `owner` (a promise's value, a stream's
 * item): references it holds to `owner` itself stop counting. A promise whose value holds its
 * own resolver, or a stream that carries its own handle, would otherwise keep itself alive
 * forever (a cycle of one). An uncounted reference is stored negated; it stays valid because
 * the block lives inside its owner, and is dropped with it. The caller holds a reference to
 * `owner` (its handle), so this never frees it. Returns true if the block still holds a counted
 * reference (to another object: the owner may now be on a cycle, see cycles.ts).
 */
export function ownValue(ref: number, owner: number): boolean {
  if (isInline(ref)) return false;
  const i32 = getArena().i32;
  const handleCount = i32[(ref >> 2) + 2]!;
  let counted = false;
  for (let i = 0; i < handleCount; i++) {
    const word = (ref >> 2) + HEADER_WORDS + i;
    if (i32[word] === owner) {
      i32[word] = -owner;
      release(owner);
    } else if (i32[word]! > 0) {
      counted = true;
    }
  }
  return counted;
}

/**
 * Calls `visit` with each shared object block `ref` holds a counted reference to (once per
 * reference; the uncounted ones to its owner, see {@link ownValue}, are skipped).
 */
export function forEachCountedRef(ref: number, visit: (offset: number) => void): void {
  if (isInline(ref)) return;
  const i32 = getArena().i32;
  const handleCount = i32[(ref >> 2) + 2]!;
  for (let i = 0; i < handleCount; i++) {
    const offset = i32[(ref >> 2) + HEADER_WORDS + i]!;
    if (offset > 0) visit(offset);
  }
}

/**
 * True while {@link decodeAndFree} reads a block it will free: the handles it revives take over
 * the block's counted references (no increment now, no decrement when the block goes).
 */
let taking = false;
/** Counted references of the block being taken that no handle took over (an object named twice). */
const extraRefs: number[] = [];

/**
 * Reads block `ref` and frees it: the one-shot hand-over of a value. The handles inside take
 * over the block's references, where decoding then freeing took one more each and gave the
 * block's back (two atomic operations on each object's line, one of them in the sender's cache:
 * a cross-domain round trip decodes a message naming two promises). An uncounted reference (to
 * the block's owner, see {@link ownValue}) is revived with its own reference, as usual.
 */
export function decodeAndFree(ref: number): unknown {
  if (isInline(ref)) return decodeInline(ref);
  const arena = getArena();
  const i32 = arena.i32;
  const tag = i32[ref >> 2] as Tag;
  if (tag === Tag.Serialized || tag === Tag.Revivable || !kindsKnown(i32, ref)) {
    try {
      return decodeValue(ref);
    } finally {
      freeValue(ref);
    }
  }
  // Nothing below throws once every kind named is known (checked above), so each counted
  // reference is taken over exactly once.
  taking = true;
  let value: unknown;
  try {
    value = decodeValue(ref);
  } catch (error) {
    // Not expected (see above); if it happens the block is kept with its references, so the
    // extra ones listed so far must not be released by the next call.
    extraRefs.length = 0;
    throw error;
  } finally {
    taking = false;
  }
  arena.free(ref);
  if (extraRefs.length !== 0) {
    for (const offset of extraRefs) release(offset);
    extraRefs.length = 0;
  }
  return value;
}

/** True if every object that block `ref` names (fast-path tags only) has a kind registered here. */
function kindsKnown(i32: Int32Array, ref: number): boolean {
  switch (i32[ref >> 2] as Tag) {
    case Tag.Record:
    case Tag.List:
      return kindsRegistered(i32[(ref >> 2) + 1]!);
    case Tag.Handle:
      return kindById(i32[(ref >> 2) + 1]!) !== undefined;
    default:
      return true;
  }
}

/**
 * True if block `ref` names its owner (an uncounted reference, see {@link ownValue}): the value
 * read from it must keep the owner alive.
 */
export function namesOwner(ref: number): boolean {
  if (isInline(ref)) return false;
  const i32 = getArena().i32;
  const handleCount = i32[(ref >> 2) + 2]!;
  for (let i = 0; i < handleCount; i++) if (i32[(ref >> 2) + HEADER_WORDS + i]! < 0) return true;
  return false;
}
