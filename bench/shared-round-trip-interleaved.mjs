// The shared-promise ping-pong of bench/suites/domains.mjs (eio-ts) and the floor's
// (bench/lib/floor-promise.mjs), taking turns in one process: slices of N round trips each, eio-ts
// then the floor, and each slice's median of every 16th round trip. The suite times the two rows
// seconds apart; on this VM the cost of moving a cache line between the two vCPUs changes over
// seconds (the floor's median went 0.37 -> 0.52 -> 1.15 µs within one run), and both rows follow
// it, so their ratio is only meaningful between slices measured at the same moment.
//   npm run build && nice -n -39 node bench/shared-round-trip-interleaved.mjs [N per slice] [slices]
import * as Eio from "eio-ts";
import { startPingPong } from "./lib/shared-ping-pong.mjs";
import { startFloorPromise } from "./lib/floor-promise.mjs";
const N = Number(process.argv[2] ?? 5000);
const SLICES = Number(process.argv[3] ?? 30);
const f = await startFloorPromise();
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
      // The first two slices warm both up.
      if (r >= 2) rows.push([med(timed), med(ft)]);
    }
    pingPong.stop();
  });
});
await f.stop();
console.log(rows.map(([a, b]) => `${a.toFixed(2)}/${b.toFixed(2)}=${(a / b).toFixed(1)}`).join(" "));
const e = rows.map((r) => r[0]).sort((x, y) => x - y), fl = rows.map((r) => r[1]).sort((x, y) => x - y), ra = rows.map((r) => r[0] / r[1]).sort((x, y) => x - y);
const m = (a) => a[a.length >> 1];
console.log(`slices ${rows.length}: eio median-of-medians ${m(e).toFixed(2)} µs, floor ${m(fl).toFixed(2)} µs, per-slice ratio median ${m(ra).toFixed(2)} (min ${ra[0].toFixed(2)} max ${ra[ra.length - 1].toFixed(2)})`);
