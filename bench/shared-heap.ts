/**
 * Shared heap benchmarks: cross-domain promise round trip against a raw SharedArrayBuffer
 * ping-pong, shared stream throughput between two domains, and the arena over 10M
 * create/resolve/await cycles. Run: node --import tsx bench/shared-heap.ts [--cycles N]
 */
import { Worker } from "node:worker_threads";
import * as Eio from "../packages/eio/src/index.js";
import {
  allocateDomainId, createSharedStream, currentArena, encodeValue, getArena, retireDomain,
} from "../packages/eio/src/shared/index.js";

const boot = new URL("./shared-heap-boot.mjs", import.meta.url);
const cyclesArg = process.argv.indexOf("--cycles");
const CYCLES = cyclesArg > 0 ? Number(process.argv[cyclesArg + 1]) : 10_000_000;

function startDomain(kind: string, ...args: unknown[]): Promise<unknown> {
  const domainId = allocateDomainId();
  const worker = new Worker(boot, { workerData: { kind, buffer: currentArena().buffer, domainId, argsRef: encodeValue(args) } });
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", () => retireDomain(domainId));
  });
}

async function rawPingPong(rounds: number): Promise<number> {
  const buffer = new SharedArrayBuffer(64);
  const words = new Int32Array(buffer);
  const worker = new Worker(boot, { workerData: { kind: "raw", buffer, rounds } });
  await new Promise((r) => worker.once("online", r));
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    Atomics.store(words, 0, 2 * i + 1);
    Atomics.notify(words, 0);
    let spins = 0;
    while (Atomics.load(words, 0) !== 2 * i + 2) {
      if (++spins > 20000) Atomics.wait(words, 0, 2 * i + 1, 1);
    }
  }
  const micros = ((performance.now() - start) * 1000) / rounds;
  await new Promise((r) => worker.once("message", r));
  return micros;
}

function* promiseRoundTrip(rounds: number) {
  const [first, firstR] = Eio.Promise.create<Eio.Promise.Resolver<unknown>>({ shared: true });
  const done = startDomain("pong", first, rounds + 1000);
  let toPeer = firstR as Eio.Promise.Resolver<unknown>;
  let micros = 0;
  for (let i = 0; i < rounds + 1000; i++) {
    if (i === 1000) micros = performance.now(); // after warm-up
    const [answer, answerR] = Eio.Promise.create<Eio.Promise.Resolver<unknown>>({ shared: true });
    Eio.Promise.resolve(toPeer, answerR);
    toPeer = (yield* Eio.Promise.await(answer)) as Eio.Promise.Resolver<unknown>;
  }
  micros = ((performance.now() - micros) * 1000) / rounds;
  yield* Eio.Fiber.awaitNative(done);
  return micros;
}

function* streamThroughput(items: number) {
  const s = createSharedStream<number>(1024);
  const done = startDomain("drain", s, items);
  const start = performance.now();
  for (let i = 0; i < items; i++) yield* s.addOp(i);
  yield* Eio.Fiber.awaitNative(done);
  return items / ((performance.now() - start) / 1000);
}

function* churn(cycles: number) {
  const start = performance.now();
  let peak = 0;
  for (let i = 0; i < cycles; i++) {
    const [p, r] = Eio.Promise.create<number>({ shared: true });
    Eio.Promise.resolve(r, i);
    yield* Eio.Promise.await(p);
    if (i % 1000 === 0) {
      yield* Eio.Fiber.awaitNative(new Promise((resolve) => setImmediate(resolve)));
      peak = Math.max(peak, getArena().usedBytes);
    }
  }
  return { seconds: (performance.now() - start) / 1000, peak };
}

const raw = await rawPingPong(200_000);
const results = await Eio.run<{ roundTrip: number; stream: number; used: number; cycles: { seconds: number; peak: number } }>(function* () {
  const roundTrip = yield* promiseRoundTrip(100_000);
  const stream = yield* streamThroughput(1_000_000);
  const used = getArena().usedBytes;
  const cycles = yield* churn(CYCLES);
  return { roundTrip, stream, used, cycles };
});
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
console.log(`raw SharedArrayBuffer ping-pong:     ${raw.toFixed(2)} µs per round trip`);
console.log(`shared promise, two domains:         ${results.roundTrip.toFixed(2)} µs per round trip (${(results.roundTrip / raw).toFixed(1)}x raw)`);
console.log(`shared stream (capacity 1024):       ${Math.round(results.stream).toLocaleString("en")} items/s between two domains`);
console.log(`${CYCLES.toLocaleString("en")} create/resolve/await cycles: ${results.cycles.seconds.toFixed(1)} s; arena ${mb(results.used)} before, peak ${mb(results.cycles.peak)}`);
process.exit(0);
