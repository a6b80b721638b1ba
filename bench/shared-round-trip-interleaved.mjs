// The shared-promise ping-pong of bench/suites/domains.mjs (eio-ts), the floor's
// (bench/lib/floor-promise.mjs) and the value floor's (bench/lib/floor-value-promise.mjs), taking
// turns in one process: slices of N round trips each, eio-ts, the floor, then the value floor,
// and each slice's median of every 16th round trip. The suite times the two rows
// seconds apart; on this VM the cost of moving a cache line between the two vCPUs changes over
// seconds (the floor's median went 0.37 -> 0.52 -> 1.15 µs within one run), and both rows follow
// it, so their ratio is only meaningful between slices measured at the same moment.
//   npm run build && nice -n -39 node bench/shared-round-trip-interleaved.mjs [N per slice] [slices]
import * as Eio from "eio-ts";
import { startPingPong } from "./lib/shared-ping-pong.mjs";
import { startFloorPromise } from "./lib/floor-promise.mjs";
import { startFloorValuePromise } from "./lib/floor-value-promise.mjs";
const N = Number(process.argv[2] ?? 5000);
const SLICES = Number(process.argv[3] ?? 30);
const f = await startFloorPromise();
const fv = await startFloorValuePromise();
const med = (a) => { a.sort((x, y) => x - y); return a[a.length >> 1] * 1000; };
const rows = [];
await Eio.run(function* (env) {
  yield* Eio.Switch.run(function* (sw) {
    const pingPong = startPingPong(env, sw);
    for (let r = 0; r < SLICES + 2; r++) {
      const timed = [];
      yield* pingPong.roundTrips(N, timed);
      // The floor runs synchronously on this thread; the eio-ts domain waits meanwhile (its
      // first round trip of the next slice pays its wake-up, which the median ignores).
      const ft = [];
      f.roundTrips(N, ft);
      const vt = [];
      fv.roundTrips(N, vt);
      // The first two slices warm them up.
      if (r >= 2) rows.push([med(timed), med(ft), med(vt)]);
    }
    pingPong.stop();
  });
});
await f.stop();
await fv.stop();
console.log(rows.map(([a, b, c]) => `${a.toFixed(2)}/${b.toFixed(2)}/${c.toFixed(2)}`).join(" "));
const m = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const spread = (a) => { const s = [...a].sort((x, y) => x - y); return `${m(s).toFixed(2)} (min ${s[0].toFixed(2)} max ${s[s.length - 1].toFixed(2)})`; };
console.log(`slices ${rows.length}: medians of the slices' medians: eio ${m(rows.map((r) => r[0])).toFixed(2)} µs, floor ${m(rows.map((r) => r[1])).toFixed(2)} µs, value floor ${m(rows.map((r) => r[2])).toFixed(2)} µs`);
console.log(`per-slice ratios: eio/floor ${spread(rows.map((r) => r[0] / r[1]))}, eio/value floor ${spread(rows.map((r) => r[0] / r[2]))}, value floor/floor ${spread(rows.map((r) => r[2] / r[1]))}`);
