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
const MARKER = "__eioSharedHandle";
const RECORD_FIELDS = 16;

/**
 * Capabilities: objects that cross as a name (and a little data) and arrive as the receiving
 * domain's own, as Eio's env does when a function runs in another domain: the env, its clocks,
 * its net, domain managers. They are marked by identity (a `WeakMap`), not by class, so a
 * plain frozen object such as `env.net` can be one.
 */
const capabilities = new WeakMap<object, { readonly name: string; readonly data: unknown }>();
const revivers = new Map<string, (data: unknown) => unknown>();
const CAPABILITY = "__eioCapability";

/**
 * Says how to revive the capability called `name` in the receiving domain (the same name must
 * be registered in every domain: registration happens when the runtime's modules load).
 */
export function registerCapability(name: string, revive: (data: unknown) => unknown): void {
  revivers.set(name, revive);
}

/** Marks `value` as the capability `name`: sent anywhere, it arrives as `revive(data)` there. */
export function markCapability(value: object, name: string, data?: unknown): void {
  capabilities.set(value, { name, data });
}

/** True if `value` crosses as a capability (see {@link markCapability}). */
export function isCapability(value: object): boolean {
  return capabilities.has(value);
}

/** Classes that must not cross domains, with the fix to suggest (set by `sync/`). */
const localOnly: { type: abstract new (...args: never[]) => unknown; message: string }[] = [];

/** Declares that instances of `type` cannot be sent to another domain, and why. */
export function registerLocalOnly(type: abstract new (...args: never[]) => unknown, message: string): void {
  localOnly.push({ type, message });
}

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
  const handles: number[] = [];
  const markers = { count: 0 };
  let bytes: Buffer;
  try {
    bytes = v8.serialize(prepare(value, handles, markers, new Map()));
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
  i32[ref >> 2] = markers.count === 0 ? Tag.Serialized : Tag.Revivable;
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
  const keys = Object.keys(value);
  const count = keys.length;
  if (count > RECORD_FIELDS) return 0;
  const fields: unknown[] = [];
  let handleCount = 0;
  // Upper bound of the data words (numbers may need a word of padding each).
  let words = 1;
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    if (key.length > SHORT_STRING || key === "__proto__") return 0;
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
    fields.push(field);
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
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    p = writeChars(i32, u16, p, key);
    const field = fields[i];
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

function decodeRecord(ref: number): Record<string, unknown> {
  const arena = getArena();
  const i32 = arena.i32;
  const u16 = arena.u16;
  const base = ref >> 2;
  const handleCount = i32[base + 2]!;
  const handles: (SharedHandle | undefined)[] = [];
  const record: Record<string, unknown> = {};
  let p = base + HEADER_WORDS + handleCount;
  const count = i32[p++]!;
  for (let i = 0; i < count; i++) {
    let length = i32[p++]!;
    const key = readChars(u16, p, length);
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
        // keeps shared references).
        const index = i32[p++]!;
        const offset = Math.abs(i32[base + HEADER_WORDS + index]!);
        let handle: SharedHandle | undefined;
        for (let j = 0; j < index && handle === undefined; j++) if (Math.abs(i32[base + HEADER_WORDS + j]!) === offset) handle = handles[j];
        handles[index] = handle ??= reviveHandle(kindOf(offset), offset);
        field = handle;
      }
    }
    record[key] = field;
  }
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
      return i32[ref >> 2] === Tag.Serialized ? value : revive(value, new Set(), new Map());
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
 * `owner` (its handle), so this never frees it.
 */
export function ownValue(ref: number, owner: number): void {
  const i32 = getArena().i32;
  const handleCount = i32[(ref >> 2) + 2]!;
  for (let i = 0; i < handleCount; i++) {
    const word = (ref >> 2) + HEADER_WORDS + i;
    if (i32[word] === owner) {
      i32[word] = -owner;
      release(owner);
    }
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

/** Copies the parts of `value` that hold handles, swapping each handle for a marker. */
function prepare(value: unknown, handles: number[], markers: { count: number }, seen: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof SharedHandle) {
    const offset = value.sendRef();
    handles.push(offset);
    markers.count++;
    return { [MARKER]: kindOf(offset), offset };
  }
  const capability = capabilities.get(value);
  if (capability !== undefined) {
    markers.count++;
    return { [CAPABILITY]: capability.name, data: capability.data };
  }
  for (const { type, message } of localOnly) {
    if (value instanceof type) throw new TypeError(message);
  }
  if (seen.has(value)) return seen.get(value);
  seen.set(value, value);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = prepare(value[i], handles, markers, seen);
      if (item !== value[i] && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(item);
    }
    if (copy !== null) seen.set(value, copy);
    return copy ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries: [unknown, unknown][] = [];
    for (const [k, v] of value) {
      const key = prepare(k, handles, markers, seen);
      const item = prepare(v, handles, markers, seen);
      if (key !== k || item !== v) changed = true;
      entries.push([key, item]);
    }
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items: unknown[] = [];
    for (const v of value) {
      const item = prepare(v, handles, markers, seen);
      if (item !== v) changed = true;
      items.push(item);
    }
    return changed ? new Set(items) : value;
  }
  if (value instanceof Error) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    const item = prepare(field, handles, markers, seen);
    if (item !== field && copy === null) copy = { ...value };
    if (copy !== null) copy[key] = item;
  }
  if (copy !== null) seen.set(value, copy);
  return copy ?? value;
}

/** Swaps markers back for live handles, in place (the value is a fresh copy). */
function revive(value: unknown, seen: Set<object>, handles: Map<number, unknown>): unknown {
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  seen.add(value);
  const marker = (value as Record<string, unknown>)[MARKER];
  if (typeof marker === "number") {
    // Within one value, the same object named twice is one handle (as structured clone keeps
    // shared references).
    const offset = (value as { offset: number }).offset;
    let handle = handles.get(offset);
    if (handle === undefined) handles.set(offset, (handle = reviveHandle(marker, offset)));
    return handle;
  }
  const capability = (value as Record<string, unknown>)[CAPABILITY];
  if (typeof capability === "string") {
    const reviver = revivers.get(capability);
    if (reviver === undefined) throw new TypeError(`Cannot revive the capability "${capability}": its module is not loaded in this domain.`);
    return reviver((value as { data: unknown }).data);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], seen, handles);
  } else if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [revive(k, seen, handles), revive(v, seen, handles)] as const);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
  } else if (value instanceof Set) {
    const items = [...value].map((v) => revive(v, seen, handles));
    value.clear();
    for (const v of items) value.add(v);
  } else if (!ArrayBuffer.isView(value) && !(value instanceof Date) && !(value instanceof RegExp)) {
    for (const key of Object.keys(value)) (value as Record<string, unknown>)[key] = revive((value as Record<string, unknown>)[key], seen, handles);
  }
  return value;
}
