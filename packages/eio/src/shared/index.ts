/**
 * The shared heap: what the rest of the runtime (domains/, run.ts) uses to share memory
 * between domains. See README.md in this folder. Loading it registers the shared promise
 * with `Eio.Promise.create({ shared: true })` (and the stream with `Eio.Stream`).
 * @internal
 * @module
 */
import { LocalPromise, setSharedFactory as setSharedPromiseFactory } from "../core/local-promise.js";
import { LocalStream, setSharedFactory as setSharedStreamFactory } from "../sync/local-stream.js";
import { Condition } from "../sync/condition.js";
import { Lazy } from "../sync/lazy.js";
import { Mutex } from "../sync/mutex.js";
import { Pool } from "../sync/pool.js";
import { Semaphore } from "../sync/semaphore.js";
import { registerLocalOnly } from "./markers.js";
import { createSharedPromise } from "./promise.js";
import { createSharedStream } from "./stream.js";

import { startArenaCaching, stopArenaCaching } from "./arena.js";
import { flushBuffer, pendingCandidates } from "./cycle-candidates.js";
import { collectCycles } from "./cycles.js";
import { registerPendingHandles } from "./handle.js";

export { allocateDomainId, attachArena, currentArena, getArena, retireDomain } from "./arena.js";
export { pendingCandidates } from "./cycle-candidates.js";
export { collectCycles, cycleStats } from "./cycles.js";
export { decodeAndFree, decodeValue, encodeValue, freeValue } from "./codec.js";
export { attachBufferPort, connectBufferPeer } from "./buffers.js";
export {
  isCapability, isMarkedForMove, markCapability, markForMove, prepareValue, sendPrepared, registerCapability, registerLocalOnly, reviveValue,
} from "./markers.js";
export { deliver, park, unpark, watchInbox } from "./doorbell.js";
export { IdleSource, parkAtOnce, setSpinRange, watchIdle } from "./idle-policy.js";
export {
  allocObject, beforeRefsChange, type Kind, markMayCycle, registerKind, release, retain, reviveHandle, SharedHandle, trackHandle,
  untrackHandle,
} from "./handle.js";
export { OBJECT_HEADER } from "./layout.js";
export { createSharedPromise, SharedPromise } from "./promise.js";
export { createSharedStream, SharedStream } from "./stream.js";
export { allocWaiter, freeWaiter, setWaiterValue, waiterDomain, waiterValue } from "./waiter.js";

setSharedPromiseFactory(createSharedPromise);
setSharedStreamFactory(createSharedStream);
registerLocalOnly(
  LocalPromise,
  "Cannot send an Eio.Promise to another domain: it is not shared. Create it with Eio.Promise.create({ shared: true }) to use it from several domains.",
);
registerLocalOnly(
  LocalStream,
  "Cannot send an Eio.Stream to another domain: it is not shared. Create it with Eio.Stream.create(capacity, { shared: true }) to use it from several domains.",
);
// The other synchronisation objects live in one domain's memory: a copy would arrive as a plain
// object that fails only when used, far from the mistake.
for (const [type, name] of [[Mutex, "Mutex"], [Semaphore, "Semaphore"], [Condition, "Condition"], [Lazy, "Lazy"]] as const) {
  registerLocalOnly(type, `Cannot send an Eio.${name} to another domain: it belongs to the domain that made it. Use a shared Eio.Stream or Eio.Promise to coordinate domains.`);
}
// A shared pool crosses as a capability (checked first); only a pool of one domain gets here.
registerLocalOnly(
  Pool,
  "Cannot send an Eio.Pool to another domain: it is not shared. Create it with Eio.Pool.create(max, allocTask, { shared: true }) (its resources must then be values that can cross domains) to use it from several domains.",
);

/**
 * Call when this domain has nothing left to run and its thread may end (be terminated) at any
 * moment: lists its newest handles where `retireDomain` finds them, empties its buffer of cycle
 * candidates and runs a collection if candidates wait (its scheduled one would never run), and
 * gives the blocks it cached for reuse back to every domain, caching none until
 * {@link prepareDomainWork}. None of this would happen once the thread is gone.
 */
export function prepareDomainExit(): void {
  registerPendingHandles();
  flushBuffer();
  if (pendingCandidates() > 0) collectCycles();
  stopArenaCaching();
}

/** Call when a domain starts work again after {@link prepareDomainExit} (a run, a job). */
export function prepareDomainWork(): void {
  startArenaCaching();
}
