/**
 * The connections' side of the crossing to the storage domain. Each request crosses as one
 * byte frame (frame.ts), and the short requests that a domain's connections make in one turn
 * of its event loop cross together: one frame, one stream item, one shared promise, whose
 * replies are split back to each connection. Under `redis-benchmark -c 50 -P 1` a turn reads
 * many clients' one command each: apart, each would cost the storage domain a stream item to
 * decode, a shared promise to resolve and a wake-up to deliver, more than running the command.
 *
 * The first request of a turn leads its group: it waits for the end of the turn (a
 * `setImmediate`, which runs after the turn's socket reads), sends the group, and hands each
 * other request its part of the replies. Requests that join it wait on a promise of their own
 * domain. A request crosses alone when it would gain little and could hold others up: a
 * pipeline of {@link ALONE_COMMANDS} commands or more (it fills an item by itself), one with a
 * KEYS (run a slice at a time between other requests, it would keep its group waiting), and
 * one too long for a frame (it crosses as arrays, so big values take the codec's road for
 * them). Requests that name their client (WATCH, pub/sub, blocking pops) or carry a
 * transaction do not come here: `Store.submit` sends them as arrays.
 *
 * Each request of a group keeps its own reply limit and gets its own replies: an error in one
 * (a command's error reply, a request over its output limit and answered empty) is its own.
 * @module
 */
import * as Eio from "eio-ts";
import * as Frame from "./frame.js";
import type * as Store from "./store.js";

/**
 * Requests of this many commands or more cross alone.
 *
 * @example
 * ```ts
 * Gather.ALONE_COMMANDS; // 8
 * ```
 */
export const ALONE_COMMANDS = 8;

/** A group being gathered, and the promises of the requests that joined it. */
interface Group {
  readonly frame: Buffer;
  /** Bytes written, count word included. */
  length: number;
  /** Waiters of the requests after the leader's, in frame order. */
  readonly members: Eio.Promise.Resolver<Eio.Result<Uint8Array>>[];
}

/**
 * One domain's gathering onto one queue.
 *
 * @example
 * ```ts
 * const gatherer = Gather.create(queue);
 * ```
 */
export interface Gatherer {
  readonly queue: Store.Queue;
  /** The group of this turn, while requests may join it. */
  open: Group | null;
  /** Items sent, and requests in them (for tests and measurements). */
  readonly stats: { items: number; requests: number };
}

/**
 * A gatherer for `queue` (one per domain: its groups are made of this domain's requests).
 *
 * @example
 * ```ts
 * const reply = yield* Gather.submit(Gather.create(queue), [[Buffer.from("GET"), Buffer.from("k")]]);
 * ```
 */
export function create(queue: Store.Queue): Gatherer {
  if (queue === null || typeof queue !== "object") throw new TypeError(`Gather.create: queue must be a stream, got ${String(queue)}`);
  return { queue, open: null, stats: { items: 0, requests: 0 } };
}

function isKeys(name: Uint8Array): boolean {
  return name.length === 4 && (name[0]! | 0x20) === 0x6b && (name[1]! | 0x20) === 0x65 && (name[2]! | 0x20) === 0x79 && (name[3]! | 0x20) === 0x73;
}

/** Whether a request crosses alone: see the module's comment. */
function alone(commands: readonly (readonly Uint8Array[])[], bytes: number, replyLimit: number): boolean {
  if (commands.length >= ALONE_COMMANDS || bytes + 4 > Frame.MAX_FRAME || replyLimit > 0xffffffff) return true;
  for (let i = 0; i < commands.length; i++) if (isKeys(commands[i]![0]!)) return true;
  return false;
}

function* endOfTurn(): Eio.Operation<void> {
  yield* Eio.Fiber.awaitNative(new Promise<void>((resolve) => setImmediate(resolve)));
}

/**
 * Sends `commands` (plain data commands of one client) to the store, gathered with the other
 * requests of this turn when it is worth it, and returns their replies (empty past
 * `replyLimit`, as `Store.submit`). The queue's promises are shared: the store is in another domain.
 *
 * Suspends: yes — use `yield*`. Until the end of the turn, then for the commit. A request that
 * leads its group goes on to the end even if cancelled meanwhile (cancellation takes effect
 * once its group is answered): the others' replies depend on it.
 *
 * @example
 * ```ts
 * const reply = yield* Gather.submit(gatherer, [[Buffer.from("SET"), Buffer.from("k"), Buffer.from("v")]]);
 * ```
 */
export function* submit(gatherer: Gatherer, commands: Uint8Array[][], replyLimit = 0): Eio.Operation<Uint8Array> {
  if (!Number.isSafeInteger(replyLimit) || replyLimit < 0) throw new RangeError(`Gather.submit: replyLimit must be a non-negative integer, got ${replyLimit}`);
  const bytes = Frame.requestBytes(commands);
  if (alone(commands, bytes, replyLimit)) return yield* sendAlone(gatherer, commands, bytes, replyLimit);
  let group = gatherer.open;
  if (group !== null && group.length + bytes <= Frame.MAX_FRAME) {
    group.length = Frame.writeRequest(group.frame, group.length, commands, replyLimit);
    const [replied, resolver] = Eio.Promise.create<Eio.Result<Uint8Array>>();
    group.members.push(resolver);
    return yield* Eio.Promise.awaitExn(replied);
  }
  // Full (or none yet): this request leads a new group; the full one is sent by its own leader.
  group = { frame: Buffer.allocUnsafe(Frame.MAX_FRAME), length: 4, members: [] };
  group.length = Frame.writeRequest(group.frame, 4, commands, replyLimit);
  gatherer.open = group;
  const led = group;
  return yield* Eio.Cancel.protect(() => lead(gatherer, led));
}

function* sendAlone(gatherer: Gatherer, commands: Uint8Array[][], bytes: number, replyLimit: number): Eio.Operation<Uint8Array> {
  const [promise, resolver] = Eio.Promise.create<Uint8Array>({ shared: true });
  let request: Store.Request;
  if (bytes + 4 <= Frame.MAX_FRAME) request = { frame: Frame.encode(commands, replyLimit), resolver };
  else request = replyLimit > 0 ? { commands, resolver, replyLimit } : { commands, resolver };
  gatherer.stats.items++;
  gatherer.stats.requests++;
  yield* Eio.Stream.add(gatherer.queue, request);
  return yield* Eio.Promise.await(promise);
}

/** Waits for the end of the turn, sends the group, and answers its members. */
function* lead(gatherer: Gatherer, group: Group): Eio.Operation<Uint8Array> {
  const members = group.members;
  let replies: Uint8Array[];
  try {
    yield* endOfTurn();
    if (gatherer.open === group) gatherer.open = null;
    const count = members.length + 1;
    Frame.writeCount(group.frame, count);
    const [promise, resolver] = Eio.Promise.create<Uint8Array>({ shared: true });
    gatherer.stats.items++;
    gatherer.stats.requests += count;
    yield* Eio.Stream.add(gatherer.queue, { frame: group.frame.subarray(0, group.length), resolver });
    const reply = yield* Eio.Promise.await(promise);
    // A frame of one request is answered with its replies as they are.
    replies = count === 1 ? [reply] : Frame.splitReplies(reply);
    if (replies.length !== count) throw new Error(`Gather: ${replies.length} replies to a group of ${count} requests`);
  } catch (error) {
    if (gatherer.open === group) gatherer.open = null;
    for (const member of members) Eio.Promise.resolveError(member, error);
    throw error;
  }
  for (let i = 0; i < members.length; i++) Eio.Promise.resolveOk(members[i]!, replies[i + 1]!);
  return replies[0]!;
}
