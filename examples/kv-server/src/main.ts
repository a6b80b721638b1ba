#!/usr/bin/env node
/**
 * The kv-server program: listens on 127.0.0.1:6380 (by default), replays the log, prints the
 * address, and serves Redis clients until SIGINT or SIGTERM, when it stops cleanly.
 * `kv-server --help` lists the options (see config.ts).
 * @module
 */
import * as Eio from "eio-ts";
import * as Config from "./config.js";
import * as DiskError from "./disk-error.js";
import * as FdLimit from "./fd-limit.js";
import * as LiveConfig from "./live-config.js";
import * as LogFile from "./log-file.js";
import { handleClient, type Server } from "./handler.js";
import * as OutputLimit from "./output-limit.js";
import * as Store from "./store.js";

if (process.argv.includes("--help")) {
  console.log(Config.HELP);
  process.exit(0);
}

let config: Config.Config;
try {
  config = Config.parse(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}

// Not Eio.run's `signal`: cancelling everything at once would stop the storage domain (its
// pool's daemon) before the store is told to stop, and the log would not be closed. A second
// signal finds no listener and ends the process at once, as Node does by default.
const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve(signal));
});

/** CONFIG GET's answers, under Redis's names and in Redis's units (bytes, seconds). */
function settings(config: Config.Config, port: number): Record<string, string> {
  return {
    port: String(port), bind: config.bind, dir: config.dir, appendfsync: config.appendfsync,
    maxclients: String(config.maxclients), requirepass: config.requirepass ?? "", timeout: String(config.timeout),
    "proto-max-bulk-len": String(config.protoMaxBulkLen), "client-query-buffer-limit": String(config.clientQueryBufferLimit),
    "repair-log": config.repairLog ?? "", "log-open-flags": LogFile.formatFlags(config.logOpenFlags),
    "client-output-buffer-limit": OutputLimit.format(config.clientOutputBufferLimit),
    "protected-mode": config.protectedMode ? "yes" : "no",
  };
}

/** Resolves once a client's SHUTDOWN has set the shared cell (in any domain). */
async function shutdownAsked(cell: Int32Array): Promise<string> {
  while (Atomics.load(cell, 0) === 0) await Atomics.waitAsync(cell, 0, 0).value;
  return "SHUTDOWN";
}

function onError(error: Error): void {
  console.error(`kv-server: a connection failed: ${error.message}`);
}

/** A running store: what its replay found, and how to stop it (the log closed when it returns). */
interface RunningStore {
  info: Store.ReadyInfo;
  stop: () => Eio.Operation<void>;
}

/** The storage domain's job, once its log is replayed. */
function* startStorageDomain(sw: Eio.Switch.Switch, env: Eio.Env, queue: Store.Queue, options: Store.ServeOptions): Eio.Operation<RunningStore> {
  const pool = Eio.ExecutorPool.create(sw, Eio.Stdenv.domainMgr(env), { domainCount: 1 });
  const [ready, setReady] = Eio.Promise.create<Store.ReadyInfo>({ shared: true });
  const [stopStore, setStopStore] = Eio.Promise.create<void>({ shared: true });
  const storageDomain = Eio.task<Parameters<typeof Store.storageDomain>, void>(new URL("./store.js", import.meta.url), "storageDomain");
  const job = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1.0 }, storageDomain, queue, config.dir, options, setReady, stopStore);
  function* stop(): Eio.Operation<void> {
    Eio.Promise.tryResolve(setStopStore, undefined);
    yield* Eio.Promise.await(job);
  }
  // When the switch fails, try to let the storage loop close the log (hooks run last-registered
  // first, so this runs before the pool is shut down, if the pool's daemon has not done it).
  Eio.Switch.onRelease(sw, stop);
  // A storage domain that fails takes the server down: nothing could be committed any more.
  Eio.Fiber.fork(sw, function* () {
    const result = yield* Eio.Promise.await(job);
    if (!result.ok) throw result.error;
  });
  return { info: yield* Eio.Promise.await(ready), stop };
}

/**
 * Where the store runs: in a storage domain of its own (the blog's design), or, with
 * `--single-domain`, as a fiber next to the connections on the main thread.
 */
function* startStore(sw: Eio.Switch.Switch, env: Eio.Env, queue: Store.Queue, shared: Pick<Store.ServeOptions, "clients" | "port" | "live" | "diskStatus">): Eio.Operation<RunningStore> {
  const options = {
    compactBytes: config.compactBytes, appendfsync: config.appendfsync, clock: env.monoClock, fs: env.fs, logOpenFlags: config.logOpenFlags,
    repair: config.repairLog ?? undefined, ...shared,
  };
  if (!config.singleDomain) return yield* startStorageDomain(sw, env, queue, options);
  // Awaited, not read at once: a store that fails to open fails the switch, with its own error.
  const [ready, setReady] = Eio.Promise.create<Store.ReadyInfo>();
  const [stopStore, setStopStore] = Eio.Promise.create<void>();
  const [finished, setFinished] = Eio.Promise.create<void>();
  Eio.Fiber.fork(sw, function* () {
    yield* Store.storageDomain(queue, config.dir, { ...options, beforeSleep: true }, setReady, stopStore);
    Eio.Promise.resolve(setFinished, undefined);
  });
  function* stop(): Eio.Operation<void> {
    Eio.Promise.tryResolve(setStopStore, undefined);
    yield* Eio.Promise.await(finished);
  }
  return { info: yield* Eio.Promise.await(ready), stop };
}

try {
  await Eio.run(
    function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const shared = !config.singleDomain;
        const queue = Eio.Stream.create<Store.Request>(1024, { shared });
        // Bound first, so INFO knows the port; clients are accepted only once the log is replayed.
        const socket = yield* Eio.Net.listen(sw, env.net, { host: config.bind, port: config.port }, { reuseAddr: true });
        const addr = Eio.Net.listeningAddr(socket) as Eio.Net.TcpAddr;
        // Counted by the connections in every domain, read by the store for INFO.
        const clients = new Int32Array(new SharedArrayBuffer(4));
        const shutdown = new Int32Array(new SharedArrayBuffer(4));
        // What CONFIG SET changes, in shared memory: every domain reads it as it is now.
        const live = LiveConfig.create(settings(config, addr.port));
        // Set by the store while its log cannot be written: the connections refuse PING then.
        const diskStatus = DiskError.createStatus();
        const store = yield* startStore(sw, env, queue, { clients, port: addr.port, live, diskStatus });
        const info = store.info;
        // Each connection domain, not started yet, takes a few descriptors (its loop, its wakeups).
        const fitted = FdLimit.fit(config.maxclients, FdLimit.openFilesLimit(), FdLimit.openFiles() + 8 * config.domains);
        if (fitted.warning !== null) {
          console.log(fitted.warning);
          LiveConfig.set(live, [["maxclients", String(fitted.maxclients)]]);
        }
        const server: Server = {
          host: addr.host, port: addr.port, dir: config.dir, startedAt: Date.now(), shared, clients, shutdownCell: shutdown, live, diskStatus,
        };
        const dropped = info.droppedBytes > 0 ? `, dropped a torn tail of ${info.droppedBytes} bytes` : "";
        const shape = config.singleDomain ? "one domain" : `storage domain + ${config.domains} connection domain(s) + main`;
        console.log(`kv-server listening on ${addr.host}:${addr.port} (${shape}; data in ${config.dir}, ${info.recovered} log records replayed${dropped})`);
        // Resolved on a signal or SHUTDOWN: runServer stops accepting and waits for the
        // connections, which end once their batch in flight is answered.
        const [draining, setDraining] = Eio.Promise.create<void>({ shared });
        const serve = config.singleDomain
          ? () => Eio.Net.runServer(socket, (flow, clientAddr) => handleClient(flow, clientAddr, queue, server, env.monoClock, draining), { onError, stop: draining })
          : () => {
            const handler = Eio.task(new URL("./handler.js", import.meta.url), "handleClient");
            const additionalDomains = [Eio.Stdenv.domainMgr(env), config.domains] as const;
            return Eio.Net.runServer(socket, handler, { additionalDomains, args: [queue, server, env.monoClock, draining], onError, stop: draining });
          };
        // Until a signal: then stop accepting, let each connection finish and answer its batch,
        // then let the store close the log and release the directory.
        yield* Eio.Fiber.both(serve, function* () {
          const signal = yield* Eio.Fiber.awaitNative(Promise.race([stopSignal, shutdownAsked(shutdown)]));
          console.log(`kv-server: received ${signal}, stopping`);
          // Ends shutdownAsked's wait, whatever stopped the server.
          Atomics.store(shutdown, 0, 1);
          Atomics.notify(shutdown, 0);
          Eio.Promise.resolve(setDraining, undefined);
        });
        yield* store.stop();
      });
    },
  );
} catch (error) {
  // Our own errors (a damaged log, a locked directory) say all there is to say.
  const message = error instanceof Error ? error.message : String(error);
  console.error(message.startsWith("kv-server:") ? message : `kv-server failed: ${message}`);
  process.exit(1);
}
console.log("kv-server stopped");
