// Quick measurements of the single-domain runtime against plain async/await, run against the
// built package: `npm run build && node packages/eio/perf/measure.mjs`. The real benchmark suite
// (with the peers) is bench/; this is the core engineer's loop for checking hot paths.
import * as Eio from "../dist/index.js";
import os from "node:os";

const N_SPAWN = 100_000;
const N_SWITCH = 1_000_000;
const ROUNDS = Number(process.env.ROUNDS ?? 7);

// The machine is shared and noisy: the two sides alternate round by round, and the best round
// (least disturbed) is reported next to the median.
async function measurePair(perOp, eio, plain) {
  const e = [];
  const p = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [fn, into] of [[eio, e], [plain, p]]) {
      const t0 = process.hrtime.bigint();
      await fn();
      into.push(Number(process.hrtime.bigint() - t0) / perOp);
    }
  }
  const stats = (xs) => {
    xs.sort((a, b) => a - b);
    return { min: xs[0], median: xs[Math.floor(xs.length / 2)] };
  };
  return [stats(e), stats(p)];
}

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
const results = {};
for (const [name, [n, eio, plain]] of Object.entries(cases)) {
  if (only && !name.includes(only)) continue;
  const [e, p] = await measurePair(n, eio, plain);
  results[name] = { eio: e, plain: p };
  const f = (x) => x.toFixed(1).padStart(7);
  console.log(
    `${name.padEnd(30)} eio-ts best ${f(e.min)} median ${f(e.median)} ns | plain async best ${f(p.min)} median ${f(p.median)} ns | ratio best ${(e.min / p.min).toFixed(2)}x median ${(e.median / p.median).toFixed(2)}x`,
  );
}
if (process.env.JSON) console.log(JSON.stringify({ node: process.version, cores: os.cpus().length, load: os.loadavg(), results }));
