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
import * as Blocking from "./blocking.js";
import * as ClientRequest from "./client-request.js";
import type * as Commands from "./commands.js";
import * as DiskError from "./disk-error.js";
import * as Frame from "./frame.js";
import * as Info from "./info.js";
import * as KeysJob from "./keys-job.js";
import * as LiveConfig from "./live-config.js";
import type * as LogFile from "./log-file.js";
import * as Resp from "./resp.js";
import * as Storage from "./storage.js";
import * as Table from "./table.js";

/**
 * A batch of data commands from one connection, with where to put their replies, as arrays of
 * arguments: the form of requests that name their client or are a transaction, and of requests
 * too long for a frame (see {@link FrameRequest}). Arguments and replies are bytes: a Buffer
 * crosses to the storage domain as its own bytes.
 *
 * @example
 * ```ts
 * const [replies, resolver] = Eio.Promise.create<Uint8Array>({ shared: true });
 * const request: Store.ArrayRequest = { commands: [[Buffer.from("GET"), Buffer.from("k")]], resolver };
 * ```
 */
export interface ArrayRequest {
  /** Each command's arguments, name first. */
  commands: Uint8Array[][];
  /** Resolved with the concatenated replies, in order, once they are durable. */
  resolver: Eio.Promise.Resolver<Uint8Array>;
  /**
   * The most bytes of replies the client may get (its `client-output-buffer-limit`; absent or
   * 0: none). Past it the request's remaining commands are not run (as Redis stops reading a
   * client it will close) and the request gets an empty reply: close the client.
   */
  replyLimit?: number;
  /** The client, for WATCH, UNWATCH, EXEC and pub/sub (see client-request.ts). */
  client?: ClientRequest.Client;
  /** The commands are one transaction, EXEC's: run together, answered as one array. */
  exec?: boolean;
}

/**
 * Plain data requests as one byte frame (frame.ts): one item crosses, copied once, and the
 * store reads the arguments as views of it. A frame of one request is answered with its
 * replies, as an {@link ArrayRequest}; a frame of several (gather.ts: several clients' requests
 * of one event-loop turn) with `Frame.joinReplies` of each request's replies. Each request in
 * it has its own reply limit: one going over it gets its empty reply, the others theirs.
 *
 * @example
 * ```ts
 * const request: Store.FrameRequest = { frame: Frame.encode([[Buffer.from("GET"), Buffer.from("k")]], 0), resolver };
 * ```
 */
export interface FrameRequest {
  frame: Uint8Array;
  resolver: Eio.Promise.Resolver<Uint8Array>;
}

/**
 * What crosses to the store on its queue.
 *
 * @example
 * ```ts
 * const request: Store.Request = { commands: [[Buffer.from("GET"), Buffer.from("k")]], resolver };
 * ```
 */
export type Request = ArrayRequest | FrameRequest;

/** Several requests of one frame, answered together once all have run. */
interface Group {
  readonly resolver: Eio.Promise.Resolver<Uint8Array>;
  readonly jobs: Job[];
  readonly replies: Uint8Array[];
  left: number;
}

/** A request as the loop runs it: its commands decoded, and where its reply goes. */
interface Job {
  commands: Uint8Array[][];
  replyLimit?: number;
  client?: ClientRequest.Client;
  exec?: boolean;
  /** Its own promise, or null when its reply goes into `group` at `slot`. */
  resolver: Eio.Promise.Resolver<Uint8Array> | null;
  group: Group | null;
  slot: number;
}

/**
 * The jobs of an item of the queue, pushed onto `batch`. A frame that cannot be decoded (only a
 * sender's bug can make one) is answered with an error at once, and fails no one else.
 */
function intake(item: Request, batch: Job[]): void {
  if (!("frame" in item)) {
    const job: Job = { commands: item.commands, resolver: item.resolver, group: null, slot: 0 };
    if (item.replyLimit !== undefined) job.replyLimit = item.replyLimit;
    if (item.client !== undefined) job.client = item.client;
    if (item.exec === true) job.exec = true;
    batch.push(job);
    return;
  }
  let decoded: Frame.Decoded[];
  try {
    decoded = Frame.decode(item.frame);
  } catch (error) {
    Eio.Promise.tryResolve(item.resolver, Resp.error(`ERR internal error: ${error instanceof Error ? error.message : String(error)}`));
    return;
  }
  if (decoded.length === 1) {
    const { commands, replyLimit } = decoded[0]!;
    batch.push(replyLimit > 0 ? { commands, replyLimit, resolver: item.resolver, group: null, slot: 0 } : { commands, resolver: item.resolver, group: null, slot: 0 });
    return;
  }
  const group: Group = { resolver: item.resolver, jobs: [], replies: new Array(decoded.length), left: decoded.length };
  if (decoded.length === 0) Eio.Promise.tryResolve(item.resolver, Frame.joinReplies([]));
  for (let i = 0; i < decoded.length; i++) {
    const { commands, replyLimit } = decoded[i]!;
    const job: Job = replyLimit > 0 ? { commands, replyLimit, resolver: null, group, slot: i } : { commands, resolver: null, group, slot: i };
    group.jobs.push(job);
    batch.push(job);
  }
}

/** Each command's reply replaced by `error` (a reply that could not be sent or logged). */
function errorReplies(job: Job, error: Buffer): Buffer {
  return job.exec === true ? error : Buffer.concat(job.commands.map(() => error));
}

/**
 * Hands a job's reply over: into its promise, or into its group's place, the group's promise
 * resolved once all its requests are answered. A reply that cannot be handed over (too large to
 * cross) becomes an error reply to each command (they did run); a group's then gives that error
 * to each of its requests.
 */
function answer(job: Job, reply: Uint8Array): void {
  const group = job.group;
  if (group === null) {
    try {
      Eio.Promise.resolve(job.resolver!, reply);
    } catch (error) {
      Eio.Promise.tryResolve(job.resolver!, errorReplies(job, notSent(error)));
    }
    return;
  }
  group.replies[job.slot] = reply;
  if (--group.left > 0) return;
  try {
    Eio.Promise.resolve(group.resolver, Frame.joinReplies(group.replies));
  } catch (error) {
    const reply = notSent(error);
    Eio.Promise.tryResolve(group.resolver, Frame.joinReplies(group.jobs.map((member) => errorReplies(member, reply))));
  }
}

function notSent(error: unknown): Buffer {
  return Resp.error(`ERR reply could not be sent: ${error instanceof Error ? error.message : String(error)}`);
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
  /** Settings CONFIG SET may change: `appendfsync` is read from it at every batch when given. */
  live?: LiveConfig.Live;
  /** Where the store tells the connections whether the log can be written (they refuse PING while it cannot). */
  diskStatus?: DiskError.Status;
  /** The file system (env.fs) the log is opened on for appending, through `Eio.Path` (required). */
  fs?: Eio.Path.Path;
  /** The log's open flags (`--log-open-flags`): O_DSYNC, O_DIRECT; none by default. */
  logOpenFlags?: LogFile.Flags;
  /**
   * The connections are fibers of this thread (`--single-domain`): before a batch's changes
   * are written, the rest of the event loop's turn runs, so that every request already read
   * joins the batch, as Redis writes and fsyncs once per turn (its `beforeSleep`). In a
   * storage domain of its own the connections go on queueing requests while it writes and
   * fsyncs, and the next batch takes them all: there a turn costs more than it gathers.
   */
  beforeSleep?: boolean;
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

/** An empty reply: the request went over its reply limit, the client is to be closed. */
const OVER_LIMIT = new Uint8Array(0);

/** A request being run: where it is, and its replies so far. */
interface Running {
  readonly request: Job;
  /** The next command to run. */
  index: number;
  readonly parts: Buffer[];
  total: number;
  /** A KEYS under way, run a slice at a time between the other requests. */
  job: KeysJob.Job | null;
  /** A batch with some of its commands failed to reach the log: the request is not acknowledged. */
  unlogged: Buffer | null;
}

/**
 * Runs a request's commands onward, and returns their replies as one buffer once they have all
 * run, or null when a KEYS is under way (call again, after serving the others). Past
 * `maxReplyBytes` the replies still to be built are errors (so a pipeline of GETs of a large
 * value cannot fill the memory), and the largest built ones are replaced by errors if need be;
 * past the request's `replyLimit` the rest is not run and the reply is {@link OVER_LIMIT}.
 */
function advance(
  running: Running, clients: ClientRequest.State, table: Table.Table, now: number, context: Commands.Context, maxReplyBytes: number, refused: Buffer | null,
): Uint8Array | null {
  const limit = running.request.replyLimit ?? 0;
  const commands = running.request.commands;
  for (;;) {
    let reply: Buffer;
    if (running.job !== null) {
      const keys = KeysJob.step(running.job, KeysJob.SLICE_KEYS);
      if (keys === null) return null;
      running.job = null;
      reply = keys;
    } else {
      if (running.index >= commands.length) {
        if (running.unlogged !== null) return Buffer.concat(commands.map(() => running.unlogged!));
        return joinReplies(running.parts, maxReplyBytes);
      }
      const args = commands[running.index++] as Buffer[];
      running.job = KeysJob.start(table, args, now);
      if (running.job !== null) continue;
      reply = refused === null ? ClientRequest.execute(clients, table, args, now, context) : refusingWrites(clients, table, args, now, context, refused);
      // Clients blocked on a key this command filled are served now, before the next command.
      ClientRequest.serveBlocked(clients, table, now);
    }
    if (limit > 0 && running.total + reply.length > limit) return OVER_LIMIT;
    // Small replies are kept: they cannot fill the memory, and the final join picks the largest.
    if (running.total > maxReplyBytes && reply.length > 1024) {
      reply = Resp.error(`ERR reply too large to send: ${reply.length} bytes, with ${running.total + reply.length} in this request (the most is ${maxReplyBytes})`);
    }
    running.parts.push(reply);
    running.total += reply.length;
  }
}

/**
 * Runs a command while the log cannot be written: a write gets the MISCONF error and is not run;
 * a command that changed the table anyway (one not known as a write) gets it too, for its change
 * is not in the log; a read that only dropped expired keys is answered.
 */
function refusingWrites(clients: ClientRequest.State, table: Table.Table, args: Buffer[], now: number, context: Commands.Context, refused: Buffer): Buffer {
  if (isWrite(args)) return refused;
  const { changes, expired } = table.counters;
  const reply = ClientRequest.execute(clients, table, args, now, context);
  return table.counters.changes - changes > table.counters.expired - expired ? refused : reply;
}

function isWrite(args: Uint8Array[]): boolean {
  return DiskError.WRITE_COMMANDS.has(Buffer.from(args[0]!).toString("latin1").toLowerCase());
}

/**
 * Runs a request of a named client (WATCH, pub/sub) or a transaction whole, as client-request.ts
 * does. While the log cannot be written, one holding a write is refused whole (EXEC with a write
 * gets the MISCONF error, as in Redis).
 */
function runWhole(clients: ClientRequest.State, table: Table.Table, request: Job, now: number, context: Commands.Context, maxReplyBytes: number, refused: Buffer | null): Uint8Array {
  if (refused !== null && request.commands.some(isWrite)) return request.exec === true ? refused : Buffer.concat(request.commands.map(() => refused));
  return joinReplies(ClientRequest.run(clients, table, request, now, context), maxReplyBytes);
}

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
 * log cannot be written or synced, the requests of that batch get Redis's MISCONF error (never
 * an OK); from then on writes get it too and are not run, reads are answered, and every second
 * the log is rewritten from memory until that succeeds, when writes are taken again.
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
  let policy = options.appendfsync ?? "always";
  if (!["always", "everysec", "no"].includes(policy)) {
    throw new RangeError(`Store.serve: appendfsync must be always, everysec or no, got ${JSON.stringify(policy)}`);
  }
  const clock = options.clock;
  if (policy === "everysec" && clock === undefined) throw new TypeError("Store.serve: appendfsync everysec needs a clock");
  const fs = options.fs;
  if (fs === undefined) throw new TypeError("Store.serve: options.fs (env.fs) is needed to open the log");
  // Opened in the switch below: its files belong to it.
  let store!: Storage.Store;
  // Appended but not yet synced (everysec and no only: always syncs before it replies).
  let unsynced = false;
  // After a failed write or sync the state of the file is unknown: no last sync then.
  let failed = false;
  // Set while the log cannot be written (strerror's text): writes get MISCONF errors.
  let diskError: string | null = null;
  const startedAt = Date.now();
  const counter = createCounter();
  let rewriteSwitch: Eio.Switch.Switch | null = null;
  // Watched keys and pub/sub subscribers: what the loop keeps about clients between requests.
  let clients!: ClientRequest.State;
  const context: Commands.Context = {
    bgrewriteaof: () => {
      if (Storage.rewriting(store)) return Resp.error("ERR Background append only file rewriting already in progress");
      if (diskError !== null || rewriteSwitch === null) return Resp.error(`ERR Background append only file rewriting can't start now: ${diskError ?? "the store is stopping"}`);
      Eio.Fiber.fork(rewriteSwitch, function* rewriteLog() {
        yield* Storage.rewrite(store);
      });
      return Resp.simple("Background append only file rewriting started");
    },
    info: (sections) => Info.render({
      store, server: { port: options.port ?? 0, dir, startedAt }, now: Date.now(),
      clients: options.clients === undefined ? -1 : Atomics.load(options.clients, 0),
      commands: counter.total, opsPerSec: counter.perSecond(Date.now()), blocked: Blocking.count(clients.blocked),
    }, sections),
  };
  return yield* Eio.Switch.run(function* (sw) {
    store = yield* Storage.open(sw, Eio.Path.join(fs, dir), options);
    clients = ClientRequest.createState(store.table);
    try {
      options.onReady?.(store);
      rewriteSwitch = sw;
      // With live settings, CONFIG SET may turn everysec on later: the fiber waits for it.
      // Its one-second timer also decides how the storage domain waits for requests: a pending
      // timer is an external wait that is not another domain's, so the idle policy neither
      // spins on the queue nor blocks in Atomics.wait, but parks the thread in the event loop
      // (Atomics.waitAsync) between batches. The server passes live settings, so this holds
      // under `always` too. Spinning, or blocking and waking every 0.5 ms, between batches
      // costs more than it saves when the batches come from another thread on the same two
      // cores (see packages/eio/src/shared/idle-policy.ts): with this fiber not started under
      // `always` (an experiment), GET -P 1's storage domain took 8.2-9.0 us of CPU a request
      // instead of 4.2-5.0 (redis-benchmark -c 50, two runs each, loaded machine), and SET's
      // 13.0 instead of 11.5-12.2. Idle, the domain wakes once a second (measured on an idle
      // server from its thread's /proc/PID/task/TID stat and status over 5 s: 5 context
      // switches and no CPU tick, under both policies).
      if (policy === "everysec" || (options.live !== undefined && clock !== undefined)) Eio.Fiber.fork(sw, () => syncEverySecond(sw));
      return yield* loop(sw);
    } finally {
      try {
        // The last sync, even when the store is stopped by cancellation.
        if (unsynced && !failed && diskError === null) yield* Eio.Cancel.protect(() => Storage.sync(store));
      } finally {
        yield* Storage.close(store);
      }
    }
  });

  function* syncEverySecond(sw: Eio.Switch.Switch): Eio.Operation<void> {
    for (;;) {
      yield* Eio.Time.sleep(clock!, 1);
      if (!unsynced || diskError !== null || policy !== "everysec") continue;
      unsynced = false;
      try {
        yield* Storage.sync(store);
      } catch (error) {
        if (error instanceof Eio.Cancel.Cancelled) throw error;
        // What was acknowledged since the last sync is still in memory: the rewrite that ends
        // the disk error puts it in the log.
        yield* enterDiskError(sw, error);
      }
    }
  }

  /** The log could not be written or synced: refuse writes until a rewrite succeeds. */
  function* enterDiskError(sw: Eio.Switch.Switch, error: unknown): Eio.Operation<void> {
    const first = diskError === null;
    diskError = DiskError.describe(error);
    if (options.diskStatus !== undefined) DiskError.publish(options.diskStatus, diskError);
    unsynced = false;
    if (!first) return;
    store.log(`error writing to the log: ${diskError}; writes are refused (MISCONF) until it can be written again, retried every second`);
    // A rewrite begun before may lack this batch's changes: only one begun from now on may end it.
    yield* Storage.abandonRewrite(store);
    Eio.Fiber.fork(sw, function* recoverLog() {
      while (diskError !== null) {
        if (clock !== undefined) yield* Eio.Time.sleep(clock, 1);
        else yield* Eio.Fiber.awaitNative(new Promise<void>((resolve) => setTimeout(resolve, 1000)));
        const before = store.stats.compactions;
        yield* Storage.rewrite(store);
        if (store.stats.compactions > before) {
          diskError = null;
          if (options.diskStatus !== undefined) DiskError.publish(options.diskStatus, null);
          store.stats.lastWriteStatus = "ok";
          store.log("the log can be written again (rewritten from memory): writes are accepted");
        }
      }
    });
  }

  function* loop(sw: Eio.Switch.Switch): Eio.Operation<never> {
    const batch: Job[] = [];
    // Requests with a KEYS under way: each gets a slice per round, between the others.
    let active: Running[] = [];
    const done: { request: Job; reply: Uint8Array }[] = [];
    // When the last event-loop turn began (see below).
    let turnAt = performance.now();
    for (;;) {
      // Items, not jobs, are counted against maxBatch: a frame of several requests is one.
      let items = 0;
      if (active.length === 0) {
        intake(yield* Eio.Stream.take(queue), batch);
        items++;
      }
      // With work under way, let the rest run first: a turn of the event loop, so that sockets
      // are read (with --single-domain the connections are fibers of this very thread).
      else yield* Eio.Fiber.awaitNative(new Promise<void>((resolve) => setImmediate(resolve)));
      for (let next; items < maxBatch && (next = Eio.Stream.takeNonblocking(queue)) !== undefined; items++) intake(next, batch);
      if (options.live !== undefined) policy = LiveConfig.read(options.live).appendfsync;
      const now = Date.now();
      const still: Running[] = [];
      const refused = diskError === null ? null : DiskError.misconf(diskError);
      const run = (running: Running): void => {
        const request = running.request;
        const reply = request.client !== undefined || request.exec === true
          ? runWhole(clients, store.table, request, now, context, maxReplyBytes, refused)
          : advance(running, clients, store.table, now, context, maxReplyBytes, refused);
        if (reply === null) still.push(running);
        else done.push({ request: running.request, reply });
      };
      const runBatch = (): void => {
        for (const request of batch) {
          run({ request, index: 0, parts: [], total: 0, job: null, unlogged: null });
          counter.add(request.commands.length, now);
        }
        batch.length = 0;
      };
      for (const running of active) run(running);
      runBatch();
      // As Redis's beforeSleep: with changes to write, the rest of this turn of the event loop
      // runs first, so that the requests already read (by this very thread's connections) are
      // run into this batch and share its write and its fsync, under everysec as under always.
      // Not during a rewrite, whose writes and switch need the loop's turns more than the batch
      // needs to grow.
      if (options.beforeSleep === true && diskError === null && (store.table.journal?.length ?? 0) > 0 && !Storage.rewriting(store)) {
        yield* Eio.Fiber.awaitNative(new Promise<void>((resolve) => setImmediate(resolve)));
        items = 0;
        for (let next; items < maxBatch && (next = Eio.Stream.takeNonblocking(queue)) !== undefined; items++) intake(next, batch);
        runBatch();
      }
      active = still;
      Table.sweepExpired(store.table, now, 20);
      // A batch whose log write or sync failed: its blocked clients' pops are taken back too.
      let failed: Buffer | null = null;
      // While the log cannot be written, only expired keys' removals and refused changes are
      // journaled: dropped, as the rewrite that ends this state writes the whole table.
      if (diskError !== null) {
        Table.takeJournal(store.table);
        Table.settle(store.table);
      } else {
        try {
          if ((yield* Storage.append(store)) > 0) {
            if (policy === "always") yield* Storage.sync(store);
            else unsynced = true;
          }
          Table.settle(store.table);
        } catch (error) {
          if (error instanceof Eio.Cancel.Cancelled) throw error;
          // Nothing of this batch is acknowledged, so none of its changes may be seen: the table
          // is put back as it was before the batch (Table.rollback says why undo), and the
          // rewrite that ends this state writes the table as it is then.
          Table.rollback(store.table);
          yield* enterDiskError(sw, error);
          failed = DiskError.misconf(diskError!);
          const reply = failed;
          for (const entry of done) entry.reply = errorReplies(entry.request, reply);
          for (const running of active) running.unlogged = reply;
        }
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
      // Blocked clients served in this batch: their pops are committed with it.
      for (const [wake, served] of ClientRequest.takeWakes(clients)) {
        try {
          // What it took was put back by the rollback: nothing to undo, the client gets the error.
          Eio.Promise.resolve(wake, failed === null ? served : { reply: failed });
        } catch (error) {
          const reply = Resp.error(`ERR reply could not be sent: ${error instanceof Error ? error.message : String(error)}`);
          Eio.Promise.tryResolve(wake, { ...served, reply });
        }
      }
      for (const { request, reply } of done) answer(request, reply);
      batch.length = 0;
      done.length = 0;
      // A commit on this thread (log-file.ts) gives Node's event loop no turn, and while requests
      // keep coming nothing else here would: give it one every millisecond at least, so that a
      // rewrite's writes on libuv's pool, the timers and (with --single-domain) the sockets go on.
      if (performance.now() - turnAt >= 1) {
        yield* Eio.Fiber.awaitNative(new Promise<void>((resolve) => setImmediate(resolve)));
        turnAt = performance.now();
      }
      if (Storage.rewriteDue(store)) {
        Eio.Fiber.fork(sw, function* rewriteLog() {
          yield* Storage.rewrite(store);
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
export interface SubmitOptions extends Pick<ArrayRequest, "client" | "exec" | "replyLimit"> {
  /** The store runs in another domain: the reply's promise must be shared. */
  shared?: boolean;
}

/**
 * Sends `commands` to the store and waits for their replies (Eio's `Stream.add` then
 * `Promise.await`, as in the blog's `Store.set`).
 *
 * Suspends: yes — use `yield*`. Waits for room in the queue, then for the commit. With a
 * `replyLimit`, an empty reply means the replies went over it: the client is to be closed.
 *
 * @example
 * ```ts
 * const reply = yield* Store.submit(queue, [[Buffer.from("SET"), Buffer.from("k"), Buffer.from("v")]]);
 * Buffer.from(reply).toString(); // "+OK\r\n", once it is on disk
 * ```
 */
export function* submit(queue: Queue, commands: Uint8Array[][], options: SubmitOptions = {}): Eio.Operation<Uint8Array> {
  const [promise, resolver] = Eio.Promise.create<Uint8Array>({ shared: options.shared === true });
  const request: ArrayRequest = { commands, resolver };
  if (options.replyLimit !== undefined && options.replyLimit > 0) request.replyLimit = options.replyLimit;
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
  options: Pick<ServeOptions, "compactBytes" | "maxBatch" | "repair" | "appendfsync" | "clock" | "clients" | "port" | "live" | "fs" | "logOpenFlags" | "beforeSleep">,
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
