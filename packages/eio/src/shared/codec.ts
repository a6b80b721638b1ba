/**
 * The codec: values in and out of arena blocks, with structured-clone semantics. Numbers,
 * short strings, booleans, null and undefined take a fast path; anything else goes through
 * `v8.serialize`. Shared handles found inside a value are swapped for markers (and their
 * objects retained by the block), then revived as live handles when decoded.
 * @internal
 * @module
 */
import * as v8 from "node:v8";
import { getArena } from "./arena.js";
import { kindOf, release, reviveHandle, SharedHandle } from "./handle.js";
import { prepareValue, reviveValue } from "./markers.js";

const enum Tag {
  Undefined,
  Null,
  False,
  True,
  Number,
  String,
  Serialized,
  Handle,
  /** A plain object of at most RECORD_FIELDS primitive or handle fields (no serializer). */
  Record,
  /** Serialized with markers inside (handles or capabilities): revive after deserializing. */
  Revivable,
}

/** Payload words: tag, data length, handle count, then the handle offsets, then the data. */
const HEADER_WORDS = 3;
const SHORT_STRING = 256;
const RECORD_FIELDS = 16;

/**
 * v8.serialize would copy a `SharedArrayBuffer`'s bytes into the block, and the taker would get
 * a private copy where structured clone shares the memory: refuse it, naming where it can go.
 */
const SHARED_MEMORY = {
  refuseSharedMemory:
    "Cannot put a SharedArrayBuffer (or a view of one) in a shared Eio.Promise or Eio.Stream: it would arrive as a copy, not shared memory. Pass it as an argument of DomainManager.run or ExecutorPool.submit, where it stays shared as postMessage keeps it.",
} as const;

/** Encodes `value` into a new block; returns its reference. */
export function encodeValue(value: unknown): number {
  const arena = getArena();
  switch (typeof value) {
    case "number": {
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
      return tagOnly(Tag.Undefined);
    case "boolean":
      return tagOnly(value ? Tag.True : Tag.False);
    case "object":
      if (value === null) return tagOnly(Tag.Null);
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
      if (Object.getPrototypeOf(value) === Object.prototype) {
        const ref = encodeRecord(value as Record<string, unknown>);
        if (ref !== 0) return ref;
      }
      break;
  }
  const { value: prepared, handles, revivable } = prepareValue(value, SHARED_MEMORY);
  let bytes: Buffer;
  try {
    bytes = v8.serialize(prepared);
  } catch (error) {
    for (const offset of handles) release(offset);
    if (error instanceof TypeError) throw error;
    throw new TypeError(
      `Cannot send this value to another domain: ${(error as Error).message}. Values that cross domains are structured-cloned (no functions, no class prototypes); share Eio objects by creating them with { shared: true }.`,
      { cause: error },
    );
  }
  const dataStart = (HEADER_WORDS + handles.length) * 4;
  const ref = arena.alloc(dataStart + bytes.length);
  const i32 = arena.i32;
  i32[ref >> 2] = revivable ? Tag.Revivable : Tag.Serialized;
  i32[(ref >> 2) + 1] = bytes.length;
  i32[(ref >> 2) + 2] = handles.length;
  for (let i = 0; i < handles.length; i++) i32[(ref >> 2) + HEADER_WORDS + i] = handles[i]!;
  arena.u8.set(bytes, ref + dataStart);
  return ref;
}

/**
 * The fast path for a small plain object whose fields are numbers, booleans, null, undefined,
 * short strings or shared handles (a message carrying reply addresses, say): written field by
 * field, as structured clone would copy it, without `v8.serialize`. Returns 0 if `value` does
 * not qualify (nothing was retained). Layout after the header and handle offsets: field count,
 * then for each field its key (length, UTF-16 units padded to a word), its tag and its payload
 * (number: 8-byte aligned f64; string: length and units; handle: index in the offsets).
 */
function encodeRecord(value: Record<string, unknown>): number {
  // Two passes over the fields (size, then write) instead of collecting them in arrays: this
  // runs at every message, and its temporaries were a third of the garbage of a round trip.
  let count = 0;
  let handleCount = 0;
  // Upper bound of the data words (numbers may need a word of padding each).
  let words = 1;
  for (const key in value) {
    if (++count > RECORD_FIELDS || key.length > SHORT_STRING || key === "__proto__") return 0;
    const field = value[key];
    switch (typeof field) {
      case "number":
        words += 3;
        break;
      case "string":
        if (field.length > SHORT_STRING) return 0;
        words += 1 + ((field.length + 1) >> 1);
        break;
      case "boolean":
      case "undefined":
        break;
      case "object":
        if (field === null) break;
        if (!(field instanceof SharedHandle)) return 0;
        handleCount++;
        words += 1;
        break;
      default:
        return 0;
    }
    words += 2 + ((key.length + 1) >> 1);
  }
  const arena = getArena();
  const ref = arena.alloc((HEADER_WORDS + handleCount + words) * 4);
  const i32 = arena.i32;
  const u16 = arena.u16;
  const base = ref >> 2;
  i32[base] = Tag.Record;
  i32[base + 2] = handleCount;
  let handles = 0;
  let p = base + HEADER_WORDS + handleCount;
  i32[p++] = count;
  for (const key in value) {
    p = writeChars(i32, u16, p, key);
    const field = value[key];
    switch (typeof field) {
      case "number":
        i32[p++] = Tag.Number;
        if ((p & 1) !== 0) p++;
        arena.f64[p >> 1] = field;
        p += 2;
        break;
      case "string":
        i32[p++] = Tag.String;
        p = writeChars(i32, u16, p, field);
        break;
      case "boolean":
        i32[p++] = field ? Tag.True : Tag.False;
        break;
      case "undefined":
        i32[p++] = Tag.Undefined;
        break;
      default:
        if (field === null) {
          i32[p++] = Tag.Null;
        } else {
          i32[p++] = Tag.Handle;
          const offset = (field as SharedHandle).sendRef();
          i32[base + HEADER_WORDS + handles] = offset;
          i32[p++] = handles++;
        }
    }
  }
  i32[base + 1] = p - base;
  return ref;
}

/** Writes `text` (length word, then UTF-16 units padded to a word) at word `p`; returns the next word. */
function writeChars(i32: Int32Array, u16: Uint16Array, p: number, text: string): number {
  const length = text.length;
  i32[p++] = length;
  const start = p << 1;
  for (let i = 0; i < length; i++) u16[start + i] = text.charCodeAt(i);
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
/** The hash of the last key {@link readKey} returned. */
let keyHash = 0;

function readKey(u16: Uint16Array, p: number, length: number): string {
  const start = p << 1;
  let hash = length;
  for (let i = 0; i < length; i++) hash = (Math.imul(hash, 31) + u16[start + i]!) | 0;
  keyHash = hash;
  const slot = hash & (KEY_CACHE_SIZE - 1);
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = cached.charCodeAt(i) === u16[start + i];
    if (same) return cached;
  }
  const key = readChars(u16, p, length);
  keyCache[slot] = key;
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
  const handleCount = i32[base + 2]!;
  let p = base + HEADER_WORDS + handleCount;
  const count = i32[p++]!;
  let hash = count;
  for (let i = 0; i < count; i++) {
    let length = i32[p++]!;
    scratchKeys[i] = readKey(u16, p, length);
    hash = (Math.imul(hash, 17) + keyHash) | 0;
    p += (length + 1) >> 1;
    let field: unknown;
    switch (i32[p++] as Tag) {
      case Tag.Number:
        if ((p & 1) !== 0) p++;
        field = arena.f64[p >> 1];
        p += 2;
        break;
      case Tag.String:
        length = i32[p++]!;
        field = readChars(u16, p, length);
        p += (length + 1) >> 1;
        break;
      case Tag.True:
        field = true;
        break;
      case Tag.False:
        field = false;
        break;
      case Tag.Null:
        field = null;
        break;
      case Tag.Undefined:
        field = undefined;
        break;
      default: {
        // Within one value, the same object named twice is one handle (as structured clone
        // keeps shared references): look for an earlier field naming it.
        const index = i32[p++]!;
        const offset = Math.abs(i32[base + HEADER_WORDS + index]!);
        let handle: unknown;
        for (let j = 0; j < i && handle === undefined; j++) {
          const earlier = scratchFields[j];
          if (earlier instanceof SharedHandle && earlier.offset === offset) handle = earlier;
        }
        field = handle ?? reviveHandle(kindOf(offset), offset);
      }
    }
    scratchFields[i] = field;
  }
  const record = shapeOf(count, hash).build(scratchFields);
  for (let i = 0; i < count; i++) scratchFields[i] = undefined; // (Array#fill is slower here)
  return record;
}

function tagOnly(tag: Tag): number {
  const arena = getArena();
  const ref = arena.alloc(HEADER_WORDS * 4);
  arena.i32[ref >> 2] = tag;
  arena.i32[(ref >> 2) + 2] = 0;
  return ref;
}

/** Reads the value in block `ref` (the block is kept). */
export function decodeValue(ref: number): unknown {
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
    case Tag.Undefined:
      return undefined;
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Handle:
      return reviveHandle(i32[(ref >> 2) + 1]!, Math.abs(i32[(ref >> 2) + HEADER_WORDS]!));
    case Tag.Record:
      return decodeRecord(ref);
    case Tag.Serialized:
    case Tag.Revivable: {
      const length = i32[(ref >> 2) + 1]!;
      const handleCount = i32[(ref >> 2) + 2]!;
      const dataStart = ref + (HEADER_WORDS + handleCount) * 4;
      // Copy out first: Node's deserializer returns typed arrays that alias its input, and
      // this block will be freed and reused.
      const value = v8.deserialize(arena.u8.slice(dataStart, dataStart + length));
      return i32[ref >> 2] === Tag.Serialized ? value : reviveValue(value);
    }
  }
  throw new Error(`decodeValue: block ${ref} does not hold an encoded value (tag ${i32[ref >> 2]}).`);
}

/** Frees block `ref`, releasing the shared objects it kept alive (not the uncounted ones). */
export function freeValue(ref: number): void {
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
  const i32 = getArena().i32;
  const handleCount = i32[(ref >> 2) + 2]!;
  for (let i = 0; i < handleCount; i++) {
    const offset = i32[(ref >> 2) + HEADER_WORDS + i]!;
    if (offset > 0) visit(offset);
  }
}

/** Reads block `ref` and frees it: the one-shot hand-over of a value. */
export function decodeAndFree(ref: number): unknown {
  try {
    return decodeValue(ref);
  } finally {
    freeValue(ref);
  }
}
