// The cluster peer of the net suite: Node's `cluster` module the usual way, a primary process that
// forks N workers, each of them an echo server listening on the same port (the primary accepts
// and hands connections out in turn, Node's default on Linux). Forked by lib/cluster-echo.mjs
// with its settings as JSON in argv[2]; the workers get the same argv. The primary talks to the
// bench over IPC:
//   -> { listening: port, pids }   once every worker listens (on one port, checked)
//   "stats"  -> { stats: [{ pid, connections, cpuMs }, ...], primaryCpuMs }
//   "stop" or the bench going away -> kills the workers, then exits
import cluster from "node:cluster";
import net from "node:net";
import { echoConnection } from "./node-echo.mjs";

const { workers: count, backlog } = JSON.parse(process.argv[2]);
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

if (cluster.isPrimary) runPrimary();
else runWorker();

function runWorker() {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    echoConnection(socket);
  });
  // Port 0 in every worker: the primary binds one port for the key (127.0.0.1, 0) and shares it.
  server.listen({ host: "127.0.0.1", port: 0, backlog }, () => process.send({ port: server.address().port }));
  process.on("message", (message) => {
    if (message === "stats") process.send({ stats: { pid: process.pid, connections, cpuMs: cpuMs() } });
  });
}

function runPrimary() {
  const workers = Array.from({ length: count }, () => cluster.fork());
  let stopping = false;
  let exited = 0;
  const ports = new Set();
  let listening = 0;
  let stats = [];

  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of workers) worker.kill();
  };
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) {
      process.send?.({ error: `cluster worker ${worker.process.pid} exited (${signal ?? `code ${code}`})` });
      shutdown();
    }
    if (++exited === count) process.exit(0);
  });
  cluster.on("message", (worker, message) => {
    if (message.port !== undefined) {
      ports.add(message.port);
      if (++listening < count) return;
      if (ports.size !== 1) {
        process.send({ error: `cluster workers listen on ${ports.size} ports (${[...ports].join(", ")}), not one` });
        shutdown();
        return;
      }
      process.send({ listening: message.port, pids: workers.map((w) => w.process.pid) });
    } else if (message.stats !== undefined) {
      stats.push(message.stats);
      if (stats.length === count) {
        process.send({ stats, primaryCpuMs: cpuMs() });
        stats = [];
      }
    }
  });
  process.on("message", (message) => {
    if (message === "stop") shutdown();
    else if (message === "stats") for (const worker of workers) worker.send("stats");
  });
  // The bench process stopped or died: stop with it, never outlive it.
  process.on("disconnect", shutdown);
}
