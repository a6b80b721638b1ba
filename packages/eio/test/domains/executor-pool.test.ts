// Real worker threads: run `npm run build` first (the tests import the built package).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/tasks.mjs", import.meta.url);
const task = <A extends unknown[] = unknown[], R = unknown>(name: string) => Eio.task<A, R>(fixtures, name);
const flags = () => new Int32Array(new SharedArrayBuffer(16));

/** Waits in a fiber (not blocking the domain) until `flags[slot] >= value`; the tasks notify the slot. */
function* waitFor(shared: Int32Array, slot: number, value: number) {
  for (let seen = Atomics.load(shared, slot); seen < value; seen = Atomics.load(shared, slot)) {
    const wait = Atomics.waitAsync(shared, slot, seen);
    if (wait.async) yield* Eio.Fiber.awaitNative(wait.value);
  }
}

function release(shared: Int32Array) {
  Atomics.store(shared, 1, 1);
  Atomics.notify(shared, 1);
}

/** Runs `body(pool)` in a switch with a fresh pool. */
function withPool<T>(options: Eio.ExecutorPool.CreateOptions, body: (pool: Eio.ExecutorPool.ExecutorPool, sw: Eio.Switch.Switch) => unknown): Promise<T> {
  return Eio.run((env) => Eio.Switch.run((sw) => body(Eio.ExecutorPool.create(sw, env.domainMgr, options), sw)));
}

describe("ExecutorPool", () => {
  it("submit returns ok and error results; submitExn returns the value or throws", async () => {
    const [ok, failed, value, thrown] = await withPool<unknown[]>({ domainCount: 2 }, function* (pool) {
      const ok = yield* Eio.ExecutorPool.submit(pool, { weight: 1 }, task<[number, number], number>("add"), 2, 3);
      const failed = yield* Eio.ExecutorPool.submit(pool, { weight: 1 }, task("failRange"), "nope");
      const value = yield* Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, task<[number, number], number>("addSlowly"), 4, 5);
      let thrown: unknown;
      try {
        yield* Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, task("failCustom"), "name");
      } catch (e) {
        thrown = e;
      }
      return [ok, failed, value, thrown];
    });
    expect(ok).toEqual({ ok: true, value: 5 });
    expect(failed).toMatchObject({ ok: false, error: { name: "RangeError", message: "nope", code: "E_RANGE" } });
    expect(value).toBe(9);
    expect(thrown).toMatchObject({ name: "ValidationError", field: "name" });
  });

  it("submitFork returns a promise at once, and every one of many jobs gets its own answer", async () => {
    const answers = await withPool<number[]>({ domainCount: 2 }, function* (pool, sw) {
      const add = task<[number, number], number>("add");
      const promises = Array.from({ length: 5000 }, (_, i) => Eio.ExecutorPool.submitFork(sw, pool, { weight: 0.01 }, add, i, i));
      const answers: number[] = [];
      for (const p of promises) answers.push(yield* Eio.Promise.awaitExn(p));
      return answers;
    });
    expect(answers).toEqual(Array.from({ length: 5000 }, (_, i) => 2 * i));
  });

  it("rejects weights outside [0, 1] with a RangeError", async () => {
    const errors = await withPool<unknown[]>({ domainCount: 1 }, function* (pool) {
      const errors: unknown[] = [];
      for (const weight of [-5, 1.1, Number.NaN]) {
        try {
          yield* Eio.ExecutorPool.submitExn(pool, { weight }, task("add"), 1, 1);
        } catch (e) {
          errors.push(e);
        }
      }
      return errors;
    });
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e).toBeInstanceOf(RangeError);
    expect((errors[0] as Error).message).toMatch(/weight must be a number between 0 and 1.*got -5/);
  });

  it("two 0.5 jobs share one domain", async () => {
    const shared = flags();
    const threads = await withPool<number[]>({ domainCount: 1 }, function* (pool) {
      const meet = task<[Int32Array, number], number>("meetOthers");
      // Each job waits (without blocking its domain) until both have started: only possible if they run at once.
      return yield* Eio.Fiber.pair(
        () => Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, meet, shared, 2),
        () => Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, meet, shared, 2),
      );
    });
    expect(threads[0]).toBe(threads[1]);
  });

  it("four 0.5 jobs run at once on two domains, two on each", async () => {
    const shared = flags();
    const threads = await withPool<number[]>({ domainCount: 2 }, function* (pool) {
      const meet = task<[Int32Array, number], number>("meetOthers");
      return yield* Eio.Fiber.List.map(() => Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, meet, shared, 4), [1, 2, 3, 4]);
    });
    const perThread = new Map<number, number>();
    for (const t of threads) perThread.set(t, (perThread.get(t) ?? 0) + 1);
    expect([...perThread.values()]).toEqual([2, 2]);
  });

  it("a 1.0 job has its domain alone: the next job starts only after it ends", async () => {
    const shared = flags();
    const trace = await withPool<string[]>({ domainCount: 1 }, function* (pool, sw) {
      const trace: string[] = [];
      const big = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[Int32Array], number>("holdUntilReleased"), shared);
      yield* waitFor(shared, 0, 1);
      const small = Eio.ExecutorPool.submitFork(sw, pool, { weight: 0.1 }, task<[Int32Array], number>("mark"), shared);
      // Give the small job every chance to start (it must not): a check that something does not
      // happen needs time to pass; it passes whatever the delay.
      for (let i = 0; i < 20; i++) yield* Eio.Fiber.awaitNative(new Promise((r) => setTimeout(r, 1)));
      trace.push(`small job started early: ${Atomics.load(shared, 2) !== 0}`);
      release(shared);
      trace.push(`big job saw ${yield* Eio.Promise.awaitExn(big)} started`);
      yield* Eio.Promise.awaitExn(small);
      trace.push(`small job ran: ${Atomics.load(shared, 2)}`);
      return trace;
    });
    expect(trace).toEqual(["small job started early: false", "big job saw 1 started", "small job ran: 1"]);
  });

  it("a job that waits for a domain gets its arguments as they were when it was submitted", async () => {
    const shared = flags();
    const [objects, primitives] = await withPool<[unknown[], unknown[]]>({ domainCount: 1 }, function* (pool, sw) {
      const big = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[Int32Array], number>("holdUntilReleased"), shared);
      yield* waitFor(shared, 0, 1);
      // Both jobs must wait: the domain is taken. Objects are copied at submission; primitives
      // (kept unencoded while the job waits) cannot change.
      const box = { n: 1, list: [1, 2] };
      const later = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[unknown], unknown>("echo"), box);
      const texts = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[string, number, boolean, null], number>("add"), "a", 1.5, true, null);
      box.n = 2;
      box.list.push(3);
      release(shared);
      yield* Eio.Promise.awaitExn(big);
      return [[yield* Eio.Promise.awaitExn(later)], [yield* Eio.Promise.awaitExn(texts)]];
    });
    expect(objects).toEqual([{ n: 1, list: [1, 2] }]);
    expect(primitives).toEqual(["a1.5"]);
  });

  it("cancelling a submitter that waits for a domain withdraws its job", async () => {
    const shared = flags();
    const result = await withPool<string>({ domainCount: 1 }, function* (pool, sw) {
      const big = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[Int32Array], number>("holdUntilReleased"), shared);
      yield* waitFor(shared, 0, 1);
      // This job must wait for the domain; cancel its submitter while it waits.
      const outcome = yield* Eio.Fiber.first(
        () => Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task("mark"), shared),
        () => "gave up",
      );
      release(shared);
      yield* Eio.Promise.awaitExn(big);
      // FIFO: had the withdrawn job stayed queued, it would run before this one.
      yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task("add"), 1, 1);
      return `${String(outcome)}; withdrawn job ran ${Atomics.load(shared, 2)} times`;
    });
    expect(result).toBe("gave up; withdrawn job ran 0 times");
  });

  it("a job that started runs on when its submitter is cancelled", async () => {
    const shared = flags();
    const result = await withPool<string>({ domainCount: 1 }, function* (pool) {
      const outcome = yield* Eio.Fiber.first(
        () => Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task<[Int32Array], number>("holdUntilReleased"), shared),
        function* () {
          yield* waitFor(shared, 0, 1);
          return "submitter cancelled";
        },
      );
      release(shared);
      // The domain is taken until the cancelled job finishes; this one runs after it.
      const after = yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task<[number, number], number>("add"), 2, 2);
      return `${String(outcome)}; next job got ${after}`;
    });
    expect(result).toBe("submitter cancelled; next job got 4");
  });

  it("stops its domains when its switch finishes; a later submit throws PoolClosed", async () => {
    const error = await Eio.run(function* (env) {
      let leaked: Eio.ExecutorPool.ExecutorPool | null = null;
      yield* Eio.Switch.run(function* (sw) {
        leaked = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
        yield* Eio.ExecutorPool.submitExn(leaked, { weight: 1 }, task("add"), 1, 1);
      });
      try {
        yield* Eio.ExecutorPool.submitExn(leaked!, { weight: 1 }, task("add"), 1, 1);
      } catch (e) {
        return e;
      }
    });
    expect(error).toBeInstanceOf(Eio.PoolClosed);
  });

  it("a job still running when the pool's switch fails gets PoolClosed", async () => {
    const shared = flags();
    const [outcome, switchError] = await Eio.run<unknown[]>(function* (env) {
      return yield* Eio.Switch.run(function* (outer) {
        let job: Eio.Promise.OrError<unknown> | null = null;
        let switchError: unknown = null;
        try {
          yield* Eio.Switch.run(function* (sw) {
            const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
            // Submitted from a fiber of the outer switch, so only the pool is stopped.
            job = Eio.ExecutorPool.submitFork(outer, pool, { weight: 1 }, task("holdUntilReleased"), shared);
            yield* waitFor(shared, 0, 1);
            Eio.Switch.fail(sw, new Error("abort mission"));
          });
        } catch (e) {
          switchError = e;
        }
        return [yield* Eio.Promise.await(job!), switchError];
      });
    });
    expect(outcome).toMatchObject({ ok: false });
    expect((outcome as { error: unknown }).error).toBeInstanceOf(Eio.PoolClosed);
    expect((switchError as Error).message).toBe("abort mission");
  });

  it("a domain that exits fails only its own job, and is replaced", async () => {
    const [crashed, after] = await withPool<[Eio.Result<unknown>, number[]]>({ domainCount: 1 }, function* (pool) {
      const crashed = yield* Eio.ExecutorPool.submit(pool, { weight: 1 }, task("exitProcess"), 7);
      const after = yield* Eio.Fiber.List.map((i: number) => Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, task<[number, number], number>("add"), i, 1), [1, 2, 3]);
      return [crashed, after];
    });
    expect(crashed.ok).toBe(false);
    expect(!crashed.ok && crashed.error).toBeInstanceOf(Eio.DomainCrashed);
    expect(!crashed.ok && (crashed.error as Error).message).toMatch(/exited with code 7/);
    expect(after).toEqual([2, 3, 4]);
  });

  it("an uncaught error in a domain fails its jobs with DomainCrashed carrying the cause", async () => {
    const result = await withPool<Eio.Result<unknown>>({ domainCount: 2 }, function* (pool) {
      return yield* Eio.ExecutorPool.submit(pool, { weight: 0.5 }, task("throwUncaught"), "lost in a timer");
    });
    expect(!result.ok && result.error).toBeInstanceOf(Eio.DomainCrashed);
    expect(!result.ok && ((result.error as Error).cause as Error).message).toBe("lost in a timer");
  });

  it("a domain that runs out of memory fails its job and the pool goes on", async () => {
    const [result, next] = await withPool<[Eio.Result<unknown>, number]>(
      { domainCount: 1, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } },
      function* (pool) {
        const result = yield* Eio.ExecutorPool.submit(pool, { weight: 1 }, task("exhaustMemory"));
        const next = yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task<[number, number], number>("add"), 20, 22);
        return [result, next];
      },
    );
    expect(!result.ok && result.error).toBeInstanceOf(Eio.DomainCrashed);
    expect(!result.ok && (result.error as Error).message).toMatch(/memory/i);
    expect(next).toBe(42);
  });

  it("validates its arguments", async () => {
    await expect(withPool({ domainCount: 0 }, () => {})).rejects.toThrow(RangeError);
    await expect(withPool({ domainCount: 1.5 }, () => {})).rejects.toThrow(/domainCount must be a whole number/);
    await expect(
      withPool({ domainCount: 1 }, function* (pool) {
        yield* Eio.ExecutorPool.submit(pool, null as never, task("add"));
      }),
    ).rejects.toThrow(/options must be an object like \{ weight: 0.5 \}/);
  });
});
