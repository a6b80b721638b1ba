/**
 * The connection handler that `Eio.Net.runServer` runs for every client, in whichever domain
 * accepted it (so it is a task: an export of this module, with its arguments cloned into each
 * domain; the queue is a shared stream and arrives as a live handle). It applies the limits
 * that Redis applies to a client: `maxclients` (counted across domains in shared memory),
 * `timeout`, `proto-max-bulk-len` and `client-query-buffer-limit`.
 * @module
 */
import * as Eio from "eio-ts";
import * as Connection from "./connection.js";
import * as DiskError from "./disk-error.js";
import * as Gather from "./gather.js";
import * as LiveConfig from "./live-config.js";
import * as OutputLimit from "./output-limit.js";
import * as ProtectedMode from "./protected-mode.js";
import * as Session from "./session.js";
import * as Store from "./store.js";

/**
 * What the handler needs to know about the server, besides what sessions report. The settings
 * CONFIG SET changes are read from `live` at each use, so a change reaches every domain.
 *
 * @example
 * ```ts
 * const server: Handler.Server = {
 *   port: 6380, dir: "data", startedAt: Date.now(), host: "127.0.0.1", shared: true,
 *   clients: new Int32Array(new SharedArrayBuffer(4)), shutdownCell: new Int32Array(new SharedArrayBuffer(4)),
 *   live: LiveConfig.create({ maxclients: "10000" }),
 * };
 * ```
 */
export interface Server extends Session.ServerInfo {
  host: string;
  /** Whether requests cross domains (then their promises are shared). */
  shared: boolean;
  /** The number of clients connected, in shared memory: one cell, for every domain. */
  clients: Int32Array;
  /** Set to 1 by SHUTDOWN (and notified): the main domain then stops the server as on SIGTERM. */
  shutdownCell: Int32Array;
  /** maxclients, timeout, requirepass, protected-mode, the buffer limits, ... as set now. */
  live: LiveConfig.Live;
  /** Whether the store can write its log (PING is refused while it cannot). */
  diskStatus?: DiskError.Status;
}

const MAX_CLIENTS_REACHED = Buffer.from("-ERR max number of clients reached\r\n");

/** Thrown by a write that stayed over the soft output-buffer limit for its seconds. */
class SoftLimitExceeded extends Error {}

/**
 * Wraps an Eio flow as the connection's channel; a read waits at most `timeout` seconds (unless
 * the client is blocked or subscribed: see `Connection.Channel`). A
 * write of more than the soft output-buffer limit that the client has not taken within its
 * seconds throws {@link SoftLimitExceeded} (Redis's soft limit: over it for that long).
 */
class SocketChannel implements Connection.Channel {
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);
  /** True while a read waits for the client. */
  reading = false;
  private drained = false;

  constructor(private readonly flow: Eio.Net.Stream, private readonly clock: Eio.Time.Clock, private readonly live: LiveConfig.Live) {}

  /** Reads nothing more: the next read returns null (end of input). */
  drain(): void {
    this.drained = true;
  }

  // Methods of a class, not closures made per connection: every connection's generators share
  // one prototype, so the code that resumes them stays monomorphic (V8 gives each generator
  // function its own prototype, and each prototype its own map).
  *read(busy?: boolean): Eio.Operation<Uint8Array | null> {
    if (this.drained) return null;
    const { flow, clock, live, buffer } = this;
    const timeout = busy === true ? 0 : LiveConfig.read(live).timeout;
    this.reading = true;
    try {
      let n: number;
      if (timeout > 0) {
        const result = yield* Eio.Time.withTimeout(clock, timeout, function* () {
          return { ok: true as const, value: yield* Eio.Flow.read(flow, buffer) };
        });
        // Idle too long: end the connection, as Redis does, without a reply.
        if (!result.ok) return null;
        n = result.value;
      } else n = yield* Eio.Flow.read(flow, buffer);
      // Copied: the parser keeps what it has not consumed, and the buffer is reused.
      const chunk = Buffer.allocUnsafe(n);
      buffer.copy(chunk, 0, 0, n);
      return chunk;
    } catch (error) {
      if (error instanceof Eio.Flow.EndOfFile || error instanceof Eio.Net.ConnectionReset) return null;
      throw error;
    } finally {
      this.reading = false;
    }
  }

  *write(bytes: Uint8Array): Eio.Operation<void> {
    const { flow, clock, live } = this;
    const output = LiveConfig.read(live).outputBufferLimit.normal;
    try {
      if (output.soft > 0 && bytes.length > output.soft) {
        const written = yield* Eio.Time.withTimeout(clock, output.softSeconds, function* () {
          yield* Eio.Flow.write(flow, bytes);
          return { ok: true as const, value: undefined };
        });
        if (!written.ok) throw new SoftLimitExceeded(`soft limit of ${output.soft} bytes for ${output.softSeconds} s`);
        return;
      }
      yield* Eio.Flow.write(flow, bytes);
    } catch (error) {
      // The client went away; the next read reports the end.
      if (!(error instanceof Eio.Net.ConnectionReset)) throw error;
    }
  }
}

/** What sessions see of the server: the password and CONFIG's settings as they are now. */
function liveInfo(server: Server): Session.ServerInfo {
  const { live } = server;
  return {
    port: server.port, dir: server.dir, startedAt: server.startedAt,
    get requirepass() {
      return LiveConfig.read(live).requirepass;
    },
    get settings() {
      return LiveConfig.read(live).text;
    },
    configSet: (pairs) => LiveConfig.set(live, pairs),
    diskError: () => (server.diskStatus === undefined ? null : DiskError.current(server.diskStatus)),
    shutdown: () => {
      Atomics.store(server.shutdownCell, 0, 1);
      Atomics.notify(server.shutdownCell, 0);
    },
  };
}

/** This domain's gatherers, one per queue: a domain's connections share one. */
const gatherers = new WeakMap<Store.Queue, Gather.Gatherer>();

function gathererOf(queue: Store.Queue): Gather.Gatherer {
  let gatherer = gatherers.get(queue);
  if (gatherer === undefined) gatherers.set(queue, (gatherer = Gather.create(queue)));
  return gatherer;
}

function describe(addr: Eio.Net.Sockaddr): string {
  return "path" in addr ? addr.path : `${addr.host}:${addr.port}`;
}

/**
 * Serves one client connection: `(flow, clientAddr, queue, server, clock, draining)`, as
 * `runServer` calls it. Once `draining` resolves (the server is stopping) the connection ends:
 * at once if it is waiting for the client, else once the batch in flight is answered. Data commands go to the storage domain through `queue`, each request with a promise
 * for its replies (shared when `shared` is set, so that another domain can resolve it). A
 * client over `server.maxclients` gets `-ERR max number of clients reached` and is closed.
 *
 * Suspends: yes — use `yield*`. Returns when the client disconnects or quits.
*
 * @example
 * ```ts
 * const handler = Eio.task(new URL("./handler.js", import.meta.url), "handleClient");
 * yield* Eio.Net.runServer(socket, handler, { additionalDomains: [dm, 1], args: [queue, server, env.monoClock], onError });
 * ```
 */
export function* handleClient(
  flow: Eio.Net.Stream,
  clientAddr: Eio.Net.Sockaddr,
  queue: Store.Queue,
  server: Server,
  clock: Eio.Time.Clock,
  draining?: Eio.Promise.Promise<void>,
): Eio.Operation<void> {
  const channel = new SocketChannel(flow, clock, server.live);
  let session: Session.Session | null = null;
  try {
    const settings = LiveConfig.read(server.live);
    if (Atomics.add(server.clients, 0, 1) >= settings.maxclients) {
      yield* channel.write(MAX_CLIENTS_REACHED);
      return;
    }
    if (ProtectedMode.denies(settings.protectedMode, settings.requirepass, clientAddr)) {
      yield* channel.write(ProtectedMode.DENIED);
      return;
    }
    session = Session.create(liveInfo(server), describe(clientAddr), `${server.host}:${server.port}`);
    const shared = server.shared;
    const live = server.live;
    const limits: Connection.Limits = {
      maxBulk: settings.protoMaxBulkLen, shared, clock,
      // Read at each use: CONFIG SET reaches the connections already open, as in Redis.
      get queryBufferLimit() {
        return LiveConfig.read(live).clientQueryBufferLimit;
      },
      get outputBufferLimit() {
        return LiveConfig.read(live).outputBufferLimit.normal;
      },
    };
    const plain: Store.SubmitOptions = { shared };
    // Across domains, plain data requests go as frames, gathered with this domain's others of
    // the same turn (gather.ts); those naming their client or carrying a transaction as arrays.
    const gatherer = shared ? gathererOf(queue) : null;
    const submit: Connection.Submit = (commands, options) => {
      if (gatherer !== null && options?.client === undefined && options?.exec !== true) return Gather.submit(gatherer, commands, options?.replyLimit ?? 0);
      return Store.submit(queue, commands, options === undefined ? plain : { ...options, shared });
    };
    const serve = (): Eio.Operation<void> => Connection.serve(channel, session!, submit, limits);
    if (draining === undefined) yield* serve();
    else {
      yield* Eio.Fiber.first(serve, function* awaitDrain() {
        yield* Eio.Promise.await(draining);
        channel.drain();
        // Waiting for the client: end now. Else the batch in flight is answered first, and the
        // next read ends the connection.
        if (!channel.reading) yield* Eio.Promise.await(Eio.Promise.create<void>()[0]);
      });
    }
  } catch (error) {
    if (!(error instanceof SoftLimitExceeded)) throw error;
    console.log(OutputLimit.closedMessage(`id=${session?.id} addr=${session?.address}`, error.message));
  } finally {
    Atomics.sub(server.clients, 0, 1);
  }
}
