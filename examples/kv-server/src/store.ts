/**
 * The store as the blog builds it: one fiber (in its own domain, in the server) owns the table
 * and the log, and serves requests that connections put on a shared `Eio.Stream`. Each request
 * carries an `Eio.Promise` resolver; the reply goes into it only after the request's changes
 * are on disk.
 *
 * Group commit: the loop waits for one request, then takes whatever else is already queued
 * (`Stream.takeNonblocking`), applies them all, appends one batch to the log, fsyncs once and
 * only then resolves their promises. Under load many clients share one fsync; alone, a client
 * pays for one fsync per write, as with Redis's `appendfsync always` (the default). With
 * `everysec` the replies do not wait: a fiber beside the loop syncs once a second; with `no`
 * nothing is synced until the store closes.
 *
 * A request may name its client, or carry a whole transaction (EXEC's): client-request.ts runs
 * those (WATCH, pub/sub), and pub/sub's messages go into subscribers' mailboxes after the
 * commit, just before the replies.
 *
 * Whatever the policy, when the log is due for a rewrite a fiber beside the loop rewrites it in
 * the background (`Storage.rewrite`), so commits go on meanwhile, and its failure fails no
 * client. A reply too large to build or to send fails its command with an error reply; it
 * never stops the loop.
 * @module
 */
import * as Eio from "eio-ts";
import * as ClientRequest from "./client-request.js";
import type * as Commands from "./commands.js";
import * as Info from "./info.js";
import * as Resp from "./resp.js";
import * as Storage from "./storage.js";
import * as Table from "./table.js";

/**
 * A batch of data commands from one connection, with where to put their replies. Arguments and
 * replies are bytes: a Buffer crosses to the storage domain as its own bytes.
 *
 * @example
 * ```ts
 * const [replies, resolver] = Eio.Promise.create<Uint8Array>({ shared: true });
 * const request: Store.Request = { commands: [[Buffer.from("GET"), Buffer.from("k")]], resolver };
 * ```
 */
export interface Request {
  /** Each command's arguments, name first. */
  commands: Uint8Array[][];
  /** Resolved with the concatenated replies, in order, once they are durable. */
  resolver: Eio.Promise.Resolver<Uint8Array>;
  /** The client, for WATCH, UNWATCH, EXEC and pub/sub (see client-request.ts). */
  client?: ClientRequest.Client;
  /** The commands are one transaction, EXEC's: run together, answered as one array. */
  exec?: boolean;
}

/**
 * Options for {@link serve}.
 *
 * @example
 * ```ts
 * yield* Store.serve(queue, "data", { maxBatch: 1024, onReady: (s) => console.log(s.stats) });
 * ```
 */
export interface ServeOptions extends Storage.OpenOptions {
  /** The most requests to commit as one batch (bounds the latency of the first one). */
  maxBatch?: number;
  /** Called once the log is replayed and the loop is ready for requests. */
  onReady?: (store: Storage.Store) => void;
  /**
   * The number of clients connected, in its first cell, kept by the connections (shared memory,
   * so every domain's connections count in it), for INFO's `connected_clients`.
   */
  clients?: Int32Array;
  /** The server's port, for INFO's `tcp_port`. */
  port?: number;
  /** The most bytes of replies one request may get (default {@link MAX_REPLY_BYTES}). */
  maxReplyBytes?: number;
  /** When the log is fsynced, as Redis's `appendfsync` (default `always`: before the replies). */
  appendfsync?: "always" | "everysec" | "no";
  /** The clock that times `everysec`'s syncs (required then). */
  clock?: Eio.Time.Clock;
}

/**
 * The most bytes of replies one request may get back by default: past it the largest replies
 * are replaced by an error (the commands themselves were run), so building the reply cannot fail.
 *
 * @example
 * ```ts
 * // MGET of three 512 MB values in one request: the third gets "-ERR reply too large ..."
 * Store.MAX_REPLY_BYTES; // 1 GiB
 * ```
 */
export const MAX_REPLY_BYTES = 1024 * 1024 * 1024;

/** The replies of one request as one buffer, replacing the largest ones by errors if need be. */
function joinReplies(parts: Buffer[], limit: number): Uint8Array {
  let total = parts.reduce((sum, part) => sum + part.length, 0);
  while (total > limit) {
    let largest = 0;
    for (let i = 1; i < parts.length; i++) if (parts[i]!.length > parts[largest]!.length) largest = i;
    const error = Resp.error(`ERR reply too large to send: ${parts[largest]!.length} bytes, with ${total} in this request (the most is ${limit})`);
    total += error.length - parts[largest]!.length;
    parts[largest] = error;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

/** Counts data commands, and how many ran in the last whole second (INFO's ops per second). */
function createCounter(): { add(n: number, now: number): void; total: number; perSecond(now: number): number } {
  let second = 0;
  let inSecond = 0;
  let lastSecond = 0;
  return {
    total: 0,
    add(n, now) {
      this.total += n;
      const current = Math.floor(now / 1000);
      if (current !== second) {
        lastSecond = current === second + 1 ? inSecond : 0;
        second = current;
        inSecond = 0;
      }
      inSecond += n;
    },
    perSecond(now) {
      const current = Math.floor(now / 1000);
      return current === second ? lastSecond : current === second + 1 ? inSecond : 0;
    },
  };
}

/**
 * The queue between the connections and the store.
 *
 * @example
 * ```ts
 * const queue: Store.Queue = Eio.Stream.create<Store.Request>(1024, { shared: true });
 * ```
 */
export type Queue = Eio.Stream.Stream<Request>;

/**
 * Opens the store in `dir` and serves `queue` until cancelled. Never returns normally. If the
 * log cannot be written or synced, the requests of that batch get an error reply (never an
 * OK) and the error is thrown: the state of the disk is then unknown, so the server stops.
 *
 * Suspends: yes — use `yield*`. Cancellation closes the log; requests not yet committed were
 * never acknowledged.
 *
 * @example
 * ```ts
 * const queue = Eio.Stream.create<Store.Request>(1024, { shared: true });
 * Eio.Fiber.fork(sw, () => Store.serve(queue, "./data"));
 * ```
 */
export function* serve(queue: Queue, dir: string, options: ServeOptions = {}): Eio.Operation<never> {
  const maxBatch = options.maxBatch ?? 4096;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`Store.serve: maxBatch must be a positive integer, got ${maxBatch}`);
  }
  const maxReplyBytes = options.maxReplyBytes ?? MAX_REPLY_BYTES;
  if (!Number.isSafeInteger(maxReplyBytes) || maxReplyBytes < 64) {
    throw new RangeError(`Store.serve: maxReplyBytes must be an integer of at least 64, got ${maxReplyBytes}`);
  }
  const policy = options.appendfsync ?? "always";
  if (!["always", "everysec", "no"].includes(policy)) {
    throw new RangeError(`Store.serve: appendfsync must be always, everysec or no, got ${JSON.stringify(policy)}`);
  }
  const clock = options.clock;
  if (policy === "everysec" && clock === undefined) throw new TypeError("Store.serve: appendfsync everysec needs a clock");
  const store = Storage.open(dir, options);
  // Appended but not yet synced (everysec and no only: always syncs before it replies).
  let unsynced = false;
  // After a failed write or sync the state of the file is unknown: no last sync then.
  let failed = false;
  const startedAt = Date.now();
  const counter = createCounter();
  // Watched keys and pub/sub subscribers: what the loop keeps about clients between requests.
  const clients = ClientRequest.createState(store.table);
  const context: Commands.Context = {
    info: (sections) => Info.render({
      store, server: { port: options.port ?? 0, dir, startedAt }, now: Date.now(),
      clients: options.clients === undefined ? -1 : Atomics.load(options.clients, 0),
      commands: counter.total, opsPerSec: counter.perSecond(Date.now()),
    }, sections),
  };
  try {
    options.onReady?.(store);
    return yield* Eio.Switch.run((sw) => {
      if (policy === "everysec") Eio.Fiber.fork(sw, syncEverySecond);
      return loop(sw);
    });
  } finally {
    try {
      if (unsynced && !failed) Storage.syncNow(store);
    } finally {
      Storage.close(store);
    }
  }

  function* syncEverySecond(): Eio.Operation<void> {
    for (;;) {
      yield* Eio.Time.sleep(clock!, 1);
      if (!unsynced) continue;
      unsynced = false;
      try {
        yield* Eio.Fiber.awaitNative(Storage.sync(store));
      } catch (error) {
        if (!(error instanceof Eio.Cancel.Cancelled)) failed = true;
        throw error;
      }
    }
  }

  function* loop(sw: Eio.Switch.Switch): Eio.Operation<never> {
    const batch: Request[] = [];
    const replies: Uint8Array[] = [];
    for (;;) {
      batch.push(yield* Eio.Stream.take(queue));
      for (let next; batch.length < maxBatch && (next = Eio.Stream.takeNonblocking(queue)) !== undefined; ) batch.push(next);
      const now = Date.now();
      for (const request of batch) {
        replies.push(joinReplies(ClientRequest.run(clients, store.table, request, now, context), maxReplyBytes));
        counter.add(request.commands.length, now);
      }
      Table.sweepExpired(store.table, now, 20);
      try {
        if (Storage.append(store) > 0) {
          if (policy === "always") yield* Eio.Fiber.awaitNative(Storage.sync(store));
          else unsynced = true;
        }
      } catch (error) {
        failed = true;
        const reply = Resp.error(`ERR storage failure, nothing was acknowledged: ${error instanceof Error ? error.message : error}`);
        for (const request of batch) Eio.Promise.tryResolve(request.resolver, Buffer.concat(request.commands.map(() => reply)));
        throw error;
      }
      // Pub/sub's messages and confirmations, after the commit as every reply, and before the
      // replies: a subscriber's confirmation is in its mailbox when its request is answered.
      for (const [client, bytes] of ClientRequest.takeDeliveries(clients)) {
        try {
          yield* Eio.Stream.add(client.mailbox, bytes);
        } catch {
          ClientRequest.undeliverable(clients, client);
        }
      }
      for (let i = 0; i < batch.length; i++) {
        const request = batch[i]!;
        try {
          Eio.Promise.resolve(request.resolver, replies[i]!);
        } catch (error) {
          // The reply could not be handed over (too large to cross): the commands did run.
          const reply = Resp.error(`ERR reply could not be sent: ${error instanceof Error ? error.message : String(error)}`);
          Eio.Promise.tryResolve(request.resolver, Buffer.concat(request.commands.map(() => reply)));
        }
      }
      batch.length = 0;
      replies.length = 0;
      if (Storage.rewriteDue(store)) {
        Eio.Fiber.fork(sw, function* rewriteLog() {
          yield* Eio.Fiber.awaitNative(Storage.rewrite(store));
        });
      }
    }
  }
}

/**
 * Options for {@link submit}: whether the reply crosses domains, and a request's client and
 * transaction marks.
 *
 * @example
 * ```ts
 * const options: Store.SubmitOptions = { shared: true, exec: true, client: { id: "1:7" } };
 * ```
 */
export interface SubmitOptions extends Pick<Request, "client" | "exec"> {
  /** The store runs in another domain: the reply's promise must be shared. */
  shared?: boolean;
}

/**
 * Sends `commands` to the store and waits for their replies (Eio's `Stream.add` then
 * `Promise.await`, as in the blog's `Store.set`).
 *
 * Suspends: yes — use `yield*`. Waits for room in the queue, then for the commit.
*
 * @example
 * ```ts
 * const reply = yield* Store.submit(queue, [[Buffer.from("SET"), Buffer.from("k"), Buffer.from("v")]]);
 * Buffer.from(reply).toString(); // "+OK\r\n", once it is on disk
 * ```
 */
export function* submit(queue: Queue, commands: Uint8Array[][], options: SubmitOptions = {}): Eio.Operation<Uint8Array> {
  const [promise, resolver] = Eio.Promise.create<Uint8Array>({ shared: options.shared === true });
  const request: Request = { commands, resolver };
  if (options.client !== undefined) request.client = options.client;
  if (options.exec === true) request.exec = true;
  yield* Eio.Stream.add(queue, request);
  return yield* Eio.Promise.await(promise);
}

/**
 * What the storage domain reports once its log is replayed.
 *
 * @example
 * ```ts
 * const info: Store.ReadyInfo = yield* Eio.Promise.await(ready);
 * ```
 */
export interface ReadyInfo {
  /** Log records replayed. */
  recovered: number;
  /** Bytes of a torn tail that were cut (or of damage dropped by a repair). */
  droppedBytes: number;
}

/**
 * The storage domain's job (a task: `Eio.task(storeModuleUrl, "storageDomain")`, submitted to
 * an `Eio.ExecutorPool` with weight 1.0): {@link serve} until `stop` is resolved. `ready` is
 * resolved once the log is replayed, so the server can start accepting clients after it.
 *
 * Suspends: yes — use `yield*`. Returns once `stop` is resolved and the log is closed.
*
 * @example
 * ```ts
 * const task = Eio.task(new URL("./store.js", import.meta.url), "storageDomain");
 * Eio.ExecutorPool.submitFork(sw, pool, { weight: 1.0 }, task, queue, "data", {}, setReady, stop);
 * ```
 */
export function* storageDomain(
  queue: Queue,
  dir: string,
  options: Pick<ServeOptions, "compactBytes" | "maxBatch" | "repair" | "appendfsync" | "clock" | "clients" | "port">,
  ready: Eio.Promise.Resolver<ReadyInfo>,
  stop: Eio.Promise.Promise<void>,
): Eio.Operation<void> {
  // Named functions: traces name the fibers after them.
  yield* Eio.Fiber.first(
    function storageLoop() {
      return serve(queue, dir, {
        ...options,
        onReady: (store) => Eio.Promise.resolve(ready, { recovered: store.stats.recovered, droppedBytes: store.stats.droppedBytes }),
      });
    },
    function awaitStop() {
      return Eio.Promise.await(stop);
    },
  );
}
