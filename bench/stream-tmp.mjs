import * as Eio from "eio-ts";
const domainTasks = new URL("./workers/eio-domain-tasks.mjs", import.meta.url);
const sumStream = Eio.task(domainTasks, "sumStream");
await Eio.run(function* (env) {
  yield* Eio.Switch.run(function* (sw) {
    const stream = Eio.Stream.create(100, { shared: true });
    Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, sumStream, stream));
    for (let round = 0; round < 6; round++) {
      const n = 200_000;
      const t = performance.now();
      for (let i = 0; i < n; i++) yield* Eio.Stream.add(stream, i);
      const [total, totalResolver] = Eio.Promise.create({ shared: true });
      yield* Eio.Stream.add(stream, { total: totalResolver });
      const sum = yield* Eio.Promise.await(total);
      console.log("ns/item", ((performance.now() - t) * 1e6 / n).toFixed(0), sum === n * (n - 1) / 2);
    }
    yield* Eio.Stream.add(stream, null);
  });
});
