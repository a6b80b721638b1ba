// Eio's admission rule, seen in a trace: five jobs of weights 1, 1, 0.5, 0.5, 0.5 (each sleeps
// 20 ms) on a pool of two domains. A domain takes a new job while the weights of the jobs it runs
// add up to less than 1, so the jobs of weight 1 run alone and two jobs of weight 0.5 share a
// domain. Prints the domains' part of the trace; with a file name, also draws it there:
//   npm run build && node examples/tour/pool-weights.mjs [picture.svg]
import * as Eio from "eio-ts";
import { writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

export function* work(clock, ms) {
  yield* Eio.Time.sleep(clock, ms / 1000);
}

if (isMainThread) {
  await Eio.run(function* (env) {
    yield* Eio.Switch.run(function* (sw) {
      const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 2 });
      const task = Eio.task(import.meta.url, "work");
      // Started and warm before the recording: it shows the jobs, not the threads starting.
      yield* Eio.Fiber.both(
        () => Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task, env.clock, 1),
        () => Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task, env.clock, 1),
      );
      const trace = yield* Eio.Trace.record(() =>
        Eio.Fiber.all(
          [1, 1, 0.5, 0.5, 0.5].map((weight) => function* submitter() {
            yield* Eio.ExecutorPool.submitExn(pool, { weight }, task, env.clock, 20);
          }),
        ),
      );
      const picture = process.argv[2];
      if (picture !== undefined) writeFileSync(picture, Eio.Trace.toSvg(trace, { title: "five jobs of weights 1, 1, 0.5, 0.5, 0.5 on a pool of two domains" }));
      console.log(Eio.Trace.toText(trace).split("\n").filter((line) => !line.startsWith("[domain 0]")).join("\n"));
    });
  });
}
