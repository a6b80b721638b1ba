/** The other domain of bench/shared-heap.ts. */
import { parentPort, workerData } from "node:worker_threads";
import * as Eio from "../packages/eio/src/index.js";
import type { Operation } from "../packages/eio/src/core/scheduler.js";
import { attachArena, decodeAndFree, type SharedStream } from "../packages/eio/src/shared/index.js";

const { kind } = workerData as { kind: string };

if (kind === "raw") {
  // Raw ping-pong: wait for an odd value, answer with the next even one; spin before waiting.
  const words = new Int32Array(workerData.buffer as SharedArrayBuffer);
  const rounds = workerData.rounds as number;
  for (let i = 0; i < rounds; i++) {
    const want = 2 * i + 1;
    let spins = 0;
    while (Atomics.load(words, 0) !== want) {
      if (++spins > 20000) Atomics.wait(words, 0, want - 1, 1);
    }
    Atomics.store(words, 0, want + 1);
    Atomics.notify(words, 0);
  }
  parentPort!.postMessage("done");
} else {
  attachArena(workerData.buffer, workerData.domainId);
  const args = decodeAndFree(workerData.argsRef) as unknown[];
  const bodies: Record<string, (...a: never[]) => Operation<unknown>> = {
    // Each message carries the resolver to answer on; answer with a fresh one of ours.
    *pong(first: Eio.Promise.Promise<Eio.Promise.Resolver<unknown>>, rounds: number) {
      let incoming = first;
      for (let i = 0; i < rounds; i++) {
        const reply = yield* Eio.Promise.await(incoming);
        const [next, nextR] = Eio.Promise.create<Eio.Promise.Resolver<unknown>>({ shared: true });
        Eio.Promise.resolve(reply, nextR);
        incoming = next;
      }
      return rounds;
    },
    *drain(s: SharedStream<number>, count: number) {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += yield* s.takeOp();
      return sum;
    },
  };
  Eio.run(() => bodies[kind]!(...(args as never[]))).then((v) => parentPort!.postMessage(v));
}
