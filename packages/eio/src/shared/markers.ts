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
import { kindOf, release, reviveHandle, SharedHandle } from "./handle.js";

const MARKER = "__eioSharedHandle";
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


/** What a walk found so far, and what it must refuse. */
interface Walk {
  count: number;
  /** Why shared memory cannot cross here (see {@link PrepareOptions}), or null if it can. */
  readonly sharedMemory: string | null;
}

function isSharedMemory(value: object): boolean {
  return value instanceof SharedArrayBuffer || (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer);
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
    return { [CAPABILITY]: capability.name, data: capability.data };
  }
  for (const { type, message } of localOnly) {
    if (value instanceof type) throw new TypeError(message);
  }
  if (seen.has(value)) return seen.get(value);
  seen.set(value, value);
  if (markers.sharedMemory !== null && isSharedMemory(value)) throw new TypeError(markers.sharedMemory);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return value;
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
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items: unknown[] = [];
    for (const v of value) {
      const item = prepare(v, handles, markers, seen);
      if (!Object.is(item, v)) changed = true;
      items.push(item);
    }
    return changed ? new Set(items) : value;
  }
  if (value instanceof Error) return value;
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
  } else if (!ArrayBuffer.isView(value) && !(value instanceof Date) && !(value instanceof RegExp)) {
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
}

export interface PrepareOptions {
  /**
   * Set where a `SharedArrayBuffer` would arrive copied rather than shared (an arena block is
   * read by whichever domain takes it, and a `SharedArrayBuffer` can only reach a thread through
   * a message port): the message of the `TypeError` thrown for one, or for a view of one.
   */
  readonly refuseSharedMemory?: string;
}

/**
 * Swaps the live objects inside `value` for markers, ready for a serializer (`value` itself is
 * not changed: the parts on the way to a handle are copied). Throws a `TypeError` for an
 * in-domain promise or stream (or, if `options` say so, shared memory), after giving back the
 * references it took.
 */
export function prepareValue(value: unknown, options: PrepareOptions = {}): Prepared {
  const handles: number[] = [];
  const markers: Walk = { count: 0, sharedMemory: options.refuseSharedMemory ?? null };
  try {
    const prepared = prepare(value, handles, markers, new Map());
    return { value: prepared, handles, revivable: markers.count > 0 };
  } catch (error) {
    for (const offset of handles) release(offset);
    throw error;
  }
}

/**
 * Swaps the markers inside a freshly deserialized `value` back for live objects of this domain
 * (in place; the same shared object named twice in one value is one handle). Each handle takes
 * its own reference: the message's references are the caller's to give back.
 */
export function reviveValue(value: unknown): unknown {
  return revive(value, new Set(), new Map());
}
