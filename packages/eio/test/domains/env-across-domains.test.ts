// Real worker threads: run `npm run build` first (the tests import the built package).
import { threadId } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/env-tasks.mjs", import.meta.url);
const task = <A extends unknown[] = unknown[], R = unknown>(name: string) => Eio.task<A, R>(fixtures, name);

describe("domain managers and the env across domains", () => {
  it("a domain manager sent to a task arrives live: the task starts a third domain with it", async () => {
    const result = await Eio.run<{ live: boolean; here: number; inner: number }>(function* (env) {
      return yield* Eio.DomainManager.run(env.domainMgr, task<[Eio.DomainManager.DomainManager], { live: boolean; here: number; inner: number }>("nested"), env.domainMgr);
    });
    expect(result.live).toBe(true);
    expect(new Set([threadId, result.here, result.inner]).size).toBe(3);
  });

  it("a domain manager made with DomainManager.create crosses too, inside a value", async () => {
    const dm = Eio.DomainManager.create({ resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const result = await Eio.run<{ live: boolean; inner: number }>(function* (env) {
      return yield* Eio.DomainManager.run(env.domainMgr, task<[{ list: Eio.DomainManager.DomainManager[] }], { live: boolean; inner: number }>("nestedIn"), { list: [dm] });
    });
    expect(result.live).toBe(true);
    expect(result.inner).not.toBe(threadId);
  });

  it("a task given env sleeps on its clock, connects with its net and starts domains with its domain manager", async () => {
    const [result, heard] = await Eio.run<[{ slept: number; reply: string; inner: number; here: number; cwd: string; wall: number }, string]>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const addr = Eio.Net.listeningAddr(server) as { port: number };
        const heard = Eio.Fiber.forkPromise(sw, function* () {
          const [conn] = yield* Eio.Net.accept(sw, server);
          const text = yield* Eio.BufRead.takeAll(Eio.BufRead.of(conn, { maxSize: 1024 }));
          yield* Eio.Flow.write(conn, "welcome");
          Eio.Flow.close(conn);
          return text;
        });
        const result = yield* Eio.DomainManager.run(env.domainMgr, task<[Eio.Env, number], { slept: number; reply: string; inner: number; here: number; cwd: string; wall: number }>("useEnv"), env, addr.port);
        return [result, yield* Eio.Promise.awaitExn(heard)];
      });
    });
    expect(result.slept).toBeGreaterThanOrEqual(0.015);
    expect(result.reply).toBe("welcome");
    expect(heard).toBe(`hello from ${result.here}`);
    expect(new Set([threadId, result.here, result.inner]).size).toBe(3);
    expect(result.cwd).toBe("<cwd>");
    expect(result.wall).toBeGreaterThan(1e9);
  });

  it("the env's parts cross one by one, anywhere inside a value", async () => {
    const result = await Eio.run(function* (env) {
      const parts = { net: env.net, clock: env.clock, mono: env.monoClock, dm: env.domainMgr };
      return yield* Eio.DomainManager.run(env.domainMgr, task("useParts"), { parts });
    });
    expect(result).toEqual({ net: "object", clockNow: true, dm: true });
  });
});
