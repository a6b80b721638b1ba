// Suite `net` (issues 5 and 13): echo throughput over 127.0.0.1, 50 connections each sending a
// small message and waiting for its echo. The servers run in this process, but for the cluster
// peer (a primary and its workers, processes of their own: lib/cluster-echo.mjs); the load generator is a
// separate process, so it never shares an event loop with a server: redis-benchmark when it is
// installed (a C client, lib/redis-loadgen.mjs), else workers/loadgen.mjs. Every server runs
// under the same generator in one run. Each row also records CPU time per request, of this
// process (every thread: the server's domains too) and of the generator, because on 2 cores the
// generator competes with the server for CPU and throughput alone hides where the time went.
import net from "node:net";
import os from "node:os";
import { once } from "node:events";
import * as Eio from "eio-ts";
import { startClusterEcho } from "../lib/cluster-echo.mjs";
import { startService } from "../lib/eio-service.mjs";
import { startThreadEcho } from "../lib/thread-echo.mjs";
import { startLoadgen } from "../lib/loadgen-client.mjs";
import { findRedisBenchmark, REDIS_REQUEST_BYTES, startRedisLoadgen } from "../lib/redis-loadgen.mjs";
import { echo } from "../workers/eio-echo.mjs";
import { echoConnection } from "../workers/node-echo.mjs";

// Its targets are issue 13's (they restate issue 5's).
export const issue = 13;
/** Who else runs on the cores while this suite measures (the machine line of the report). */
export const sharedWith = "the load generator (another process on the same cores) and every other process running here";

const CONNECTIONS = 50;
/** Workers of the cluster peer: the primary and 3 workers, as eio-ts has its domain and 2 more. */
export const CLUSTER_WORKERS = 3;
/** The floor row's name: runServer's +2-domains shape (threads on one shared socket) without eio-ts. */
export const FLOOR = `node:net ${CLUSTER_WORKERS} threads (one socket)`;
/**
 * Every server's listen backlog. A sample opens all its connections at once (redis-benchmark: 50
 * and one for its CONFIG, plus the echo check's), and this kernel resets a connection that finds
 * the backlog full instead of letting the client retry, so it must hold the whole burst.
 */
export const BACKLOG = 4 * CONNECTIONS;
/**
 * Warm-up of the rows with several threads: a sample is about a second, and the first ones run
 * while the other threads still start (eio-ts's domains get their socket from a helper process)
 * and compile their code (the +2 domains row measured ±43% with one warm-up sample).
 */
export const THREADS_WARMUP_MS = 3000;
/**
 * Samples of each server, taken in turns (harness.mjs, runInterleaved): every server is up for
 * the whole scenario and each round runs each one once. Run one after the other, the rows fell
 * in different moments of this VM, whose speed drifts by ±20% over seconds: in six runs of
 * 22:27 UTC, one domain against plain Node measured 0.76x, 0.80x, 0.90x, 0.96x, 1.22x and 0.96x.
 */
export const ROUNDS = 7;
const echoModule = new URL("../workers/eio-echo.mjs", import.meta.url);

async function plainNodeServer() {
  const server = net.createServer(echoConnection);
  server.listen({ host: "127.0.0.1", port: 0, backlog: BACKLOG });
  await once(server, "listening");
  return {
    port: server.address().port,
    stop: async () => {
      server.close();
      server.closeAllConnections?.();
    },
  };
}

function eioServer(additionalDomains) {
  return async () => {
    const errors = [];
    // With additional domains, each domain's connections (workers/eio-echo.mjs countingEcho).
    const counts = new Int32Array(new SharedArrayBuffer(4 * (additionalDomains + 2)));
    const service = startService(function* (env, sw) {
      const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { reuseAddr: true, backlog: BACKLOG });
      const options = { onError: (error) => errors.push(error) };
      let handler;
      if (additionalDomains > 0) {
        options.additionalDomains = [env.domainMgr, additionalDomains];
        options.args = [counts];
        handler = Eio.task(echoModule, "countingEcho");
      } else {
        handler = echo;
      }
      Eio.Fiber.fork(sw, () => Eio.Net.runServer(socket, handler, options));
      const address = Eio.Net.listeningAddr(socket);
      return function* () {
        if (errors.length > 0) throw new Error(`echo handler failed: ${errors[0]?.message ?? errors[0]}`);
        return address;
      };
    });
    const address = await service.call("address");
    const server = { port: address.port, stop: () => service.stop(), check: () => service.call("check") };
    if (additionalDomains > 0) server.connections = () => [...counts.subarray(0, additionalDomains + 1)];
    return server;
  };
}

/** Which load generator this run uses: `{ name, start(), bytes }`. */
function chooseLoadgen() {
  const redis = findRedisBenchmark();
  if (redis !== null) return { name: "redis-benchmark (C)", start: () => startRedisLoadgen(redis), bytes: REDIS_REQUEST_BYTES };
  return { name: "a Node process (redis-benchmark not found)", start: startLoadgen, bytes: 42 };
}

function formatMicros(ms) {
  return `${(ms * 1000).toFixed(1)} µs`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** CPU time (ms) of the server so far: this process, unless the server runs in processes of its own. */
function serverCpuMs(server) {
  if (server.cpuMs) return server.cpuMs();
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/**
 * The floor of runServer's shape with additional domains: CLUSTER_WORKERS threads of this process
 * (the main one and workers), each running the node:net echo on its own duplicate of one
 * listening socket, as runServer's domains do, with no eio-ts.
 */
async function threadsServer() {
  const server = await startThreadEcho({ threads: CLUSTER_WORKERS, backlog: BACKLOG });
  return { ...server, connections: server.stats };
}

/** The cluster peer: a primary and CLUSTER_WORKERS echo workers, processes of their own. */
async function clusterServer() {
  const server = await startClusterEcho({ workers: CLUSTER_WORKERS, backlog: BACKLOG });
  // The workers answer in any order: keep each one's place.
  const byPid = async () => (await server.stats()).workers.sort((a, b) => a.pid - b.pid).map((w) => w.connections);
  return { ...server, connections: byPid };
}

/**
 * One implementation: start the server, connect the load generator, measure echoes. When done,
 * adds a note to `notes`: CPU time per request of this process (the server, every thread) and of
 * the generator, the median over the warm samples (for the cluster peer, the server is its
 * processes, the primary and the workers).
 */
function echoImpl(name, startServer, skip, loadgenKind, notes, { warmupMs } = {}) {
  if (skip) return { name, skip, run: () => undefined };
  let server = null;
  let loadgen = null;
  // CPU per request of each sample (the harness calls beginSamples once the warm-up is done).
  let perRequest = [];
  return {
    name,
    // A redis-benchmark sample is a new process with new connections: a fixed, full-size n keeps
    // that start-up a small and equal share for every server (a cut n would not).
    fixedN: loadgenKind.start !== startLoadgen,
    warmupMs,
    beginSamples: () => {
      perRequest = [];
    },
    before: async () => {
      server = await startServer();
      loadgen = loadgenKind.start();
      await loadgen.connect(server.port, CONNECTIONS);
    },
    run: async (n) => {
      const start = await serverCpuMs(server);
      const before = await server.connections?.();
      const answer = await loadgen.run(n);
      const used = (await serverCpuMs(server)) - start;
      const after = await server.connections?.();
      const spread = before && after ? after.map((count, i) => count - (before[i] ?? 0)).join("/") : null;
      if (Number.isFinite(answer.cpuMs)) perRequest.push({ server: used / n, loadgen: answer.cpuMs / n, spread });
      // redis-benchmark is a new process per sample: time only its requests, not its start-up.
      return loadgenKind.start === startLoadgen ? undefined : { overriddenDuration: answer.ms };
    },
    after: async () => {
      try {
        await server?.check?.();
      } finally {
        await loadgen?.close().catch(() => {});
        await loadgen?.stop();
        await server?.stop();
        server = loadgen = null;
        const warm = perRequest;
        if (warm.length > 0) {
          const server = formatMicros(median(warm.map((c) => c.server)));
          const whose = startServer === clusterServer ? "server processes (primary and workers)" : "server process (all its threads)";
          notes.push(`CPU per request, ${name}: ${whose} ${server}, load generator ${formatMicros(median(warm.map((c) => c.loadgen)))} (median of ${warm.length} warm samples)`);
          if (warm[0].spread !== null) notes.push(`connections per ${startServer === clusterServer ? "worker" : "thread"}, ${name}, in each warm sample: ${warm.map((c) => c.spread).join(", ")}`);
        }
      }
    },
  };
}

export async function scenarios({ quick }) {
  const hasNet = typeof Eio.Net?.listen === "function" && typeof Eio.Net?.runServer === "function" && typeof Eio.Flow?.copy === "function";
  const hasDomains = hasNet && typeof Eio.task === "function";
  const messages = [];
  if (!hasNet) messages.push("eio-ts: skipped: Eio.Net.runServer / Eio.Flow.copy not available");
  else if (!hasDomains) messages.push("eio-ts with 2 additional domains: skipped: Eio.task not available");
  const withDomains = "eio-ts +2 domains";
  const loadgen = chooseLoadgen();
  const cluster = `node:cluster (${CLUSTER_WORKERS} workers)`;
  const threads = FLOOR;
  const notes = [
    `load generator: ${loadgen.name}; ${loadgen.bytes}-byte requests; every server gets the same load`,
    `the ${os.cpus().length}-core machine also runs the load generator: a thread or process of server beyond the first helps only if a core is idle`,
    "eio-ts: Eio.Net.runServer with a handler that does Eio.Flow.copy(flow, flow); node:net: socket.on('data', d => socket.write(d))",
    `node:cluster: a primary process and ${CLUSTER_WORKERS} worker processes, each running the node:net echo on the same port (the primary accepts and hands connections out in turn, Node's default on Linux)`,
    `${threads}: the floor of eio-ts +2 domains, its shape without eio-ts: ${CLUSTER_WORKERS} threads of the bench process running the node:net echo, each accepting on its own duplicate of one listening socket as runServer's domains do (whichever thread wakes first takes the waiting connections, so a burst is shared unevenly; cluster deals them out in turn)`,
    `every server is up for the whole scenario, and the samples are taken in turns: ${ROUNDS} rounds of one sample each, the order rotated every round, so that every row is measured over the same minutes of a machine whose speed drifts over seconds`,
    `eio-ts +2 domains and ${threads} warm up for ${THREADS_WARMUP_MS / 1000} s: their first samples run while the other threads start and compile their code`,
    "withdrawn (issue 13): \"eio-ts with 2 additional domains faster than plain Node\"; on 2 cores shared with the load generator there is no spare core for the extra domains, so they are compared with cluster, which has the same problem, instead",
  ];
  return {
    messages,
    scenarios: [
      {
        id: "echo",
        title: `net: echo requests over ${CONNECTIONS} connections on 127.0.0.1 (${loadgen.bytes}-byte messages, load generator in another process)`,
        unit: "request",
        step: 100,
        n: quick ? 2_000 : 50_000,
        interleave: ROUNDS,
        impls: [
          echoImpl("eio-ts", eioServer(0), hasNet ? null : "skipped: Eio.Net.runServer not available", loadgen, notes),
          echoImpl(withDomains, eioServer(2), hasDomains ? null : "skipped: Eio.Net.runServer with additionalDomains not available", loadgen, notes, { warmupMs: THREADS_WARMUP_MS }),
          echoImpl("node:net", plainNodeServer, null, loadgen, notes),
          echoImpl(threads, threadsServer, null, loadgen, notes, { warmupMs: THREADS_WARMUP_MS }),
          echoImpl(cluster, clusterServer, null, loadgen, notes),
        ],
        notes,
        targets: [
          atLeast("eio-ts", "node:net", 0.9, "eio-ts (one domain) at least 0.9x plain Node"),
          atLeast(withDomains, cluster, 1.0, `eio-ts with 2 additional domains at least 1.0x node:cluster with ${CLUSTER_WORKERS} workers`),
          // What the floor supports: the same ratio to it as one domain's to plain Node.
          atLeast(withDomains, threads, 0.9, `eio-ts with 2 additional domains at least 0.9x its floor (${threads})`),
        ],
      },
    ],
  };
}

/** "`name` serves at least `factor` times the requests/s of `peer`". */
export function atLeast(name, peer, factor, text) {
  return {
    text,
    needs: [name, peer],
    check: (r) => {
      const x = r[peer].nsPerUnit / r[name].nsPerUnit;
      return { met: x >= factor, value: `${x.toFixed(2)}x` };
    },
  };
}
