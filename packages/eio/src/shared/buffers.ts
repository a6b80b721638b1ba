/**
 * Buffers that travel beside the arena: a `SharedArrayBuffer` (or a view of one) inside a value
 * that crosses domains, and any payload too big for the arena (its bytes copied into a buffer
 * of their own). A `SharedArrayBuffer` reaches another thread only by message, while a value
 * in the arena is read by whichever domain takes it, so each such buffer is a shared object
 * (kind {@link BUFFER_KIND}, reference counted like a promise: the value that names it holds
 * one reference) with a program-wide id, and the buffer itself is posted ahead to every
 * thread, through the main thread:
 *
 * - every domain has a port to the main thread (made with the worker, {@link connectBufferPeer});
 * - a thread that registers a buffer keeps it by id and posts it on before the value naming it
 *   is published; the main thread keeps every live buffer and forwards each one to the others;
 * - a thread that reads a value naming an id it lacks takes the messages already on its ports
 *   (`receiveMessageOnPort`, synchronous). The main thread has them at once (the sender
 *   posted before publishing); a domain may have to wait for the main thread's event loop to
 *   forward one from a third domain: it blocks on {@link H_BUFFER_FORWARDS}, which the main
 *   thread bumps after each forward;
 * - when the object's last reference goes, the buffer is dropped everywhere the same way.
 *
 * A domain also hands over the buffers it knows to a domain it starts, so a value older than
 * the domain is readable there.
 * @internal
 * @module
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { getArena } from "./arena.js";
import { allocObject, registerKind, retain, type SharedHandle } from "./handle.js";
import { H_BUFFER_FORWARDS, H_NEXT_BUFFER, OBJECT_HEADER } from "./layout.js";

/**
 * Views, `ArrayBuffer`s and serialized values from this size on travel in a buffer of their
 * own, not in a ring record or an arena block: a 200 MB Buffer would fill the arena, and a
 * ring record is at most half its ring (512 KiB).
 */
export const LARGE_BYTES = 256 << 10;

/** The kind id of buffer objects (1 and 2 are promises and streams). */
export const BUFFER_KIND = 3;
/** Payload word: the buffer's program-wide id. */
const ID = OBJECT_HEADER >> 2;
/** Payload word: 1 if the object names a parcel (an `ArrayBuffer` read once), 0 for a shared buffer. */
const IS_PARCEL = ID + 1;
/** {@link IS_PARCEL} once the reader took the parcel. */
const TAKEN = 2;

type Message =
  | { readonly id: number; readonly buffer: SharedArrayBuffer }
  | { readonly drop: number }
  | { readonly peer: MessagePort }
  | { readonly parcel: number; readonly buffer: ArrayBuffer }
  | { readonly want: number }
  | { readonly dropParcel: number };

/** The buffers this thread can name, by id. */
const buffers = new Map<number, SharedArrayBuffer>();
/** Main thread: the ports to every other thread. Domain: its port to the main thread. */
const peers = new Set<MessagePort>();
let mainPort: MessagePort | null = null;
/** Main thread: ids dropped before their registration arrived (messages of two ports race). */
const droppedEarly = new Set<number>();

/** How long a domain waits for the main thread to forward a buffer before it gives up. */
const FORWARD_TIMEOUT_MS = 30_000;

function isMain(): boolean {
  return getArena().domainId === 0;
}

function forward(message: Message, except: MessagePort | null): void {
  for (const port of peers) if (port !== except) port.postMessage(message);
  const i32 = getArena().i32;
  Atomics.add(i32, H_BUFFER_FORWARDS, 1);
  Atomics.notify(i32, H_BUFFER_FORWARDS);
}

function receive(message: Message, from: MessagePort | null): void {
  if ("parcel" in message || "want" in message || "dropParcel" in message) {
    receiveParcel(message, from);
    return;
  }
  if ("peer" in message) {
    if (isMain()) addPeer(message.peer);
    return;
  }
  if ("drop" in message) {
    if (!buffers.delete(message.drop) && isMain()) droppedEarly.add(message.drop);
    if (isMain()) forward(message, from);
    return;
  }
  if (isMain() && droppedEarly.delete(message.id)) return;
  buffers.set(message.id, message.buffer);
  if (isMain()) forward(message, from);
}

function addPeer(port: MessagePort): void {
  peers.add(port);
  port.on("message", (message: Message) => receive(message, port));
  // The other end closes with its thread: stop forwarding to it.
  port.on("close", () => peers.delete(port));
  port.unref();
  for (const [id, buffer] of buffers) port.postMessage({ id, buffer });
}

/**
 * A port for a domain about to start (pass it in its `workerData`), connected to the main
 * thread, which sends it every buffer alive now and every one registered later.
 */
export function connectBufferPeer(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  if (isMain()) {
    addPeer(port1);
  } else {
    // The main thread adopts the other end; meanwhile the new domain gets what we know.
    for (const [id, buffer] of buffers) port1.postMessage({ id, buffer });
    mainPort?.postMessage({ peer: port1 }, [port1]);
  }
  return port2;
}

/** Called in a domain at its start with the port {@link connectBufferPeer} made for it. */
export function attachBufferPort(port: MessagePort): void {
  mainPort = port;
  port.on("message", (message: Message) => receive(message, null));
  port.unref();
}

/** How many threads the main thread forwards buffers to (for tests). @internal */
export function bufferPeerCount(): number {
  return peers.size;
}

/** How many parcels this thread holds, sent or arrived and not yet taken (for tests). @internal */
export function heldParcelCount(): number {
  return parcels.size;
}

/** Takes the messages already waiting on this thread's ports; true if any. */
function drainPorts(): boolean {
  let any = false;
  const ports = mainPort === null ? [...peers] : [mainPort];
  for (const port of ports) {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      receive(m.message as Message, mainPort === null ? port : null);
      any = true;
    }
  }
  return any;
}

/**
 * Makes `buffer` nameable in every domain; returns its object's offset, with one reference
 * for the caller (the value that names it).
 */
export function registerBuffer(buffer: SharedArrayBuffer): number {
  const arena = getArena();
  if (!isMain() && mainPort === null) {
    throw new TypeError("Cannot send a SharedArrayBuffer or a large value from this thread: it was not started as an Eio domain.");
  }
  const id = Atomics.add(arena.i32, H_NEXT_BUFFER, 1) + 1;
  const offset = allocObject(BUFFER_KIND, 8);
  arena.i32[(offset >> 2) + ID] = id;
  arena.i32[(offset >> 2) + IS_PARCEL] = 0;
  retain(offset);
  buffers.set(id, buffer);
  // Posted before the caller publishes the value, so a reader that lacks it finds it queued.
  const message: Message = { id, buffer };
  if (mainPort !== null) mainPort.postMessage(message);
  else forward(message, null);
  return offset;
}

/** The buffer of the object at `offset` (waiting for it to arrive if needed). */
export function bufferAt(offset: number): SharedArrayBuffer {
  const i32 = getArena().i32;
  const id = i32[(offset >> 2) + ID]!;
  let buffer = buffers.get(id);
  if (buffer !== undefined) return buffer;
  const deadline = Date.now() + FORWARD_TIMEOUT_MS;
  for (;;) {
    const seen = Atomics.load(i32, H_BUFFER_FORWARDS);
    // A message may name a new peer, whose own messages are then taken on the next pass.
    while (drainPorts() && !buffers.has(id));
    buffer = buffers.get(id);
    if (buffer !== undefined) return buffer;
    if (isMain() || Date.now() > deadline) {
      throw new Error(`A shared buffer (id ${id}) named by a value from another domain never reached this domain${isMain() ? "" : ` (waited ${FORWARD_TIMEOUT_MS / 1000} s for the main thread to forward it)`}.`);
    }
    // Not a spin: the main thread's event loop forwards it, then bumps the word.
    Atomics.wait(i32, H_BUFFER_FORWARDS, seen, 5);
  }
}

/**
 * A new `SharedArrayBuffer` of `bytes` bytes, or a `RangeError` that names the size and what
 * it was for when memory runs out (only the operation that asked fails).
 */
export function allocateBuffer(bytes: number): SharedArrayBuffer {
  try {
    return new SharedArrayBuffer(bytes);
  } catch (error) {
    throw new RangeError(`Cannot send a value of ${bytes} bytes to another domain: out of memory (${(error as Error).message}).`, { cause: error });
  }
}

/** Copies `bytes` into a buffer of their own; returns its object (one reference for the caller). */
export function storeApart(bytes: Uint8Array): number {
  const own = allocateBuffer(bytes.byteLength);
  new Uint8Array(own).set(bytes);
  return registerBuffer(own);
}

/** The bytes {@link storeApart} stored in the object at `offset` (not a copy). */
export function loadApart(offset: number): Uint8Array {
  return new Uint8Array(bufferAt(offset));
}

// Parcels: an `ArrayBuffer` (not shared) in a value read exactly once (a job's arguments or
// result, a stream item), moved by `postMessage`'s transfer list to the one thread that reads
// it, which gets it as its own: no copy on the way, and none on arrival. Its taker is not known
// when the value is written (a waiting job may start in any domain, any domain may take a
// stream item), so the main thread holds it: a domain's parcel is transferred to the main
// thread before the value naming it is published; a domain that reads the value asks the main
// thread for it ("want") and waits for it on its port, as for a forwarded shared buffer. The
// main thread reads its own parcels, and those a domain sent it, synchronously.

/** This thread's parcels by id: the main thread's held ones, a domain's arrived ones. */
const parcels = new Map<number, ArrayBuffer>();
/** Main thread: wants that came before their parcel (messages of two ports race). */
const wanted = new Map<number, MessagePort>();
/** Main thread: parcels dropped before they arrived. */
const parcelsDroppedEarly = new Set<number>();
/** Parcels named by a value being written here and not yet posted (see {@link postParcels}). */
const unposted = new Map<number, ArrayBuffer>();

function handOver(id: number, buffer: ArrayBuffer, port: MessagePort): void {
  port.postMessage({ parcel: id, buffer } satisfies Message, [buffer]);
  const i32 = getArena().i32;
  Atomics.add(i32, H_BUFFER_FORWARDS, 1);
  Atomics.notify(i32, H_BUFFER_FORWARDS);
}

function receiveParcel(message: Message, from: MessagePort | null): void {
  if ("parcel" in message) {
    if (isMain() && parcelsDroppedEarly.delete(message.parcel)) return;
    const port = isMain() ? wanted.get(message.parcel) : undefined;
    if (port !== undefined) {
      wanted.delete(message.parcel);
      handOver(message.parcel, message.buffer, port);
    } else {
      parcels.set(message.parcel, message.buffer);
    }
  } else if ("want" in message) {
    const buffer = parcels.get(message.want);
    if (buffer === undefined) {
      wanted.set(message.want, from!);
    } else {
      parcels.delete(message.want);
      handOver(message.want, buffer, from!);
    }
  } else if ("dropParcel" in message && isMain() && !parcels.delete(message.dropParcel)) {
    parcelsDroppedEarly.add(message.dropParcel);
  }
}

/**
 * Names `buffer` as a parcel: returns its object's offset (one reference for the caller). The
 * buffer moves only when {@link postParcels} runs, once the value that names it is written:
 * a value that fails to serialize leaves the sender's buffer as it was.
 */
export function registerParcel(buffer: ArrayBuffer): number {
  const arena = getArena();
  if (!isMain() && mainPort === null) {
    throw new TypeError("Cannot send a large value from this thread: it was not started as an Eio domain.");
  }
  const id = Atomics.add(arena.i32, H_NEXT_BUFFER, 1) + 1;
  const offset = allocObject(BUFFER_KIND, 8);
  arena.i32[(offset >> 2) + ID] = id;
  arena.i32[(offset >> 2) + IS_PARCEL] = 1;
  retain(offset);
  unposted.set(id, buffer);
  return offset;
}

/** Moves the parcels named by `offsets` (from {@link registerParcel}) to the main thread; call before publishing the value. */
export function postParcels(offsets: readonly number[]): void {
  const i32 = getArena().i32;
  for (const offset of offsets) {
    const id = i32[(offset >> 2) + ID]!;
    const buffer = unposted.get(id)!;
    unposted.delete(id);
    if (mainPort === null) {
      // The main thread holds its own parcels; the transfer detaches the sender's buffer.
      parcels.set(id, detach(buffer));
    } else {
      mainPort.postMessage({ parcel: id, buffer } satisfies Message, [buffer]);
    }
  }
}

/** The buffer's memory in a new `ArrayBuffer`, `buffer` detached (no copy). */
export function detach(buffer: ArrayBuffer): ArrayBuffer {
  return structuredClone(buffer, { transfer: [buffer] });
}

function dropParcel(offset: number, id: number): void {
  // Taken: the reader owns it (the reader gives back the value's reference right after).
  if (getArena().i32[(offset >> 2) + IS_PARCEL] === TAKEN) return;
  // The value was never written: the buffer never left its sender.
  if (unposted.delete(id)) return;
  if (mainPort !== null) mainPort.postMessage({ dropParcel: id } satisfies Message);
  else if (!parcels.delete(id)) parcelsDroppedEarly.add(id);
}

/** The parcel of the object at `offset`, taken: this thread's own from now on. */
export function takeParcel(offset: number): ArrayBuffer {
  const i32 = getArena().i32;
  const id = i32[(offset >> 2) + ID]!;
  let asked = false;
  const deadline = Date.now() + FORWARD_TIMEOUT_MS;
  for (;;) {
    const seen = Atomics.load(i32, H_BUFFER_FORWARDS);
    const buffer = parcels.get(id);
    if (buffer !== undefined) {
      parcels.delete(id);
      i32[(offset >> 2) + IS_PARCEL] = TAKEN;
      return buffer;
    }
    if (drainPorts()) continue;
    if (isMain() || Date.now() > deadline) {
      throw new Error(`A large value (parcel ${id}) sent by another domain never reached this domain${isMain() ? "" : ` (waited ${FORWARD_TIMEOUT_MS / 1000} s for the main thread to hand it over)`}.`);
    }
    if (!asked) {
      mainPort!.postMessage({ want: id } satisfies Message);
      asked = true;
    }
    // Not a spin: the main thread's event loop hands it over, then bumps the word.
    Atomics.wait(i32, H_BUFFER_FORWARDS, seen, 5);
  }
}

registerKind({
  id: BUFFER_KIND,
  name: "Buffer",
  revive: (): SharedHandle => {
    throw new Error("A buffer object has no handle: values name it through markers (markers.ts).");
  },
  destroy: (offset) => {
    const id = getArena().i32[(offset >> 2) + ID]!;
    if (getArena().i32[(offset >> 2) + IS_PARCEL] !== 0) {
      dropParcel(offset, id);
      return;
    }
    buffers.delete(id);
    const message: Message = { drop: id };
    if (mainPort !== null) mainPort.postMessage(message);
    else forward(message, null);
  },
});
