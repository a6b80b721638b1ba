// Real worker threads: run `npm run build` first (the tests import the built package).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/tasks.mjs", import.meta.url);
const task = <A extends unknown[] = unknown[], R = unknown>(name: string) => Eio.task<A, R>(fixtures, name);
const flags = () => new Int32Array(new SharedArrayBuffer(16));

/** Waits in a fiber (not blocking the domain) until `shared[slot]` is set; the tasks notify it. */
function* untilSet(shared: Int32Array, slot: number) {
  while (Atomics.load(shared, slot) === 0) {
    const wait = Atomics.waitAsync(shared, slot, 0);
    if (wait.async) yield* Eio.Fiber.awaitNative(wait.value);
  }
}

describe("DomainManager.run", () => {
  it("returns the result of a plain, a generator and an async function run in another domain", async () => {
    const results = await Eio.run(function* (env) {
      return [
        yield* Eio.DomainManager.run(env.domainMgr, task<[number, number], number>("add"), 1, 2),
        yield* Eio.DomainManager.run(env.domainMgr, task<[number, number], number>("addSlowly"), 3, 4),
        yield* Eio.DomainManager.run(env.domainMgr, task<[number, number], number>("addLater"), 5, 6),
      ];
    });
    expect(results).toEqual([3, 7, 11]);
  });

  it("runs the task on another thread and clones structured values both ways", async () => {
    const value = { list: [1, "two", null, undefined], map: new Map([["k", 1.5]]), date: new Date(0), bytes: new Uint8Array([1, 2]) };
    const [echoed, thread] = await Eio.run<unknown[]>(function* (env) {
      return [
        yield* Eio.DomainManager.run(env.domainMgr, task("echo"), value),
        yield* Eio.DomainManager.run(env.domainMgr, task("whichThread")),
      ];
    });
    expect(echoed).toEqual(value);
    expect(thread).not.toBe(0);
  });

  it("shares a SharedArrayBuffer passed inside a typed array", async () => {
    const shared = flags();
    await Eio.run(function* (env) {
      yield* Eio.DomainManager.run(env.domainMgr, task("mark"), shared);
    });
    expect(shared[2]).toBe(1);
  });

  it("rethrows a built-in error with its class, message, stack and own fields", async () => {
    const error = await Eio.run(function* (env) {
      try {
        yield* Eio.DomainManager.run(env.domainMgr, task("failRange"), "out of range");
      } catch (e) {
        return e;
      }
    });
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ name: "RangeError", message: "out of range", code: "E_RANGE" });
    expect((error as Error).stack).toContain("failRange");
  });

  it("rethrows a custom error with its name, cause and fields", async () => {
    const error = (await Eio.run(function* (env) {
      try {
        yield* Eio.DomainManager.run(env.domainMgr, task("failCustom"), "age");
      } catch (e) {
        return e;
      }
    })) as Error & { field: string; details: unknown };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ValidationError");
    expect(error.message).toBe("age is invalid");
    expect(error.field).toBe("age");
    expect(error.details).toEqual({ min: 1, max: 9 });
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as Error).message).toBe("bad input");
    expect(error.stack).toContain("failCustom");
  });

  it("keeps the calling domain's other fibers running while it waits", async () => {
    const shared = flags();
    const trace: string[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Fiber.both(
        function* () {
          // Returns only once the other fiber, in this domain, has counted itself in.
          const started = yield* Eio.DomainManager.run(env.domainMgr, task<[Int32Array], number>("holdUntilReleased"), shared);
          trace.push(`task saw ${started} started`);
        },
        function* () {
          yield* untilSet(shared, 0);
          trace.push("other fiber released the task");
          Atomics.store(shared, 1, 1);
          Atomics.notify(shared, 1);
        },
      );
    });
    expect(trace).toEqual(["other fiber released the task", "task saw 1 started"]);
  });

  it("cancelling the caller cancels the task in the other domain", async () => {
    const shared = flags();
    const outcome = await Eio.run(function* (env) {
      return yield* Eio.Fiber.first(
        () => Eio.DomainManager.run(env.domainMgr, task("awaitCancelAndRecord"), shared),
        function* () {
          yield* untilSet(shared, 0);
          return "cancelled the other branch";
        },
      );
    });
    expect(outcome).toBe("cancelled the other branch");
    // run() waits for the task to finish after cancelling it, so its finally block has run.
    expect(shared[1]).toBe(1);
  });

  it("a task cancelled before its domain has loaded it starts cancelled and still cleans up", async () => {
    const shared = flags();
    const outcome = await Eio.run(function* (env) {
      // The second branch wins at once, long before the new worker has imported the module.
      return yield* Eio.Fiber.first(() => Eio.DomainManager.run(env.domainMgr, task("awaitCancelAndRecord"), shared), () => "first");
    });
    expect(outcome).toBe("first");
    expect(shared[1]).toBe(1);
  });

  it("a task already cancelled does not start a domain", async () => {
    const error = await Eio.run(function* (env) {
      return yield* Eio.Cancel.sub(function* (ctx) {
        Eio.Cancel.cancel(ctx, new Error("stop"));
        try {
          yield* Eio.DomainManager.run(env.domainMgr, task("add"), 1, 2);
        } catch (e) {
          return e;
        }
      });
    });
    expect(error).toBeInstanceOf(Eio.Cancel.Cancelled);
  });

  it("fails with DomainCrashed when the task's thread exits", async () => {
    const error = await Eio.run(function* (env) {
      try {
        yield* Eio.DomainManager.run(env.domainMgr, task("exitProcess"), 3);
      } catch (e) {
        return e;
      }
    });
    expect(error).toBeInstanceOf(Eio.DomainCrashed);
    expect((error as Error).message).toMatch(/exited with code 3/);
  });

  it("reports a missing export and a missing module clearly", async () => {
    const missing = await Eio.run<Error | undefined>(function* (env) {
      try {
        yield* Eio.DomainManager.run(env.domainMgr, task("noSuchExport"));
      } catch (e) {
        return e as Error;
      }
    });
    expect(missing).toBeInstanceOf(TypeError);
    expect(missing!.message).toMatch(/^Eio.task: no export named "noSuchExport" in module file:\S+\/tasks.mjs \(its exported functions: .*add, addLater/);
    const notFunction = await Eio.run<Error | undefined>(function* (env) {
      try {
        yield* Eio.DomainManager.run(env.domainMgr, Eio.task(new URL("./fixtures/other.mjs", import.meta.url), "notAFunction"));
      } catch (e) {
        return e as Error;
      }
    });
    expect(notFunction!.message).toMatch(/the export "notAFunction" of module file:\S+\/other.mjs is a number, not a function/);
    expect(() => Eio.task(new URL("./fixtures/nothing-here.mjs", import.meta.url), "f")).toThrow(/does not exist/);
    expect(() => Eio.task("relative/path.mjs", "f")).toThrow(TypeError);
    expect(() => Eio.task(fixtures, "")).toThrow(TypeError);
  });

  it("refuses values that cannot be cloned, naming the argument", async () => {
    const error = await Eio.run<Error | undefined>(function* (env) {
      try {
        yield* Eio.DomainManager.run(env.domainMgr, task("echo"), () => 1);
      } catch (e) {
        return e as Error;
      }
    });
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toMatch(/argument 1 cannot be sent to another domain/);
  });

  it("refuses a function in place of a task", async () => {
    await expect(
      Eio.run(function* (env) {
        yield* Eio.DomainManager.run(env.domainMgr, (() => 1) as never);
      }),
    ).rejects.toThrow(/functions cannot cross domains/);
  });
});
