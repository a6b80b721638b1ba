// Fiber.List (Eio's tests/fiber.md "Concurrent list operations").
import { describe, expect, it } from "vitest";
import { Eio, failure, traced } from "./helpers.js";

const { Fiber, Promise: P, traceln } = Eio;

/** Eio's `process fn x`: trace, yield, compute, trace. */
function process<A, B>(fn: (x: A) => unknown) {
  return function* (x: A) {
    traceln("Start %s", x);
    yield* Fiber.yield();
    const y = (yield* Eio.Cancel.protect<B>(() => fn(x))) as B;
    traceln("Finished %s", x);
    return y;
  };
}

const isEven = (x: number) => (x & 1) === 0;
const stringEven = (x: number) => (isEven(x) ? String(x) : undefined);
const crashOnThree = (x: number) => {
  if (x === 3) throw failure("Simulated error");
  return stringEven(x);
};
const starts = ["Start 1", "Start 2", "Start 3", "Start 4"];
const finishes = ["Finished 1", "Finished 2", "Finished 3", "Finished 4"];

describe("Fiber.List", () => {
  it("filter keeps matching items in input order", async () => {
    expect(await traced(() => Fiber.List.filter(process(isEven), [1, 2, 3, 4]))).toEqual([...starts, ...finishes, "-> [2,4]"]);
  });

  it("map keeps every result in input order", async () => {
    expect(await traced(() => Fiber.List.map(process(stringEven), [1, 2, 3, 4]))).toEqual([
      ...starts,
      ...finishes,
      '-> [null,"2",null,"4"]',
    ]);
  });

  it("filterMap drops undefined results", async () => {
    expect(await traced(() => Fiber.List.filterMap(process(stringEven), [1, 2, 3, 4]))).toEqual([
      ...starts,
      ...finishes,
      '-> ["2","4"]',
    ]);
  });

  it("cancels everything when one item fails", async () => {
    expect(await traced(() => Fiber.List.filterMap(process(crashOnThree), [1, 2, 3, 4]))).toEqual([
      ...starts,
      "Finished 1",
      "Finished 2",
      "!! Simulated error",
    ]);
  });

  it("limits the number of concurrent fibers with maxFibers", async () => {
    const ps = [0, 1, 2, 3].map(() => P.create<string>());
    const finish = (i: number, v: string) => P.resolve(ps[i]![1], v);
    expect(
      await traced(() =>
        Fiber.both(
          function* () {
            const out = yield* Fiber.List.map<number, string>(
              process((i: number) => P.await(ps[i]![0])),
              [0, 1, 2, 3],
              { maxFibers: 2 },
            );
            traceln("%s", out.join("; "));
          },
          function* () {
            finish(1, "one");
            yield* Fiber.yield();
            finish(2, "two");
            yield* Fiber.yield();
            yield* Fiber.yield();
            finish(0, "zero");
            yield* Fiber.yield();
            yield* Fiber.yield();
            finish(3, "three");
          },
        ),
      ),
    ).toEqual([
      "Start 0",
      "Start 1",
      "Finished 1",
      "Start 2",
      "Finished 2",
      "Start 3",
      "Finished 0",
      "Finished 3",
      "zero; one; two; three",
    ]);
  });

  it("handles a failure while waiting for a free fiber", async () => {
    const ps = [0, 1].map(() => P.create<Eio.Result<string>>());
    expect(
      await traced(() =>
        Fiber.both(
          function* () {
            const out = yield* Fiber.List.map<number, string>(
              process((i: number) => P.awaitExn(ps[i]![0])),
              [0, 1],
              { maxFibers: 1 },
            );
            traceln("%s", out.join("; "));
          },
          function* () {
            yield* Fiber.yield();
            P.resolveError(ps[0]![1], failure("Simulated error"));
          },
        ),
      ),
    ).toEqual(["Start 0", "!! Simulated error"]);
  });

  it("iter runs every item with at most maxFibers at once", async () => {
    const ps = [0, 1, 2, 3].map(() => P.create<void>());
    const finish = (i: number) => P.resolve(ps[i]![1], undefined);
    expect(
      await traced(() =>
        Fiber.both(
          () => Fiber.List.iter(process((i: number) => P.await(ps[i]![0])), [0, 1, 2, 3], { maxFibers: 2 }),
          function* () {
            finish(1);
            yield* Fiber.yield();
            finish(2);
            yield* Fiber.yield();
            yield* Fiber.yield();
            finish(0);
            yield* Fiber.yield();
            yield* Fiber.yield();
            finish(3);
          },
        ),
      ),
    ).toEqual(["Start 0", "Start 1", "Finished 1", "Start 2", "Finished 2", "Start 3", "Finished 0", "Finished 3"]);
  });

  it("returns at once for an empty list", async () => {
    expect(await traced(() => Fiber.List.map((x: number) => x, []))).toEqual(["-> []"]);
  });

  it("rejects a maxFibers that is not a positive integer", async () => {
    expect(await traced(() => Fiber.List.map((x: number) => x, [1], { maxFibers: 0 }))).toEqual([
      "!! RangeError: Fiber.List.map: maxFibers must be a positive integer, got 0 (leave it out for no limit)",
    ]);
  });
});
