#!/usr/bin/env node
/**
 * The kv-server program: replays the log, listens on 127.0.0.1:6380 (by default), prints the
 * address, and serves Redis clients until SIGINT or SIGTERM, when it stops cleanly.
 * @module
 */
import * as Eio from "eio-ts";
import * as Config from "./config.js";
import { handleClient } from "./handler.js";
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

function onError(error: Error): void {
  console.error(`kv-server: a connection failed: ${error.message}`);
}

try {
  await Eio.run(
    function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const queue = Eio.Stream.create<Store.Request>(1024);
        let store: Storage.Store | undefined;
        Eio.Fiber.fork(sw, () => Store.serve(queue, config.dir, { compactBytes: config.compactBytes, onReady: (s) => (store = s) }));
        const socket = yield* Eio.Net.listen(sw, env.net, { host: config.host, port: config.port }, { reuseAddr: true });
        const addr = Eio.Net.listeningAddr(socket) as Eio.Net.TcpAddr;
        const server = { host: addr.host, port: addr.port, dir: config.dir, startedAt: Date.now(), shared: false };
        console.log(`kv-server listening on ${addr.host}:${addr.port} (data in ${config.dir}, ${store?.stats.recovered ?? 0} log records replayed)`);
        yield* Eio.Net.runServer(socket, (flow, clientAddr) => handleClient(flow, clientAddr, queue, server), { onError });
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
