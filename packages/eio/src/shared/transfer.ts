/**
 * `Eio.transfer`: move a buffer to another domain instead of copying it.
 * @module
 */
import { markForMove } from "./markers.js";

/**
 * Marks `buffer`'s memory (an `ArrayBuffer`, or the whole `ArrayBuffer` under a typed array,
 * `Buffer` or `DataView`) to be moved, not copied, when a value that holds it crosses to
 * another domain, as `postMessage`'s transfer list does: no bytes are copied, the receiver
 * gets the memory as its own, and the sender's `ArrayBuffer` is detached (its length becomes
 * 0, and every view on it is empty). Returns `buffer`, so a task can `return
 * Eio.transfer(bytes)`.
 *
 * The move happens when the value is sent: as a job's argument (`DomainManager.run`,
 * `ExecutorPool.submit*`) or result, or as a shared stream's item. A shared promise's value
 * may be read by every awaiter, each getting its own copy: there the bytes are copied once
 * beside the value and the sender's buffer is still detached, so the meaning is the same on
 * every road. A send that fails (the value cannot be cloned) leaves the buffer as it was.
 *
 * As with `postMessage`, a `Buffer` from Node's shared pool (a small `Buffer.from(...)` or
 * `Buffer.allocUnsafe(...)`) cannot be moved without taking its neighbours: it is copied and
 * stays usable. Make the bytes with `Buffer.alloc` or `Buffer.allocUnsafeSlow` to move them.
 *
 * Suspends: never. eio-ts only: OCaml's domains share one heap, so nothing is ever copied.
 *
 * @throws TypeError if `buffer` is not an `ArrayBuffer` or a view of one, or is shared memory
 * (a `SharedArrayBuffer` or a view of one is already shared with every domain, as it is).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * import { isMainThread } from "node:worker_threads";
 * export function* sum(bytes: Uint8Array) {
 *   return bytes.reduce((a, b) => a + b, 0);
 * }
 * if (isMainThread) {
 *   await Eio.run(function* (env) {
 *     const task = Eio.task<[Uint8Array], number>(import.meta.url, "sum");
 *     const bytes = new Uint8Array(1000).fill(2);
 *     const total = yield* Eio.DomainManager.run(env.domainMgr, task, Eio.transfer(bytes));
 *     console.log(total, bytes.length); // moved: nothing is left here
 *   });
 * }
 * ```
 */
export function transfer<T extends ArrayBuffer | ArrayBufferView>(buffer: T): T {
  const memory: unknown = ArrayBuffer.isView(buffer) ? buffer.buffer : buffer;
  if (memory instanceof SharedArrayBuffer) {
    throw new TypeError("Eio.transfer: this is shared memory (a SharedArrayBuffer or a view of one), which every domain shares already: send it as it is.");
  }
  if (!(memory instanceof ArrayBuffer)) {
    throw new TypeError(`Eio.transfer: expected an ArrayBuffer or a view of one (a Buffer, a typed array, a DataView), got ${describe(buffer)}.`);
  }
  markForMove(memory);
  return buffer;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object of class ${(value as object).constructor?.name ?? "(none)"}`;
  return `a ${typeof value} (${String(value)})`;
}
