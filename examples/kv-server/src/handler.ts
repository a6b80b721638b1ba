/**
 * The connection handler that `Eio.Net.runServer` runs for every client, in whichever domain
 * accepted it (so it is a task: an export of this module, with its arguments cloned into each
 * domain; the queue is a shared stream and arrives as a live handle).
 * @module
 */
import * as Eio from "eio-ts";
import * as Connection from "./connection.js";
import * as Session from "./session.js";
import * as Store from "./store.js";

/** Wraps an Eio flow as the connection's channel. */
function channelOf(flow: Eio.Net.Stream): Connection.Channel {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  return {
    *read() {
      try {
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
 * Serves one client connection: `(flow, clientAddr, queue, server)`, as `runServer` calls it.
 * Data commands go to the storage domain through `queue`, each request with a promise for its
 * replies (shared when `shared` is set, so that another domain can resolve it).
 *
 * Suspends: yes — use `yield*`. Returns when the client disconnects or quits.
*
 * @example
 * ```ts
 * const handler = Eio.task(new URL("./handler.js", import.meta.url), "handleClient");
 * yield* Eio.Net.runServer(socket, handler, { additionalDomains: [dm, 1], args: [queue, server], onError });
 * ```
 */
export function* handleClient(
  flow: Eio.Net.Stream,
  clientAddr: Eio.Net.Sockaddr,
  queue: Store.Queue,
  server: Session.ServerInfo & { shared: boolean; host: string },
): Eio.Operation<void> {
  const session = Session.create(server, describe(clientAddr), `${server.host}:${server.port}`);
  const shared = server.shared;
  yield* Connection.serve(channelOf(flow), session, (commands) => Store.submit(queue, commands, { shared }));
}
