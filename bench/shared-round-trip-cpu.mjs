// CPU time of the shared-promise ping-pong with both fibers in one domain: what a round trip
// of bench/suites/domains.mjs costs apart from the wake-ups between threads (the reader holds
// its own handles, as another domain would, so values are copied as they would be).
//   npm run build && node bench/shared-round-trip-cpu.mjs [round trips per round]
import * as Eio from "eio-ts";
import { answerPings, sendPing } from "./workers/eio-domain-tasks.mjs";

const N = Number(process.argv[2] ?? 100_000);

await Eio.run(function* () {
  yield* Eio.Switch.run(function* (sw) {
    let [ping, resolver] = Eio.Promise.create({ shared: true });
    const sender = { ping: resolver };
    resolver = null;
    // A handle of the reader's own: the first ping goes through a shared stream and back.
    const stream = Eio.Stream.create(1, { shared: true });
    yield* Eio.Stream.add(stream, ping);
    const box = { ping: yield* Eio.Stream.take(stream) };
    ping = null;
    Eio.Fiber.fork(sw, () => answerPings(box));
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const start = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        const message = sendPing(sender, i);
        const answer = yield* Eio.Promise.await(message.pong);
        message.next = null;
        if (answer !== i) throw new Error(`got ${answer} for ${i}`);
      }
      const used = process.cpuUsage(start);
      best = Math.min(best, (used.user + used.system) / N);
    }
    console.log(`shared promise round trip in one domain: ${best.toFixed(2)} µs of CPU (best of 5 rounds of ${N})`);
    Eio.Promise.resolve(sender.ping, null);
  });
});
