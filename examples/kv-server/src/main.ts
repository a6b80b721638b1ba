#!/usr/bin/env node
/**
 * The kv-server program: replays the log, listens on 127.0.0.1:6380 (by default), prints the
 * address, and serves Redis clients until SIGINT or SIGTERM, when it stops cleanly.
 * @module
 */
import * as Eio from "eio-ts";
import * as Config from "./config.js";
import * as Connection from "./connection.js";
import * as NodeNet from "./node-net.js";
import * as Session from "./session.js";
import type * as Storage from "./storage.js";
import * as Store from "./store.js";

let config: Config.Config;
try {
  config = Config.parse(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}

const stop = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => stop.abort(new Error(`received ${signal}`)));
}

try {
  await Eio.run(
    function* () {
      yield* Eio.Switch.run(function* (sw) {
        const queue = Eio.Stream.create<Store.Request>(1024);
        let store: Storage.Store | undefined;
        Eio.Fiber.fork(sw, () => Store.serve(queue, config.dir, { compactBytes: config.compactBytes, onReady: (s) => (store = s) }));
        const listener = yield* NodeNet.listen(config.host, config.port);
        Eio.Switch.onRelease(sw, () => NodeNet.close(listener));
        const { host, port } = NodeNet.address(listener);
        const server: Session.ServerInfo = { port, dir: config.dir, startedAt: Date.now() };
        console.log(`kv-server listening on ${host}:${port} (data in ${config.dir}, ${store?.stats.recovered ?? 0} log records replayed)`);
        for (;;) {
          const socket = yield* NodeNet.accept(listener);
          Eio.Fiber.fork(sw, function* () {
            const session = Session.create(server, `${socket.remoteAddress}:${socket.remotePort}`, `${host}:${port}`);
            try {
              yield* Connection.serve(NodeNet.channel(socket), session, (commands) => Store.submit(queue, commands));
            } catch (error) {
              if (error instanceof Eio.Cancel.Cancelled) throw error;
              console.error(`kv-server: connection ${session.address}: ${error instanceof Error ? error.message : error}`);
            } finally {
              socket.end();
            }
          });
        }
      });
    },
    { signal: stop.signal },
  );
} catch (error) {
  if (!stop.signal.aborted) {
    console.error("kv-server failed:", error);
    process.exit(1);
  }
}
console.log("kv-server stopped");
