// Quick measurements of the single-domain runtime against plain async/await, run against the
// built package: `npm run build && node packages/eio/perf/measure.mjs`. The real benchmark suite
// (with the peers) is bench/; this is the core engineer's loop for checking hot paths.
import * as Eio from "../dist/index.js";
import os from "node:os";

const N_SPAWN = 100_000;
const N_SWITCH = 1_000_000;
const ROUNDS = Number(process.env.ROUNDS ?? 7);

async function measure(name, perOp, fn) {
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / perOp);
  }
  times.sort((a, b) => a - b);
  return { name, median: times[Math.floor(times.length / 2)], min: times[0] };
}

// Fiber bodies are defined once, as the async functions are: on V8 a generator function
// created afresh for each fiber costs ~15 µs (each closure gets its own prototype and map).
const noop = function* () {};
const yieldOnce = function* () {
  yield* Eio.Fiber.yield();
};
function withResolvers() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}
const cases = {
  "spawn+join (empty)": [
    N_SPAWN,
    () =>
      Eio.run(() =>
        Eio.Switch.run((sw) => {
          for (let i = 0; i < N_SPAWN; i++) Eio.Fiber.fork(sw, noop);
        }),
      ),
    () => Promise.all(Array.from({ length: N_SPAWN }, async () => {})),
  ],
  "spawn+join (one yield)": [
    N_SPAWN,
    () =>
      Eio.run(() =>
        Eio.Switch.run((sw) => {
          for (let i = 0; i < N_SPAWN; i++) Eio.Fiber.fork(sw, yieldOnce);
        }),
      ),
    () =>
      Promise.all(
        Array.from({ length: N_SPAWN }, async () => {
          await null;
        }),
      ),
  ],
  "switch: Fiber.yield ping-pong": [
    N_SWITCH,
    () =>
      Eio.run(() => {
        const loop = function* () {
          for (let i = 0; i < N_SWITCH / 2; i++) yield* Eio.Fiber.yield();
        };
        return Eio.Fiber.both(loop, loop);
      }),
    () => {
      const loop = async () => {
        for (let i = 0; i < N_SWITCH / 2; i++) await null;
      };
      return Promise.all([loop(), loop()]);
    },
  ],
  "switch: promise hand-off": [
    N_SWITCH,
    () =>
      Eio.run(() => {
        // Two fibers pass a counter back and forth, each hop through a fresh Eio promise.
        let toB = Eio.Promise.create();
        let toA = Eio.Promise.create();
        return Eio.Fiber.both(
          function* () {
            for (let i = 0; i < N_SWITCH / 2; i++) {
              Eio.Promise.resolve(toB[1], i);
              const v = yield* Eio.Promise.await(toA[0]);
              toA = Eio.Promise.create();
              void v;
            }
          },
          function* () {
            for (let i = 0; i < N_SWITCH / 2; i++) {
              const v = yield* Eio.Promise.await(toB[0]);
              toB = Eio.Promise.create();
              Eio.Promise.resolve(toA[1], v);
            }
          },
        );
      }),
    () => {
      let toB = withResolvers();
      let toA = withResolvers();
      return Promise.all([
        (async () => {
          for (let i = 0; i < N_SWITCH / 2; i++) {
            toB.resolve(i);
            await toA.promise;
            toA = withResolvers();
          }
        })(),
        (async () => {
          for (let i = 0; i < N_SWITCH / 2; i++) {
            const v = await toB.promise;
            toB = withResolvers();
            toA.resolve(v);
          }
        })(),
      ]);
    },
  ],
};

const only = process.argv[2];
console.log(`Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${ROUNDS} rounds, median ns/op`);
for (const [name, [n, eio, plain]] of Object.entries(cases)) {
  if (only && !name.includes(only)) continue;
  const e = await measure(name, n, eio);
  const p = await measure(name, n, plain);
  console.log(
    `${name.padEnd(32)} eio-ts ${e.median.toFixed(1).padStart(7)} ns  plain async ${p.median.toFixed(1).padStart(7)} ns  ratio ${(e.median / p.median).toFixed(2)}x`,
  );
}
