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
import * as Session from "./session.js";
import * as Store from "./store.js";

/**
 * What the handler needs to know about the server, besides what sessions report.
 *
 * @example
 * ```ts
 * const server: Handler.Server = {
 *   port: 6380, dir: "data", startedAt: Date.now(), host: "127.0.0.1", shared: true,
 *   clients: new Int32Array(new SharedArrayBuffer(4)), maxclients: 10000, timeout: 0,
 *   maxBulk: 512 * 1024 * 1024, queryBufferLimit: 1024 ** 3,
 * };
 * ```
 */
export interface Server extends Session.ServerInfo, Required<Connection.Limits> {
  host: string;
  /** Whether requests cross domains (then their promises are shared). */
  shared: boolean;
  /** The number of clients connected, in shared memory: one cell, for every domain. */
  clients: Int32Array;
  maxclients: number;
  /** Seconds a client may stay idle before it is closed (0: forever). */
  timeout: number;
}

const MAX_CLIENTS_REACHED = Buffer.from("-ERR max number of clients reached\r\n");

/** Wraps an Eio flow as the connection's channel; a read waits at most `timeout` seconds. */
function channelOf(flow: Eio.Net.Stream, clock: Eio.Time.Clock, timeout: number): Connection.Channel {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  return {
    *read() {
      try {
        if (timeout > 0) {
          const result = yield* Eio.Time.withTimeout(clock, timeout, function* () {
            return { ok: true as const, value: yield* Eio.Flow.read(flow, buffer) };
          });
          // Idle too long: end the connection, as Redis does, without a reply.
          if (!result.ok) return null;
          return Buffer.from(buffer.subarray(0, result.value));
        }
        const n = yield* Eio.Flow.read(flow, buffer);
        // Copied: the parser keeps what it has not consumed, and the buffer is reused.
        return Buffer.from(buffer.subarray(0, n));
      } catch (error) {
        if (error instanceof Eio.Flow.EndOfFile || error instanceof Eio.Net.ConnectionReset) return null;
        throw error;
      }
    },
    *write(bytes) {
      try {
        yield* Eio.Flow.write(flow, bytes);
      } catch (error) {
        // The client went away; the next read reports the end.
        if (!(error instanceof Eio.Net.ConnectionReset)) throw error;
      }
    },
  };
}

function describe(addr: Eio.Net.Sockaddr): string {
  return "path" in addr ? addr.path : `${addr.host}:${addr.port}`;
}

/**
 * Serves one client connection: `(flow, clientAddr, queue, server, clock)`, as `runServer`
 * calls it. Data commands go to the storage domain through `queue`, each request with a promise
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
): Eio.Operation<void> {
  const channel = channelOf(flow, clock, server.timeout);
  try {
    if (Atomics.add(server.clients, 0, 1) >= server.maxclients) {
      yield* channel.write(MAX_CLIENTS_REACHED);
      return;
    }
    const session = Session.create(server, describe(clientAddr), `${server.host}:${server.port}`);
    const shared = server.shared;
    yield* Connection.serve(channel, session, (commands, options) => Store.submit(queue, commands, { ...options, shared }), server);
  } finally {
    Atomics.sub(server.clients, 0, 1);
  }
}
