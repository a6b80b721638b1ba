// A shared Eio.Pool used from real worker threads. Run `npm run build` first (the tasks import
// the built package).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/pool-tasks.mjs", import.meta.url);
const task = <A extends unknown[] = unknown[], R = unknown>(name: string) => Eio.task<A, R>(fixtures, name);
const newCounter = task<[], Int32Array>("newCounter");
const ints = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));

/** Waits in a fiber, without blocking the domain, until `cells[i]` is not 0. */
function* untilSet(cells: Int32Array, i: number) {
  while (Atomics.load(cells, i) === 0) {
    const wait = Atomics.waitAsync(cells, i, 0);
    if (wait.async) yield* Eio.Fiber.awaitNative(wait.value);
  }
}

describe("a shared Pool across domains", () => {
  it("never has more than max users at once, across three domains, and no use is lost", async () => {
    const active = ints(2);
    const times = 20;
    const [total, peak] = await Eio.run<[number, number]>(function* (env) {
      const pool = Eio.Pool.create(2, newCounter, { shared: true });
      const useMany = task<[Eio.Pool.Pool<Int32Array>, Int32Array, number], void>("useMany");
      yield* Eio.Fiber.all([
        () => Eio.DomainManager.run(env.domainMgr, useMany, pool, active, times),
        () => Eio.DomainManager.run(env.domainMgr, useMany, pool, active, times),
        () => Eio.DomainManager.run(env.domainMgr, useMany, pool, active, times),
      ]);
      // Both resources at once: every use went to one of them.
      let sum = 0;
      const [p, r] = Eio.Promise.create<void>();
      let holding = 0;
      const hold = () =>
        Eio.Pool.use(pool, function* (counter) {
          sum += counter[0]!;
          if (++holding === 2) Eio.Promise.resolve(r, undefined);
          yield* Eio.Promise.await(p);
        });
      yield* Eio.Fiber.both(hold, hold);
      return [sum, Atomics.load(active, 1)];
    });
    expect(total).toBe(3 * times);
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it("a domain waiting for the only resource gets it when the main domain gives it back", async () => {
    const flags = ints(3);
    const [fromDomain, mine] = await Eio.run<[Int32Array, Int32Array]>(function* (env) {
      const pool = Eio.Pool.create(1, newCounter, { shared: true });
      return yield* Eio.Switch.run(function* (sw) {
        let mine: Int32Array | undefined;
        const waiting = Eio.Promise.create<void>();
        Eio.Fiber.fork(sw, () =>
          Eio.Pool.use(pool, function* (counter) {
            mine = counter;
            yield* Eio.Promise.await(waiting[0]);
            Atomics.store(flags, 1, 1); // the domain must not have it before this
          }),
        );
        const other = Eio.Fiber.forkPromise<Int32Array>(sw, () => Eio.DomainManager.run(env.domainMgr, task("useAfter"), pool, flags));
        yield* untilSet(flags, 0);
        Eio.Promise.resolve(waiting[1], undefined);
        return [yield* Eio.Promise.awaitExn(other), mine!];
      });
    });
    expect(Atomics.load(flags, 2)).toBe(1);
    // The same shared memory: one resource, handed over.
    fromDomain[2] = 7;
    expect(mine[2]).toBe(7);
  });

  it("neverBlock at capacity makes a fresh resource in the other domain and disposes of it there", async () => {
    const [held, fresh] = await Eio.run<[Int32Array, Int32Array]>(function* (env) {
      const pool = Eio.Pool.create(1, newCounter, { shared: true, dispose: task("disposeCounter") });
      return yield* Eio.Pool.use(pool, function* (counter) {
        const got = yield* Eio.DomainManager.run(env.domainMgr, task<[Eio.Pool.Pool<Int32Array>], Int32Array>("useNeverBlock"), pool);
        return [counter, got];
      });
    });
    held[2] = 1;
    expect(fresh[2]).toBe(0);
    expect(Atomics.load(fresh, 1)).toBe(1);
    expect(Atomics.load(held, 1)).toBe(0);
  });

  it("validates in the domain that reuses a resource, replacing a stale one", async () => {
    const seen = await Eio.run<Int32Array[]>(function* (env) {
      const pool = Eio.Pool.create(1, newCounter, { shared: true, validate: task("fresh"), dispose: task("disposeCounter") });
      const once = task<[Eio.Pool.Pool<Int32Array>], Int32Array>("useOnce");
      const out: Int32Array[] = [];
      for (let i = 0; i < 3; i++) out.push(yield* Eio.DomainManager.run(env.domainMgr, once, pool));
      return out;
    });
    const [a, b, c] = seen as [Int32Array, Int32Array, Int32Array];
    a[2] = 5;
    expect(b[2]).toBe(5); // reused once
    expect(c[2]).toBe(0); // then replaced: a had two uses
    expect(Atomics.load(a, 1)).toBe(1);
    expect(Atomics.load(c, 1)).toBe(0);
  });

  it("refuses a resource that cannot cross domains, and the pool keeps its size", async () => {
    const [error, after] = await Eio.run<[unknown, number]>(function* () {
      const pool = Eio.Pool.create<unknown>(1, task<[], unknown>("newClosure"), { shared: true });
      let error: unknown;
      try {
        yield* Eio.Pool.use(pool, () => "used");
      } catch (e) {
        error = e;
      }
      // The slot came back empty: the next use makes a resource again (and fails the same way).
      let again: unknown;
      try {
        yield* Eio.Pool.use(pool, () => "used");
      } catch (e) {
        again = e;
      }
      return [error, again === undefined ? 0 : 1];
    });
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^Pool\.use: a shared pool's resources must be values that can cross domains/);
    expect(after).toBe(1);
  });

  it("says what is wrong when a shared pool is given functions instead of tasks", () => {
    expect(() => Eio.Pool.create(1, (() => 1) as never, { shared: true })).toThrow(/alloc must be a task .*got a function \(closures cannot cross domains\)/);
    expect(() => Eio.Pool.create(1, newCounter, { shared: true, validate: (() => true) as never })).toThrow(/options\.validate must be a task/);
  });
});
