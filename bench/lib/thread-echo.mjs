// The floor row of the net suite: the shape of runServer with additional domains without eio-ts.
// The main thread runs the plain node:net echo (workers/node-echo.mjs) on a port of 127.0.0.1 and
// `threads - 1` worker threads (workers/thread-echo.mjs) run it on duplicates of the same
// listening socket, so every thread accepts on one shared socket, as runServer's domains do
// (the cluster peer instead has a primary that accepts and hands connections out in turn).
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { countingEchoServer } from "../workers/node-echo.mjs";

const script = new URL("../workers/thread-echo.mjs", import.meta.url);

/** Asks a worker one question and resolves its answer. */
function ask(worker, message) {
  const answer = once(worker, "message").then(([reply]) => reply);
  worker.postMessage(message);
  return answer;
}

/**
 * Resolves once every thread listens: `{ port, stats(), stop() }`. `stats()` gives each
 * thread's connections so far (the main thread's first); `stop()` closes every listener and
 * connection and resolves once the worker threads have ended.
 */
export async function startThreadEcho({ threads = 3, backlog = 511 } = {}) {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread echo: threads must be a positive integer, got ${threads}`);
  const { server, connections, destroyAll } = countingEchoServer();
  server.listen({ host: "127.0.0.1", port: 0, backlog });
  await once(server, "listening");
  const workers = Array.from({ length: threads - 1 }, () => new Worker(script, { workerData: { fd: server._handle.fd, backlog } }));
  const stop = async () => {
    const ended = workers.map((worker) => (worker.threadId === -1 ? null : once(worker, "exit")));
    for (const worker of workers) if (worker.threadId !== -1) worker.postMessage("stop");
    await Promise.all(ended);
    server.close();
    destroyAll();
  };
  try {
    await Promise.all(workers.map((worker) => Promise.race([once(worker, "message"), once(worker, "error").then(([e]) => Promise.reject(e))])));
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    server.close();
    throw error;
  }
  return {
    port: server.address().port,
    async stats() {
      const others = await Promise.all(workers.map((worker) => ask(worker, "stats")));
      return [connections(), ...others.map((answer) => answer.connections)];
    },
    stop,
  };
}
