// The shared-promise ping-pong of bench/suites/domains.mjs between the main thread and one domain,
// alone: the median of every 16th round trip, the mean, and the process's CPU time per round trip
// (both threads, spinning included), each the median of the rounds; FLOOR=1 also runs the floor
// row (bench/lib/floor-promise.mjs) in the same process, for the ratios.
//   npm run build && nice -n -39 node bench/shared-round-trip-probe.mjs [round trips per round] [rounds]
import * as Eio from "eio-ts";
import { startPingPong } from "./lib/shared-ping-pong.mjs";
const N = Number(process.argv[2] ?? 20000);
const ROUNDS = Number(process.argv[3] ?? 5);
await Eio.run(function* (env) {
  yield* Eio.Switch.run(function* (sw) {
    const pingPong = startPingPong(env, sw);
    const out = [];
    for (let r = 0; r < ROUNDS + 1; r++) {
      const timed = [];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      yield* pingPong.roundTrips(N, timed);
      const t = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      timed.sort((a, b) => a - b);
      if (r > 0) out.push({ median: timed[timed.length >> 1] * 1000, mean: (t / N) * 1000, cpu: (cpu.user + cpu.system) / N, p90: timed[Math.floor(timed.length * 0.9)] * 1000, p99: timed[Math.floor(timed.length * 0.99)] * 1000 });
    }
    pingPong.stop();
    const med = (k) => { const v = out.map((o) => o[k]).sort((a, b) => a - b); return v[v.length >> 1]; };
    console.log(`median ${med("median").toFixed(2)} µs  mean ${med("mean").toFixed(2)} µs  cpu ${med("cpu").toFixed(2)} µs  p90 ${med("p90").toFixed(2)}  p99 ${med("p99").toFixed(2)}  (medians of ${ROUNDS} rounds of ${N})`);
  });
});
if (process.env.FLOOR) {
  const { startFloorPromise } = await import("./lib/floor-promise.mjs");
  const f = await startFloorPromise();
  const out = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const timed = [];
    const t0 = performance.now();
    f.roundTrips(N, timed);
    const t = performance.now() - t0;
    timed.sort((a, b) => a - b);
    if (r > 0) out.push({ median: timed[timed.length >> 1] * 1000, mean: (t / N) * 1000 });
  }
  await f.stop();
  const med = (k) => { const v = out.map((o) => o[k]).sort((a, b) => a - b); return v[v.length >> 1]; };
  console.log(`floor: median ${med("median").toFixed(2)} µs  mean ${med("mean").toFixed(2)} µs`);
}
