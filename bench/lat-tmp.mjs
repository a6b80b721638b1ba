import * as Eio from "eio-ts";
const tasks = new URL("./workers/pool-tasks.mjs", import.meta.url);
const noop = Eio.task(tasks, "noop");
await Eio.run(function* (env) {
  yield* Eio.Switch.run(function* (sw) {
    const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 2 });
    for (let round = 0; round < 8; round++) {
      const t = performance.now();
      for (let i = 0; i < 3000; i++) yield* Eio.ExecutorPool.submitExn(pool, { weight: 0.01 }, noop, i);
      console.log("seq µs/task", ((performance.now() - t) * 1000 / 3000).toFixed(1));
    }
  });
});
