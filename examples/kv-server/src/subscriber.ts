/**
 * A subscribed connection's side of pub/sub: its mailbox, an unbounded `Eio.Stream` shared
 * with the storage domain, into which the hub (pubsub.ts) puts the client's confirmations and
 * messages, whichever domain published them; and the writer fiber that takes them out and
 * writes them to the socket. While a connection has a mailbox, everything it sends goes through
 * it, so its replies and its messages reach the client in the order they were made.
 *
 * The writer counts down, in a cell of shared memory, the bytes it has written; the hub counts
 * up what it gives. A client that does not read lets that count grow until the hub drops it
 * (Redis's `client-output-buffer-limit pubsub`) and resolves its `kill` promise: the writer's
 * `Fiber.first` then ends the connection with {@link Dropped}, cancelling a write blocked on
 * the client's full socket. The hub never waits for a subscriber: publishers are not slowed.
 * @module
 */
import { threadId } from "node:worker_threads";
import * as Eio from "eio-ts";
import type * as PubSub from "./pubsub.js";

/**
 * Thrown into the connection's switch when the hub dropped the client for its output buffer.
 *
 * @example
 * ```ts
 * try { yield* serve(); } catch (error) { if (!(error instanceof Subscriber.Dropped)) throw error; }
 * ```
 */
export class Dropped extends Error {
  constructor() {
    super("the client went over its pub/sub output buffer limit and was closed");
    this.name = "Dropped";
  }
}

/**
 * A connection's mailbox and writer (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const subscriber: Subscriber.Subscriber = Subscriber.open(sw, channel, "1:7", true);
 * ```
 */
export interface Subscriber {
  /** What the hub needs: the mailbox, the pending-bytes cell and the kill resolver. */
  readonly client: PubSub.Client;
  /** @internal resolved when the writer has written everything up to the end marker */
  readonly done: Eio.Promise.Promise<void>;
}

let lastId = 0;

/**
 * A client id unique across the domains of this process: the domain's thread, then a number.
 *
 * @example
 * ```ts
 * Subscriber.newId(); // "0:1" in the main thread
 * ```
 */
export function newId(): string {
  return `${threadId}:${++lastId}`;
}

/**
 * Opens client `id`'s mailbox (shared with other domains if `shared`) and forks its writer in
 * `sw`, writing to `write`.
 *
 * @example
 * ```ts
 * const subscriber = Subscriber.open(sw, (bytes) => Eio.Flow.write(flow, bytes), Subscriber.newId(), true);
 * ```
 */
export function open(sw: Eio.Switch.Switch, write: (bytes: Uint8Array) => Eio.Operation<void>, id: string, shared: boolean): Subscriber {
  const mailbox = Eio.Stream.create<Uint8Array | null>(Infinity, { shared });
  const output = new Int32Array(new SharedArrayBuffer(4));
  const [killed, kill] = Eio.Promise.create<void>({ shared });
  const [done, setDone] = Eio.Promise.create<void>();
  Eio.Fiber.fork(sw, function* subscriberWriter() {
    const finished = yield* Eio.Fiber.first<boolean>(
      function* () {
        for (let end = false; !end; ) {
          const parts = [yield* Eio.Stream.take(mailbox)];
          // Everything already there goes out in one write.
          for (let more; (more = Eio.Stream.takeNonblocking(mailbox)) !== undefined; ) parts.push(more);
          const marker = parts.indexOf(null);
          end = marker >= 0;
          const bytes = (end ? parts.slice(0, marker) : parts) as Uint8Array[];
          const total = bytes.reduce((sum, part) => sum + part.length, 0);
          if (total > 0) yield* write(bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes, total));
          Atomics.sub(output, 0, total);
        }
        return true;
      },
      function* () {
        yield* Eio.Promise.await(killed);
        return false;
      },
    );
    if (!finished) throw new Dropped();
    Eio.Promise.resolve(setDone, undefined);
  });
  return { client: { id, mailbox, output, kill }, done };
}

/**
 * Sends the connection's own `bytes` (replies) through the mailbox, after what is in it.
 *
 * Suspends: never in practice (the mailbox is unbounded) — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Subscriber.send(subscriber, Resp.OK);
 * ```
 */
export function* send(subscriber: Subscriber, bytes: Uint8Array): Eio.Operation<void> {
  Atomics.add(subscriber.client.output, 0, bytes.length);
  yield* Eio.Stream.add(subscriber.client.mailbox, bytes);
}

/**
 * Closes the mailbox: waits until the writer has written everything in it. The hub must have
 * forgotten the client first (it gives nothing to a client that listens to nothing).
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Subscriber.close(subscriber);
 * ```
 */
export function* close(subscriber: Subscriber): Eio.Operation<void> {
  yield* Eio.Stream.add(subscriber.client.mailbox, null);
  yield* Eio.Promise.await(subscriber.done);
}
