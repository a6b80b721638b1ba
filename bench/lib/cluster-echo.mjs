// Starts and stops the cluster peer of the net suite (workers/cluster-echo.mjs): a process that
// is a cluster primary with `workers` echo workers on one port of 127.0.0.1.
import { fork } from "node:child_process";
import { once } from "node:events";

const script = new URL("../workers/cluster-echo.mjs", import.meta.url);

/**
 * Resolves once every worker listens: `{ port, pids, stats(), cpuMs(), stop() }`. `stats()` gives
 * each worker's pid, connections so far and CPU time; `cpuMs()` the CPU time of the primary and
 * all workers (the server's share, for the notes); `stop()` resolves once the primary has exited,
 * after its workers. The primary also stops when this process goes away.
 */
export async function startClusterEcho({ workers = 3, backlog = 511 } = {}) {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`cluster echo: workers must be a positive integer, got ${workers}`);
  // execArgv: [], so that this process's flags (--input-type, --inspect...) stay out of it.
  const child = fork(script, [JSON.stringify({ workers, backlog })], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let waiting = null;
  let failure = null;
  const fail = (error) => {
    failure ??= error;
    const w = waiting;
    waiting = null;
    w?.reject(failure);
  };
  child.on("message", (message) => {
    if (message?.error) return fail(new Error(message.error));
    const w = waiting;
    waiting = null;
    w?.resolve(message);
  });
  child.on("exit", (code, signal) => fail(new Error(`cluster echo exited (${signal ?? `code ${code}`})`)));
  const next = () => (failure ? Promise.reject(failure) : new Promise((resolve, reject) => (waiting = { resolve, reject })));
  const ask = (request) => {
    const answer = next();
    child.send(request);
    return answer;
  };

  const { listening: port, pids } = await next();
  const stats = async () => {
    const answer = await ask("stats");
    return { workers: answer.stats, primaryCpuMs: answer.primaryCpuMs };
  };
  return {
    port,
    pids,
    stats,
    async cpuMs() {
      const { workers: all, primaryCpuMs } = await stats();
      return all.reduce((sum, w) => sum + w.cpuMs, primaryCpuMs);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.send("stop");
      await exited;
    },
  };
}
