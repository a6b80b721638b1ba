// Staging (packages/eio/src/domains/staging.ts): a job sent ahead to a full domain, which starts
// it itself when it has room, unless the pool takes it back first (withdrawn or moved).
// Real worker threads: run `npm run build` first (the tests import the built package).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { STAGING_DEPTH } from "../../src/domains/staging.js";

const fixtures = new URL("./fixtures/tasks.mjs", import.meta.url);
const task = <A extends unknown[] = unknown[], R = unknown>(name: string) => Eio.task<A, R>(fixtures, name);
const flags = () => new Int32Array(new SharedArrayBuffer(16));

/** Waits in a fiber (not blocking the thread) until `check()` holds. */
function* until(check: () => boolean) {
  while (!check()) yield* Eio.Fiber.awaitNative(new Promise((r) => setTimeout(r, 1)));
}

function release(shared: Int32Array) {
  Atomics.store(shared, 1, 1);
  Atomics.notify(shared, 1);
}

/** The pool's view of its domains (internal: these tests check the mechanism itself). */
interface Slots {
  slots: { staged: unknown[]; load: number }[];
}
const slotsOf = (pool: Eio.ExecutorPool.ExecutorPool) => (pool as unknown as Slots).slots;

/** `body` races a timer: a job that never moves would otherwise hang the test. */
function* orGiveUp<T>(body: () => Eio.Operation<T>): Eio.Operation<T | "gave up waiting"> {
  return yield* Eio.Fiber.first(body, function* () {
    yield* Eio.Fiber.awaitNative(new Promise((r) => setTimeout(r, 10_000)));
    return "gave up waiting" as const;
  });
}

function withPool<T>(options: Eio.ExecutorPool.CreateOptions, body: (pool: Eio.ExecutorPool.ExecutorPool, sw: Eio.Switch.Switch) => unknown): Promise<T> {
  return Eio.run((env) => Eio.Switch.run((sw) => body(Eio.ExecutorPool.create(sw, env.domainMgr, options), sw)));
}

describe("ExecutorPool staging", () => {
  it("a staged job withdrawn by cancellation never runs, and gives back the shared references its arguments held", async () => {
    const shared = flags();
    const seen = await withPool<Record<string, unknown>>({ domainCount: 1 }, function* (pool, sw) {
      // The shared heap's words, to read the reference count of a shared promise's cell.
      const words = yield* Eio.ExecutorPool.submitExn(pool, { weight: 0 }, task<[], Int32Array>("arenaWords"));
      const [promise, resolver] = Eio.Promise.create<number>({ shared: true });
      const refs = () => words[(promise as unknown as { offset: number }).offset >> 2]!;
      const before = refs();
      const big = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[Int32Array], number>("holdUntilReleased"), shared);
      yield* until(() => Atomics.load(shared, 0) === 1);
      let whileStaged = 0;
      let staged = false;
      const outcome = yield* Eio.Fiber.first(
        () => Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task("mark"), shared, { reply: resolver }),
        function* () {
          yield* until(() => slotsOf(pool)[0]!.staged.length > 0);
          staged = true;
          whileStaged = refs();
          return "gave up";
        },
      );
      const afterWithdrawal = refs();
      const stagedAfter = slotsOf(pool)[0]!.staged.length;
      release(shared);
      yield* Eio.Promise.awaitExn(big);
      // FIFO: had the withdrawn job stayed staged, it would run before this one.
      yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task("add"), 1, 1);
      return { outcome, staged, stagedAfter, marks: Atomics.load(shared, 2), whileStaged: whileStaged - before, afterWithdrawal: afterWithdrawal - before };
    });
    expect(seen).toEqual({ outcome: "gave up", staged: true, stagedAfter: 0, marks: 0, whileStaged: 1, afterWithdrawal: 0 });
  });

  it("a staged job refused by a stopping pool never runs and its submitter gets PoolClosed", async () => {
    const shared = flags();
    const outcome = await Eio.run<Eio.Result<unknown>>(function* (env) {
      return yield* Eio.Switch.run(function* (outer) {
        let staged: Eio.Promise.OrError<unknown> | null = null;
        try {
          yield* Eio.Switch.run(function* (sw) {
            const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
            Eio.ExecutorPool.submitFork(outer, pool, { weight: 1 }, task("holdUntilReleased"), shared);
            yield* until(() => Atomics.load(shared, 0) === 1);
            staged = Eio.ExecutorPool.submitFork(outer, pool, { weight: 1 }, task("mark"), shared);
            yield* until(() => slotsOf(pool)[0]!.staged.length > 0);
            Eio.Switch.fail(sw, new Error("stop the pool"));
          });
        } catch {
          // the pool's switch failed, as intended
        }
        return yield* Eio.Promise.await(staged!);
      });
    });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(Eio.PoolClosed);
    expect(Atomics.load(shared, 2)).toBe(0);
  });

  it("a staged job moves to another domain that becomes free first", async () => {
    const long = flags();
    const short = flags();
    const seen = await withPool<Record<string, unknown>>({ domainCount: 2 }, function* (pool, sw) {
      const hold = task<[Int32Array], number>("holdThenTellThread");
      const longJob = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, hold, long);
      const shortJob = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, hold, short);
      yield* until(() => Atomics.load(long, 0) === 1 && Atomics.load(short, 0) === 1);
      // Both domains are full: the next job is staged in one of them, the first (the long job's).
      const next = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[], number>("whichThread"));
      const stagedIn = slotsOf(pool).map((s) => s.staged.length);
      release(short);
      const shortThread = yield* Eio.Promise.awaitExn(shortJob);
      const nextThread = yield* orGiveUp(() => Eio.Promise.awaitExn(next));
      const longStillHeld = Atomics.load(long, 1) === 0;
      release(long);
      const longThread = yield* Eio.Promise.awaitExn(longJob);
      return { stagedIn, movedToTheFreeDomain: nextThread === shortThread, longStillHeld, distinct: longThread !== shortThread };
    });
    expect(seen).toEqual({ stagedIn: [1, 0], movedToTheFreeDomain: true, longStillHeld: true, distinct: true });
  });

  it("a job staged in a domain that crashes is not lost: it runs in another domain", async () => {
    const crashing = flags();
    const long = flags();
    const seen = await withPool<Record<string, unknown>>({ domainCount: 2 }, function* (pool, sw) {
      const crash = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[Int32Array, number], never>("exitWhenReleased"), crashing, 3);
      const longJob = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[Int32Array], number>("holdThenTellThread"), long);
      yield* until(() => Atomics.load(crashing, 0) === 1 && Atomics.load(long, 0) === 1);
      const next = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[], number>("whichThread"));
      const stagedIn = slotsOf(pool).map((s) => s.staged.length);
      release(crashing);
      const crashed = yield* Eio.Promise.await(crash);
      const nextThread = yield* orGiveUp(() => Eio.Promise.awaitExn(next));
      const longStillHeld = Atomics.load(long, 1) === 0;
      release(long);
      const longThread = yield* Eio.Promise.awaitExn(longJob);
      return {
        stagedIn,
        crashed: !crashed.ok && crashed.error instanceof Eio.DomainCrashed,
        ranElsewhere: typeof nextThread === "number" && nextThread !== longThread,
        longStillHeld,
      };
    });
    // Staged in the crashing domain (the first), it ran in its replacement, not after the long job.
    expect(seen).toEqual({ stagedIn: [1, 0], crashed: true, ranElsewhere: true, longStillHeld: true });
  });

  it("a domain holds at most STAGING_DEPTH staged jobs; a crash hands them back, and they run in order in its replacement", async () => {
    const crashing = flags();
    const clock = flags();
    const seen = await withPool<Record<string, unknown>>({ domainCount: 1 }, function* (pool, sw) {
      const crash = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, task<[Int32Array, number], never>("exitWhenReleased"), crashing, 3);
      yield* until(() => Atomics.load(crashing, 0) === 1);
      const ticked = task<[Int32Array, number, number], [number, number, number, number]>("tickedJob");
      const jobs = Array.from({ length: STAGING_DEPTH + 1 }, () => Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, ticked, clock, 1, 1));
      const stagedBefore = slotsOf(pool)[0]!.staged.length;
      release(crashing);
      const crashed = yield* Eio.Promise.await(crash);
      const outcomes = [];
      for (const p of jobs) outcomes.push(yield* orGiveUp(() => Eio.Promise.awaitExn(p)));
      const starts = outcomes.map((o) => (Array.isArray(o) ? o[1] : -1));
      return { stagedBefore, crashed: !crashed.ok, inOrder: starts.every((s, i) => s >= 0 && (i === 0 || s > starts[i - 1]!)) };
    });
    expect(seen).toEqual({ stagedBefore: STAGING_DEPTH, crashed: true, inOrder: true });
  });

  it("weights hold with staging: a domain starts a job only while the others it runs weigh less than 1", async () => {
    const clock = flags();
    const weights = [1, 0.5, 0.5, 1, 0.3, 0.3, 0.3, 1, 0.7, 0.2, 1, 1, 0.5, 1, 0.9, 0.1, 1, 1];
    const jobs = await withPool<[number, number, number, number][]>({ domainCount: 2 }, function* (pool, sw) {
      const ticked = task<[Int32Array, number, number], [number, number, number, number]>("tickedJob");
      const all = [...weights, ...weights].map((w, i) => Eio.ExecutorPool.submitFork(sw, pool, { weight: w }, ticked, clock, w, 1 + (i % 4)));
      const out = [];
      for (const p of all) out.push(yield* Eio.Promise.awaitExn(p));
      return out;
    });
    // For each job: what else ran in its thread when it started (ticks order events across threads).
    const overloads: string[] = [];
    let alone = 0;
    for (const [thread, start, , weight] of jobs) {
      const others = jobs.filter(([t, s, e]) => t === thread && s < start && e > start);
      const load = others.reduce((sum, [, , , w]) => sum + Math.floor(w * 1_000_000), 0);
      if (load >= 1_000_000) overloads.push(`a ${weight} job started beside ${others.map((o) => o[3]).join(" + ")}`);
      if (weight === 1 && others.length === 0) alone++;
    }
    expect(overloads).toEqual([]);
    // A 1.0 job never has company once it runs: nothing starts beside it.
    const joined = jobs.filter(([t, s], i) => jobs.some(([t2, s2, e2, w2], j) => i !== j && t2 === t && w2 === 1 && s2 < s && e2 > s));
    expect(joined).toEqual([]);
    expect(alone).toBeGreaterThan(0);
  });
});
