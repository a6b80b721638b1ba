import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { assertProperty } from "../../../../test/support/fc.js";
import { consume, produce } from "./scenarios.js";
import { inDomain } from "./spawn.js";

describe("shared Stream in one domain", () => {
  it("keeps FIFO order, blocks adders when full and moves their items in on take", async () => {
    const trace: string[] = [];
    await Eio.run(function* () {
      const s = Eio.Stream.create<number>(2, { shared: true });
      yield* Eio.Switch.run((sw) => {
        Eio.Fiber.fork(sw, function* () {
          for (let i = 1; i <= 4; i++) {
            yield* Eio.Stream.add(s, i);
            trace.push(`added ${i}`);
          }
        });
        Eio.Fiber.fork(sw, function* () {
          for (let i = 0; i < 4; i++) trace.push(`took ${yield* Eio.Stream.take(s)}`);
        });
      });
    });
    expect(trace).toEqual(["added 1", "added 2", "took 1", "took 2", "took 3", "added 3", "added 4", "took 4"]);
  });

  it("capacity 0 is a rendezvous: add waits for a taker", async () => {
    const trace: string[] = [];
    await Eio.run(function* () {
      const s = Eio.Stream.create<string>(0, { shared: true });
      yield* Eio.Fiber.both(
        function* () {
          for (const word of ["ping", "pong"]) {
            yield* Eio.Stream.add(s, word);
            trace.push(`handed over ${word}`);
          }
        },
        function* () {
          trace.push(`length ${Eio.Stream.length(s)}, nonblocking ${Eio.Stream.takeNonblocking(s)}`);
          trace.push(`got ${yield* Eio.Stream.take(s)}`);
        },
      );
    });
    expect(trace).toEqual(["length 0, nonblocking ping", "handed over ping", "handed over pong", "got pong"]);
  });

  it("an unbounded stream grows its ring", async () => {
    const items = await Eio.run(function* () {
      const s = Eio.Stream.create<number>(Infinity, { shared: true });
      for (let i = 0; i < 1000; i++) yield* Eio.Stream.add(s, i);
      const out: number[] = [];
      while (Eio.Stream.length(s) > 0) out.push(Eio.Stream.takeNonblocking(s)!);
      return out;
    });
    expect(items).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

describe("shared Stream across domains", () => {
  it("4 producer domains and 2 consumer domains move 1M numbers: none lost or duplicated", async () => {
    const producers = 4;
    const perProducer = 250_000;
    const total = producers * perProducer;
    type Seen = { seen: Uint8Array; ordered: boolean };
    const results = await Eio.run<[[Seen, Seen], void]>(function* () {
      const s = Eio.Stream.create<number>(64, { shared: true });
      return yield* Eio.Fiber.pair(
        () =>
          Eio.Fiber.pair(
            () => inDomain<{ seen: Uint8Array; ordered: boolean }>("consume", s, total, perProducer),
            () => inDomain<{ seen: Uint8Array; ordered: boolean }>("consume", s, total, perProducer),
          ),
        function* () {
          yield* Eio.Fiber.all(
            Array.from({ length: producers }, (_, p) => () => inDomain<number>("produce", s, p * perProducer, (p + 1) * perProducer)),
          );
          yield* Eio.Stream.add(s, -1);
          yield* Eio.Stream.add(s, -1);
        },
      );
    });
    const [[a, b]] = results;
    let missing = 0;
    let duplicated = 0;
    for (let n = 0; n < total; n++) {
      const count = a.seen[n]! + b.seen[n]!;
      if (count === 0) missing++;
      if (count > 1) duplicated++;
    }
    expect({ missing, duplicated, orderedA: a.ordered, orderedB: b.ordered }).toEqual({ missing: 0, duplicated: 0, orderedA: true, orderedB: true });
  }, 120_000);

  it("a blocked take cancelled in another domain loses no item", async () => {
    // Three orders: item then cancel, cancel then item (a race: the take may get the item or be
    // cancelled first, and then the item stays buffered), and cancel, then the item only after
    // the cancelled take has returned (it must be buffered, not handed to the old record).
    const rounds = 6;
    const result = await Eio.run<string[]>(function* () {
      const s = Eio.Stream.create<number>(1, { shared: true });
      const outcomes: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const [ready, readyR] = Eio.Promise.create<string>({ shared: true });
        const [stop, stopR] = Eio.Promise.create<string>({ shared: true });
        const [outcome] = yield* Eio.Fiber.pair<string, void>(
          () => inDomain<string>("takeOrCancelled", s, readyR, stop),
          function* () {
            yield* Eio.Promise.await(ready);
            // Race the item against the cancellation: whichever wins, the item must survive.
            if (round % 3 === 0) {
              yield* Eio.Stream.add(s, round);
              Eio.Promise.resolve(stopR, "stop");
            } else if (round % 3 === 1) {
              Eio.Promise.resolve(stopR, "stop");
              yield* Eio.Stream.add(s, round);
            } else {
              Eio.Promise.resolve(stopR, "stop"); // the item comes only after the take is gone
            }
          },
        );
        if (round % 3 === 2) {
          expect(outcome).toBe("cancelled");
          yield* Eio.Stream.add(s, round); // must not go to the cancelled take's record
        }
        outcomes.push(`${outcome}, left ${Eio.Stream.takeNonblocking(s)}`);
      }
      return outcomes;
    });
    expect(result).toHaveLength(rounds);
    result.forEach((outcome, round) => expect([`took ${round}, left undefined`, `cancelled, left ${round}`]).toContain(outcome));
  }, 120_000);

  it("a take claimed by an adder and then cancelled before the wake-up arrives returns the item", async () => {
    // The worker's run queue stays busy, so the claimed wake-up waits in its inbox while the
    // cancellation runs: the claim must win (Eio: an operation that succeeded returns its value).
    const rounds = 4;
    const result = await Eio.run<string[]>(function* () {
      const s = Eio.Stream.create<number>(1, { shared: true });
      const outcomes: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const [ready, readyR] = Eio.Promise.create<string>({ shared: true });
        const [stop, stopR] = Eio.Promise.create<string>({ shared: true });
        const [outcome] = yield* Eio.Fiber.pair<string, void>(
          () => inDomain<string>("takeClaimedThenCancelled", s, readyR, stop),
          function* () {
            yield* Eio.Promise.await(ready);
            yield* Eio.Stream.add(s, round); // hands the item to the queued take (claims it)
            Eio.Promise.resolve(stopR, "stop");
          },
        );
        outcomes.push(`${outcome}, left ${Eio.Stream.takeNonblocking(s)}`);
      }
      return outcomes;
    });
    expect(result).toEqual(Array.from({ length: rounds }, (_, round) => `took ${round}, left undefined`));
  }, 120_000);

  it("property: any capacity, 1-3 producer domains and 1-2 consumer domains (the main thread may be one of each): nothing lost, duplicated or out of order", async () => {
    const plan = fc.record({
      capacity: fc.constantFrom(0, 1, 2, 3, 7, 64, 100, Infinity),
      counts: fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 3 }),
      consumers: fc.integer({ min: 1, max: 2 }),
      mainProduces: fc.boolean(),
      mainConsumes: fc.boolean(),
    });
    await assertProperty(
      fc.asyncProperty(plan, async ({ capacity, counts, consumers, mainProduces, mainConsumes }) => {
        // Producer p adds the numbers [p * BLOCK, p * BLOCK + counts[p]).
        const BLOCK = 3000;
        const total = BLOCK * counts.length;
        type Seen = { seen: Uint8Array; ordered: boolean };
        const seen = await Eio.run<Seen[]>(function* () {
          const s = Eio.Stream.create<number>(capacity, { shared: true });
          const results: Seen[] = [];
          const consumer = (i: number) =>
            function* () {
              results[i] = mainConsumes && i === 0 ? yield* consume(s, total, BLOCK) : yield* inDomain<Seen>("consume", s, total, BLOCK);
            };
          yield* Eio.Fiber.both(
            () => Eio.Fiber.all(Array.from({ length: consumers }, (_, i) => consumer(i))),
            function* () {
              yield* Eio.Fiber.all(
                counts.map((count, p) => () =>
                  mainProduces && p === 0 ? produce(s, 0, count) : inDomain<number>("produce", s, p * BLOCK, p * BLOCK + count),
                ),
              );
              for (let i = 0; i < consumers; i++) yield* Eio.Stream.add(s, -1);
            },
          );
          return results;
        });
        const problems: string[] = [];
        counts.forEach((count, p) => {
          for (let n = p * BLOCK; n < p * BLOCK + BLOCK; n++) {
            const times = seen.reduce((sum, r) => sum + r.seen[n]!, 0);
            const expected = n < p * BLOCK + count ? 1 : 0;
            if (times !== expected) problems.push(`${n} seen ${times} times`);
          }
        });
        seen.forEach((r, i) => {
          if (!r.ordered) problems.push(`consumer ${i} saw a producer's numbers out of order`);
        });
        expect(problems.slice(0, 5)).toEqual([]);
      }),
      { numRuns: 8 },
    );
  }, 400_000);
});
