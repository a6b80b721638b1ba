// Main-thread side of the hand-written cross-thread baselines: what a careful programmer gets from
// worker_threads alone, without eio-ts. Each starts one worker and keeps it for all samples.
import { Worker } from "node:worker_threads";
import { once } from "node:events";
import { PING, PONG, STOP, WORDS, spinUntilChanged } from "../workers/atomics-words.mjs";

const workerUrl = (name) => new URL(`../workers/${name}`, import.meta.url);

async function online(worker) {
  await once(worker, "online");
  return worker;
}

/** `reply()` is a promise of the worker's next message (one request in flight at a time). */
function replies(worker) {
  let pending = null;
  worker.on("message", (value) => {
    const resolve = pending;
    pending = null;
    resolve(value);
  });
  return () => new Promise((resolve) => (pending = resolve));
}

/** postMessage ping-pong and postMessage streaming, against workers/raw-postmessage.mjs. */
export async function startPostMessage() {
  const worker = await online(new Worker(workerUrl("raw-postmessage.mjs")));
  const reply = replies(worker);
  return {
    async roundTrips(n) {
      for (let i = 0; i < n; i++) {
        const answer = reply();
        worker.postMessage({ ping: i });
        if ((await answer) !== i) throw new Error(`postMessage ping-pong: wrong answer for ${i}`);
      }
    },
    /** Sends 0..n-1 one message each (no backpressure) and waits for the worker's sum. */
    async stream(n) {
      for (let i = 0; i < n; i++) worker.postMessage(i);
      const total = reply();
      worker.postMessage({ total: true });
      const sum = await total;
      if (sum !== (n * (n - 1)) / 2) throw new Error(`postMessage stream: sum ${sum} is wrong`);
    },
    stop: () => worker.terminate(),
  };
}

/**
 * SharedArrayBuffer ping-pong, against workers/raw-atomics.mjs. The main thread must not block
 * its event loop, so after spinning it waits with Atomics.waitAsync, as a domain scheduler would.
 */
export async function startAtomics({ spin = 20_000 } = {}) {
  const buffer = new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT);
  const words = new Int32Array(buffer);
  const worker = await online(new Worker(workerUrl("raw-atomics.mjs"), { workerData: { buffer, spin } }));
  let sequence = 0;
  return {
    /** `latencies`, if given, receives the time (ms) of every 16th round trip. */
    async roundTrips(n, latencies) {
      for (let i = 0; i < n; i++) {
        const timed = latencies !== undefined && (i & 15) === 0;
        const started = timed ? performance.now() : 0;
        const ping = ++sequence;
        Atomics.store(words, PING, ping);
        Atomics.notify(words, PING);
        let pong = spinUntilChanged(words, PONG, ping - 1, spin);
        while (pong !== ping) {
          const wait = Atomics.waitAsync(words, PONG, pong);
          if (wait.async) await wait.value;
          pong = Atomics.load(words, PONG);
        }
        if (timed) latencies.push(performance.now() - started);
      }
    },
    async stop() {
      Atomics.store(words, PING, STOP);
      Atomics.notify(words, PING);
      await once(worker, "exit");
    },
  };
}

/**
 * Starts two plain workers for the CPU-bound baseline (workers/raw-fib.mjs). `run(n, count)`
 * gives each worker half of `count` fib(n) tasks in one message: no per-task dispatch, the
 * machine's ceiling for two threads.
 */
export async function startRawFib() {
  const workers = await Promise.all([0, 1].map(() => online(new Worker(workerUrl("raw-fib.mjs")))));
  return {
    async run(n, count) {
      const answers = workers.map((worker, k) => {
        const answer = once(worker, "message");
        worker.postMessage({ n, count: (count >> 1) + (k === 0 ? count & 1 : 0) });
        return answer;
      });
      return (await Promise.all(answers)).reduce((sum, [part]) => sum + part, 0);
    },
    stop: () => Promise.all(workers.map((worker) => worker.terminate())),
  };
}

/** postMessage of big values, copied or (`transfer`) transferred, against workers/big-values.mjs. */
export async function startBigValues({ transfer }) {
  const worker = await online(new Worker(workerUrl("big-values.mjs")));
  const reply = replies(worker);
  return {
    /** The worker makes a buffer of `bytes` and transfers it here. */
    async result(bytes) {
      const answer = reply();
      worker.postMessage({ make: bytes, transfer });
      if ((await answer).length !== bytes) throw new Error("big value: wrong length");
    },
    /** This thread sends `buffer` to the worker, which answers with its length. */
    async send(buffer) {
      const answer = reply();
      const bytes = buffer.length;
      worker.postMessage(buffer, transfer ? [buffer.buffer] : []);
      if ((await answer) !== bytes) throw new Error("big value: wrong length");
    },
    stop: () => worker.terminate(),
  };
}
