// The blog's store pattern across domains, through an executor pool: one job of weight 1.0
// owns the data and consumes a shared stream of commands; clients in other domains (and in
// this one) send commands carrying shared resolvers and wait for the answers.
// Real worker threads: run `npm run build` first (the tests import the built package).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
// @ts-expect-error: a plain JavaScript fixture, also run as a task
import { client as localClient } from "./fixtures/store.mjs";

const fixtures = new URL("./fixtures/store.mjs", import.meta.url);
const store = Eio.task<[Eio.Stream.Stream<unknown>], number>(fixtures, "store");
const client = Eio.task<[Eio.Stream.Stream<unknown>, string, number], number>(fixtures, "client");

describe("the store pattern through an executor pool", () => {
  it("answers every request from clients in three other domains and this one", async () => {
    const perClient = 500;
    const [answers, keys] = await Eio.run<[number[], number]>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 4 });
        const commands = Eio.Stream.create<unknown>(120, { shared: true });
        const server = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, store, commands);
        const [remote, local] = yield* Eio.Fiber.pair<number[], number>(
          () => Eio.Fiber.List.map((name: string) => Eio.ExecutorPool.submitExn(pool, { weight: 1 }, client, commands, name, perClient), ["a", "b", "c"]),
          () => localClient(commands, "local", perClient),
        );
        const answers = [...remote, local];
        yield* Eio.Stream.add(commands, { op: "stop" });
        return [answers, yield* Eio.Promise.awaitExn(server)];
      });
    });
    expect(answers).toEqual([perClient, perClient, perClient, perClient]);
    expect(keys).toBe(4 * perClient);
  });
});
