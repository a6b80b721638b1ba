// Suite `net` (issue 5): echo throughput over 127.0.0.1, 50 connections each sending a small
// message and waiting for its echo. The servers run in this process; the load generator is a
// separate process, so it never shares an event loop with a server: redis-benchmark when it is
// installed (a C client, lib/redis-loadgen.mjs), else workers/loadgen.mjs. Every server runs
// under the same generator in one run. Each row also records CPU time per request, of this
// process (every thread: the server's domains too) and of the generator, because on 2 cores the
// generator competes with the server for CPU and throughput alone hides where the time went.
import net from "node:net";
import { once } from "node:events";
import * as Eio from "eio-ts";
import { startService } from "../lib/eio-service.mjs";
import { startLoadgen } from "../lib/loadgen-client.mjs";
import { findRedisBenchmark, REDIS_REQUEST_BYTES, startRedisLoadgen } from "../lib/redis-loadgen.mjs";
import { echo } from "../workers/eio-echo.mjs";

export const issue = 5;

const CONNECTIONS = 50;
const echoModule = new URL("../workers/eio-echo.mjs", import.meta.url);

async function plainNodeServer() {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (data) => socket.write(data));
    socket.on("error", () => socket.destroy());
  });
  server.listen({ host: "127.0.0.1", port: 0 });
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
    const service = startService(function* (env, sw) {
      const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { reuseAddr: true, backlog: 512 });
      const options = { onError: (error) => errors.push(error) };
      let handler;
      if (additionalDomains > 0) {
        options.additionalDomains = [env.domainMgr, additionalDomains];
        handler = Eio.task(echoModule, "echo");
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
    return { port: address.port, stop: () => service.stop(), check: () => service.call("check") };
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

/**
 * One implementation: start the server, connect the load generator, measure echoes. When done,
 * adds a note to `notes`: CPU time per request of this process (the server, every thread) and of
 * the generator, the median over the warm samples.
 */
function echoImpl(name, startServer, skip, loadgenKind, notes) {
  if (skip) return { name, skip, run: () => undefined };
  let server = null;
  let loadgen = null;
  // CPU per request of each call; the first calls (the harness's trial and warm-up) run cold code.
  const perRequest = [];
  return {
    name,
    // A redis-benchmark sample is a new process with new connections: a fixed, full-size n keeps
    // that start-up a small and equal share for every server (a cut n would not).
    fixedN: loadgenKind.start !== startLoadgen,
    before: async () => {
      server = await startServer();
      loadgen = loadgenKind.start();
      await loadgen.connect(server.port, CONNECTIONS);
    },
    run: async (n) => {
      const start = process.cpuUsage();
      const answer = await loadgen.run(n);
      const used = process.cpuUsage(start);
      if (Number.isFinite(answer.cpuMs)) perRequest.push({ server: (used.user + used.system) / 1000 / n, loadgen: answer.cpuMs / n });
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
        const warm = perRequest.length > 2 ? perRequest.slice(2) : perRequest;
        if (warm.length > 0) {
          const server = formatMicros(median(warm.map((c) => c.server)));
          notes.push(`CPU per request, ${name}: server process ${server} (all its threads), load generator ${formatMicros(median(warm.map((c) => c.loadgen)))} (median of ${warm.length} warm samples)`);
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
  const notes = [
    `load generator: ${loadgen.name}; ${loadgen.bytes}-byte requests`,
    "the 2-core machine also runs the load generator: a third thread of server helps only if a core is idle",
    "eio-ts: Eio.Net.runServer with a handler that does Eio.Flow.copy(flow, flow); node:net: socket.on('data', d => socket.write(d))",
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
        impls: [
          echoImpl("eio-ts", eioServer(0), hasNet ? null : "skipped: Eio.Net.runServer not available", loadgen, notes),
          echoImpl(withDomains, eioServer(2), hasDomains ? null : "skipped: Eio.Net.runServer with additionalDomains not available", loadgen, notes),
          echoImpl("node:net", plainNodeServer, null, loadgen, notes),
        ],
        notes,
        targets: [
          {
            text: "eio-ts (one domain) at least 0.8x plain Node",
            needs: ["eio-ts", "node:net"],
            check: (r) => {
              const x = r["node:net"].nsPerUnit / r["eio-ts"].nsPerUnit;
              return { met: x >= 0.8, value: `${x.toFixed(2)}x` };
            },
          },
          {
            text: "eio-ts with 2 additional domains faster than plain Node",
            needs: [withDomains, "node:net"],
            check: (r) => {
              const x = r["node:net"].nsPerUnit / r[withDomains].nsPerUnit;
              return { met: x > 1, value: `${x.toFixed(2)}x` };
            },
          },
        ],
      },
    ],
  };
}
