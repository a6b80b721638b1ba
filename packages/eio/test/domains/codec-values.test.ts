// Real worker threads: run `npm run build` first (the tests import the built package).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/env-tasks.mjs", import.meta.url);

describe("values with shared handles in domain records", () => {
  it("a typed array over shared memory stays shared when the same value also carries a shared resolver", async () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const [answer, returned] = await Eio.run<[string, { counter: Int32Array; same: boolean }]>(function* (env) {
      const [promise, reply] = Eio.Promise.create<string>({ shared: true });
      const task = Eio.task<[{ counter: Int32Array; reply: Eio.Promise.Resolver<string> }], { counter: Int32Array; same: boolean }>(fixtures, "markAndResolve");
      const returned = yield* Eio.DomainManager.run(env.domainMgr, task, { counter, reply });
      return [yield* Eio.Promise.await(promise), returned];
    });
    expect(answer).toBe("done");
    expect(Atomics.load(counter, 0)).toBe(1);
    expect(returned.same).toBe(true);
    Atomics.add(returned.counter, 0, 1);
    expect(Atomics.load(counter, 0)).toBe(2);
  });
});
