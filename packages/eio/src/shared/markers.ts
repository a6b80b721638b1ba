/**
 * How live objects cross domains inside values: the one place that swaps them for markers
 * before a value is serialized, and swaps the markers back after. Three sorts of objects are
 * met on the way: shared handles (promises, resolvers, streams: a marker with the object's
 * offset, and a reference taken for the message), capabilities (the env, its parts, domain
 * managers: a marker with a name, revived as the receiving domain's own), and in-domain
 * objects that cannot cross (a `TypeError` that names the fix). Both framings of values use
 * it: arena blocks (`codec.ts`) and domain records (`domains/codec.ts`).
 * @internal
 * @module
 */
import * as v8 from "node:v8";
import { getArena } from "./arena.js";
import { bufferAt, detach, LARGE_BYTES, postParcels, registerBuffer, registerParcel, storeApart, takeParcel } from "./buffers.js";
import { stageCopy } from "./copy-pool.js";
import { classNameOf, instantiate } from "./error-classes.js";
import { kindOf, release, reviveHandle, SharedHandle } from "./handle.js";
import { makeView, viewTypeIndex } from "./serializer.js";

const MARKER = "__eioSharedHandle";
/**
 * Memory that travels beside the value (buffers.ts): a `SharedArrayBuffer` or a view of one
 * (shared, as structured clone keeps it); or, for a large `ArrayBuffer` or view, in a value
 * read once (a job's arguments or result, a stream item), a parcel: its bytes copied once into
 * a new `ArrayBuffer` that is transferred to the reader, who keeps it (from the main thread:
 * copied into a warm buffer of its pool, and out by the reader, copy-pool.ts); or, in a value read by
 * every awaiter (a promise's), its bytes copied once into a buffer of their own, and once out
 * for each reader. A buffer marked by {@link markForMove} travels as a parcel itself (no copy,
 * the sender's detached), or on a promise's road is copied apart and then detached. The value
 * is the buffer object's offset.
 */
const BUFFER = "__eioBuffer";

/** `ArrayBuffer`s marked to be moved, not copied, by the next value that holds them (see `transfer.ts`). */
const toMove = new WeakSet<ArrayBuffer>();

/** Marks `buffer` to be moved, not copied, when a value that holds it crosses domains. */
export function markForMove(buffer: ArrayBuffer): void {
  toMove.add(buffer);
}

/** True if `buffer` is marked to be moved (it never takes a fast path that copies). */
export function isMarkedForMove(buffer: ArrayBufferLike): boolean {
  return toMove.has(buffer as ArrayBuffer);
}

function checkNotMoved(buffer: ArrayBuffer): void {
  if (buffer.byteLength !== 0) return;
  try {
    // A detached buffer cannot be cloned; an empty one can (Node 20 has no `detached` getter).
    structuredClone(buffer);
  } catch (error) {
    throw new TypeError("Cannot send this ArrayBuffer to another domain: it was moved away already (Eio.transfer detaches the sender's buffer).", { cause: error });
  }
}

/** The marker for memory that travels beside the value, or null if `value` travels inside it. */
function prepareMemory(value: object, handles: number[], markers: Walk): object | null {
  const isView = ArrayBuffer.isView(value);
  const buffer = isView ? value.buffer : value;
  let offset: number;
  let copy = false;
  let parcel = false;
  let byteOffset = isView ? value.byteOffset : 0;
  /** The bytes to copy out, when the buffer may be longer (a pooled one). */
  let length = -1;
  if (buffer instanceof SharedArrayBuffer) {
    let known = markers.buffers?.get(buffer);
    if (known === undefined) {
      known = registerBuffer(buffer);
      handles.push(known);
      (markers.buffers ??= new Map()).set(buffer, known);
    }
    offset = known;
  } else if (toMove.has(buffer as ArrayBuffer)) {
    const moving = buffer as ArrayBuffer;
    checkNotMoved(moving);
    // The whole buffer moves (as with postMessage's transfer list): views keep their place in it.
    let known = markers.moved?.get(moving);
    if (known === undefined) {
      known = markers.once ? registerParcel(moving) : storeApart(new Uint8Array(moving));
      handles.push(known);
      if (markers.once) (markers.parcels ??= []).push(known);
      (markers.moved ??= new Map()).set(moving, known);
    }
    offset = known;
    parcel = markers.once;
    copy = !markers.once;
  } else if ((value as ArrayBufferView | ArrayBuffer).byteLength >= LARGE_BYTES) {
    const bytes = isView ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value as ArrayBuffer);
    // Structured clone copies a view's own bytes, not the rest of its buffer. From the main
    // thread a value read once goes through its pool of warm buffers (copy-pool.ts says why).
    parcel = markers.once && getArena().domainId !== 0;
    offset = parcel ? registerParcel(bytes.slice().buffer) : markers.once ? stageCopy(bytes) : storeApart(bytes);
    handles.push(offset);
    if (parcel) (markers.parcels ??= []).push(offset);
    copy = !parcel;
    length = bytes.byteLength;
    byteOffset = 0;
  } else {
    return null;
  }
  markers.count++;
  if (!isView) return length < 0 ? { [BUFFER]: offset, copy, parcel } : { [BUFFER]: offset, copy, parcel, length };
  return { [BUFFER]: offset, copy, parcel, length, view: viewTypeIndex(value), byteOffset, byteLength: value.byteLength };
}

/** The memory a marker names; within one value, the same buffer object gives the same buffer. */
function reviveMemory(marker: Record<string, unknown>, handles: Map<number, unknown>): object {
  const offset = marker[BUFFER] as number;
  let buffer = handles.get(offset) as ArrayBufferLike | undefined;
  if (buffer === undefined) {
    if (marker.parcel === true) {
      buffer = takeParcel(offset);
    } else {
      buffer = bufferAt(offset);
      if (marker.copy === true) buffer = new Uint8Array(buffer, 0, typeof marker.length === "number" && marker.length >= 0 ? marker.length : undefined).slice().buffer;
    }
    handles.set(offset, buffer);
  }
  if (typeof marker.view !== "number") return buffer;
  return makeView(marker.view, buffer, marker.byteOffset as number, marker.byteLength as number);
}

/** An error, described as plain data (see `error-classes.ts`): the value is its class's name. */
const ERROR = "__eioError";
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

/**
 * Marks `value` as the capability `name`: sent anywhere, it arrives as `revive(data)` there.
 * `data` crosses as a value (so it may hold shared objects).
 */
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


/** What a walk found so far, and what it must refuse. */
interface Walk {
  count: number;
  /** The buffer object registered for each `SharedArrayBuffer` met so far (one per buffer). */
  buffers: Map<SharedArrayBuffer, number> | null;
  /** The buffer object of each `ArrayBuffer` marked to move met so far (one per buffer). */
  moved: Map<ArrayBuffer, number> | null;
  /** The value is read exactly once: large bytes travel as parcels. */
  readonly once: boolean;
  /** The parcels named so far. */
  parcels: number[] | null;
}

/** Copies the parts of `value` that hold handles, swapping each handle for a marker. */
function prepare(value: unknown, handles: number[], markers: Walk, seen: Map<object, unknown>): unknown {
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
    // Its data is walked like any value: a capability may carry shared objects (a shared pool
    // carries its stream).
    return { [CAPABILITY]: capability.name, data: prepare(capability.data, handles, markers, seen) };
  }
  for (const { type, message } of localOnly) {
    if (value instanceof type) throw new TypeError(message);
  }
  if (seen.has(value)) return seen.get(value);
  seen.set(value, value);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
    const marker = prepareMemory(value, handles, markers);
    if (marker === null) return value;
    seen.set(value, marker);
    return marker;
  }
  if (value instanceof Date || value instanceof RegExp) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = prepare(value[i], handles, markers, seen);
      // `Object.is`: NaN is unchanged (`!==` took it for a change, and the copy lost the
      // array's holes and other properties).
      if (Object.is(item, value[i])) continue;
      if (copy === null) copy = copyArray(value);
      copy[i] = item;
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
      if (!Object.is(key, k) || !Object.is(item, v)) changed = true;
      entries.push([key, item]);
    }
    if (!changed) return value;
    const copy = new Map(entries);
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Set) {
    let changed = false;
    const items: unknown[] = [];
    for (const v of value) {
      const item = prepare(v, handles, markers, seen);
      if (!Object.is(item, v)) changed = true;
      items.push(item);
    }
    if (!changed) return value;
    const copy = new Set(items);
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Error) return prepareError(value, handles, markers, seen);
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    const item = prepare(field, handles, markers, seen);
    if (!Object.is(item, field) && copy === null) copy = { ...value };
    if (copy !== null) copy[key] = item;
  }
  if (copy !== null) seen.set(value, copy);
  return copy ?? value;
}

/** Fields of an error that its description carries apart (or, for `stack`, not as a field). */
const OWN_SLOTS = new Set(["name", "message", "stack", "cause", "errors"]);

/**
 * An error as plain data: its class's name, name, message, stack, cause, `errors` and own
 * enumerable fields, each walked like any value (a handle in a field arrives live; an error
 * that is its own cause stays so). A field that cannot be cloned (a function, a socket)
 * becomes a string that says what it was, so that an error always arrives: it is often the
 * only account of what went wrong.
 */
function prepareError(error: Error, handles: number[], markers: Walk, seen: Map<object, unknown>): unknown {
  const description: Record<string, unknown> = {
    [ERROR]: classNameOf(error),
    name: String(error.name),
    message: String(error.message),
    stack: error.stack,
  };
  seen.set(error, description);
  markers.count++;
  const item = (value: unknown): unknown => {
    if (typeof value === "function" || typeof value === "symbol") return notCloneable(value);
    const prepared = prepare(value, handles, markers, seen);
    if (typeof prepared !== "object" || prepared === null) return prepared;
    try {
      v8.serialize(prepared);
      return prepared;
    } catch {
      return notCloneable(value);
    }
  };
  if ("cause" in error) description.cause = item(error.cause);
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) description.errors = errors.map(item);
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (!OWN_SLOTS.has(key)) fields[key] = item((error as unknown as Record<string, unknown>)[key]);
  }
  description.fields = fields;
  return description;
}

function notCloneable(value: unknown): string {
  return `[not cloneable: ${typeof value === "object" ? Object.prototype.toString.call(value) : typeof value}]`;
}

/** Rebuilds an error from its description; `seen` maps the description to it first (cycles). */
function reviveError(description: Record<string, unknown>, seen: Map<object, unknown>, handles: Map<number, unknown>): Error {
  const error = instantiate(description[ERROR] as string, description.message as string);
  seen.set(description, error);
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: false });
  };
  if (error.name !== description.name) define("name", description.name);
  if (description.stack !== undefined) define("stack", description.stack);
  if ("cause" in description) define("cause", revive(description.cause, seen, handles));
  if (Array.isArray(description.errors)) define("errors", description.errors.map((e) => revive(e, seen, handles)));
  const fields = description.fields as Record<string, unknown>;
  for (const key of Object.keys(fields)) (error as unknown as Record<string, unknown>)[key] = revive(fields[key], seen, handles);
  return error;
}

/**
 * A copy of `array` (which holds a handle) as structured clone would see it: same length,
 * holes and other own properties. The walk looks at the items only, and lists the keys only
 * here, to copy the other properties as they are: listing an array's keys takes 160-270 ms for
 * a million items, so a handle in a property of an array that is not an item is not found.
 */
function copyArray(array: unknown[]): unknown[] {
  // Own keys only: a hole is none, so it stays a hole; the other properties come along.
  return Object.assign(new Array<unknown>(array.length), array);
}

/**
 * Swaps markers back for live objects, in place (the value is a fresh copy); `seen` maps each
 * object met to what replaces it, so shared references and cycles survive.
 */
function revive(value: unknown, seen: Map<object, unknown>, handles: Map<number, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  const marker = (value as Record<string, unknown>)[MARKER];
  if (typeof marker === "number") {
    // Within one value, the same object named twice is one handle (as structured clone keeps
    // shared references).
    const offset = (value as { offset: number }).offset;
    let handle = handles.get(offset);
    if (handle === undefined) handles.set(offset, (handle = reviveHandle(marker, offset)));
    seen.set(value, handle);
    return handle;
  }
  if (typeof (value as Record<string, unknown>)[ERROR] === "string") return reviveError(value as Record<string, unknown>, seen, handles);
  if (typeof (value as Record<string, unknown>)[BUFFER] === "number") {
    const memory = reviveMemory(value as Record<string, unknown>, handles);
    seen.set(value, memory);
    return memory;
  }
  const capability = (value as Record<string, unknown>)[CAPABILITY];
  if (typeof capability === "string") {
    const reviver = revivers.get(capability);
    if (reviver === undefined) throw new TypeError(`Cannot revive the capability "${capability}": its module is not loaded in this domain.`);
    const revived = reviver(revive((value as { data: unknown }).data, seen, handles));
    seen.set(value, revived);
    return revived;
  }
  seen.set(value, value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = revive(value[i], seen, handles);
      // Written only where a marker was: a hole stays a hole.
      if (!Object.is(item, value[i])) value[i] = item;
    }
  } else if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [revive(k, seen, handles), revive(v, seen, handles)] as const);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
  } else if (value instanceof Set) {
    const items = [...value].map((v) => revive(v, seen, handles));
    value.clear();
    for (const v of items) value.add(v);
  } else if (!ArrayBuffer.isView(value) && !(value instanceof Date) && !(value instanceof RegExp) && !(value instanceof ArrayBuffer) && !(value instanceof SharedArrayBuffer)) {
    for (const key of Object.keys(value)) (value as Record<string, unknown>)[key] = revive((value as Record<string, unknown>)[key], seen, handles);
  }
  return value;
}

/**
 * What {@link prepareValue} found: the offsets of the shared objects named (one reference
 * taken for each, which the message now owns) and whether anything must be revived.
 */
export interface Prepared {
  readonly value: unknown;
  readonly handles: number[];
  readonly revivable: boolean;
  /** What {@link sendPrepared} must do once the value is written: its parcels, its moved buffers. */
  readonly moved: Map<ArrayBuffer, number> | null;
  readonly parcels: number[] | null;
  readonly once: boolean;
}

/**
 * Swaps the live objects inside `value` for markers, ready for a serializer (`value` itself is
 * not changed: the parts on the way to a handle are copied). Throws a `TypeError` for an
 * in-domain promise or stream, after giving back the references it took.
 */
export function prepareValue(value: unknown, once = false): Prepared {
  const handles: number[] = [];
  const markers: Walk = { count: 0, buffers: null, moved: null, once, parcels: null };
  try {
    const prepared = prepare(value, handles, markers, new Map());
    return { value: prepared, handles, revivable: markers.count > 0, moved: markers.moved, parcels: markers.parcels, once };
  } catch (error) {
    for (const offset of handles) release(offset);
    throw error;
  }
}

/**
 * Call once the value {@link prepareValue} prepared is written, before it is published: posts
 * its parcels toward their reader (buffers.ts) and detaches the buffers it moved. A value that
 * failed to serialize does neither, as structured clone leaves a transfer list alone on error.
 */
export function sendPrepared(prepared: Prepared): void {
  if (prepared.parcels !== null) postParcels(prepared.parcels);
  if (prepared.moved !== null && !prepared.once) for (const buffer of prepared.moved.keys()) detach(buffer);
}

/**
 * Swaps the markers inside a freshly deserialized `value` back for live objects of this domain
 * (in place; the same shared object named twice in one value is one handle). Each handle takes
 * its own reference: the message's references are the caller's to give back.
 */
export function reviveValue(value: unknown): unknown {
  return revive(value, new Map(), new Map());
}
