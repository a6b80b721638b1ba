// Suite `net` (issue 5): echo throughput over 127.0.0.1, 50 connections each sending a small
// message and waiting for its echo. The servers run in this process; the load generator is a
// separate process (workers/loadgen.mjs), so it never shares an event loop with a server.
import net from "node:net";
import { once } from "node:events";
import * as Eio from "eio-ts";
import { startService } from "../lib/eio-service.mjs";
import { startLoadgen } from "../lib/loadgen-client.mjs";
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

/** One implementation: start the server, connect the load generator, measure echoes. */
function echoImpl(name, startServer, skip) {
  if (skip) return { name, skip, run: () => undefined };
  let server = null;
  let loadgen = null;
  return {
    name,
    before: async () => {
      server = await startServer();
      loadgen = startLoadgen();
      await loadgen.connect(server.port, CONNECTIONS);
    },
    run: async (n) => {
      await loadgen.run(n);
    },
    after: async () => {
      try {
        await server?.check?.();
      } finally {
        await loadgen?.close().catch(() => {});
        await loadgen?.stop();
        await server?.stop();
        server = loadgen = null;
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
  return {
    messages,
    scenarios: [
      {
        id: "echo",
        title: `net: echo requests over ${CONNECTIONS} connections on 127.0.0.1 (42-byte messages, load generator in another process)`,
        unit: "request",
        step: 100,
        n: quick ? 2_000 : 50_000,
        impls: [
          echoImpl("eio-ts", eioServer(0), hasNet ? null : "skipped: Eio.Net.runServer not available"),
          echoImpl(withDomains, eioServer(2), hasDomains ? null : "skipped: Eio.Net.runServer with additionalDomains not available"),
          echoImpl("node:net", plainNodeServer),
        ],
        notes: [
          "the 2-core machine also runs the load generator: a third thread of server helps only if a core is idle",
          "eio-ts: Eio.Net.runServer with a handler that does Eio.Flow.copy(flow, flow); node:net: socket.on('data', d => socket.write(d))",
        ],
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
