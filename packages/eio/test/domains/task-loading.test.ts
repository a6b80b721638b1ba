// Every road that runs a task by name loads it the same way (src/domains/load-task.ts), so a
// missing export gives one error, naming the export and the module, whichever road met it.
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const tasks = new URL("./fixtures/tasks.mjs", import.meta.url).href;
const mainOnly = new URL("./fixtures/main-only.mjs", import.meta.url).href;

/** The message every road must give, for the module's functions as the loading thread sees them. */
async function expected(moduleUrl: string, exportName: string, functions?: string[]): Promise<string> {
  const module = (await import(moduleUrl)) as Record<string, unknown>;
  const names = functions ?? Object.keys(module).filter((k) => typeof module[k] === "function").sort();
  return `Eio.task: no export named ${JSON.stringify(exportName)} in module ${moduleUrl} (its exported functions: ${names.join(", ")})`;
}

/** Runs `body` in a switch and returns what it threw (or "no error"). */
function failure(body: (env: Eio.Env, sw: Eio.Switch.Switch) => Eio.Operation<unknown>): Promise<unknown> {
  return Eio.run(function* (env) {
    try {
      yield* Eio.Switch.run((sw) => body(env, sw));
      return "no error";
    } catch (e) {
      return e;
    }
  });
}

describe("a missing export", () => {
  it("gives the same error on DomainManager.run, ExecutorPool.submit and runServer's calling domain", async () => {
    const want = await expected(tasks, "nope");
    const missing = Eio.task(tasks, "nope");
    const viaManager = await failure((env) => Eio.DomainManager.run(env.domainMgr, missing));
    const viaPool = await failure(function* (env, sw) {
      const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
      return yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, missing);
    });
    const viaServer = await failure(function* (env, sw) {
      const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
      return yield* Eio.Net.runServer(socket, Eio.task(tasks, "nope"), { additionalDomains: [env.domainMgr, 1], onError: () => {} });
    });
    for (const error of [viaManager, viaPool, viaServer]) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(want);
    }
  });

  it("gives the same error in runServer's additional domains", async () => {
    // The calling domain finds `mainOnly`; the additional domain does not (it is unset there).
    const error = await failure(function* (env, sw) {
      const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
      return yield* Eio.Net.runServer(socket, Eio.task(mainOnly, "mainOnly"), { additionalDomains: [env.domainMgr, 1], onError: () => {} });
    });
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(await expected(mainOnly, "mainOnly", ["present"]));
  });
});
