// The three worker-pool libraries behind one shape, `{ run(taskName, arg), destroy() }`, each
// with as many threads as eio-ts's pool has domains.
import os from "node:os";
import { fileURLToPath } from "node:url";
import Piscina from "piscina";
import Tinypool from "tinypool";
import workerpool from "workerpool";

const tasksFile = fileURLToPath(new URL("../workers/pool-tasks.mjs", import.meta.url));
const workerpoolFile = fileURLToPath(new URL("../workers/workerpool-worker.mjs", import.meta.url));

export const POOL_THREADS = Math.max(2, Math.min(os.availableParallelism?.() ?? 2, 4));

export const peerPools = {
  piscina() {
    const pool = new Piscina({ filename: tasksFile, minThreads: POOL_THREADS, maxThreads: POOL_THREADS });
    return { run: (name, arg) => pool.run(arg, { name }), destroy: () => pool.destroy() };
  },
  tinypool() {
    const pool = new Tinypool({ filename: tasksFile, minThreads: POOL_THREADS, maxThreads: POOL_THREADS });
    return { run: (name, arg) => pool.run(arg, { name }), destroy: () => pool.destroy() };
  },
  workerpool() {
    const pool = workerpool.pool(workerpoolFile, { minWorkers: POOL_THREADS, maxWorkers: POOL_THREADS, workerType: "thread" });
    return { run: (name, arg) => pool.exec(name, [arg]), destroy: () => pool.terminate() };
  },
};
