// Fiber.first / any / nAny (Eio's tests/fiber.md).
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";

const { Fiber, Switch: Sw, Promise: P, Cancel, traceln } = Eio;

describe("Fiber.first", () => {
  it("returns the first's value and cancels the second", async () => {
    const [p] = P.create<string>();
    expect(await traced(() => Fiber.first(() => "a", () => P.await(p)))).toEqual(["-> a"]);
  });

  it("returns the second's value and cancels the first", async () => {
    const [p] = P.create<string>();
    expect(await traced(() => Fiber.first(() => P.await(p), () => "b"))).toEqual(["-> b"]);
  });

  it("picks the first when both succeed and there is no combine", async () => {
    expect(await traced(() => Fiber.first(() => "a", () => "b"))).toEqual(["-> a"]);
  });

  it("lets combine decide when both succeed", async () => {
    expect(await traced(() => Fiber.first<string>(() => "a", () => "b", { combine: (_, x) => x }))).toEqual(["-> b"]);
  });

  it("cancels the loser at its next blocking point, running its finally", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          function* () {
            yield* Fiber.yield();
            return "winner";
          },
          function* () {
            try {
              yield* Fiber.awaitCancel();
            } finally {
              traceln("loser cleaned up");
            }
          },
        ),
      ),
    ).toEqual(["loser cleaned up", "-> winner"]);
  });

  it("reports the second's crash", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          () => "a",
          () => {
            throw failure("b crashed");
          },
        ),
      ),
    ).toEqual(["!! b crashed"]);
  });

  it("reports the first's crash", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          () => {
            throw failure("a crashed");
          },
          () => "b",
        ),
      ),
    ).toEqual(["!! a crashed"]);
  });

  it("reports both crashes", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          () => {
            throw failure("a crashed");
          },
          () => {
            throw failure("b crashed");
          },
        ),
      ),
    ).toEqual(["!! MultipleErrors[a crashed, b crashed]"]);
  });

  it("cancels a branch before it can crash", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          () => "a",
          function* () {
            yield* Fiber.yield();
            throw failure("b crashed");
          },
        ),
      ),
    ).toEqual(["-> a"]);
  });

  it("reports a branch that throws Cancelled for its own reasons (first)", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          () => {
            throw new Cancel.Cancelled(failure("cancel-a"));
          },
          () => "b",
        ),
      ),
    ).toEqual(["!! Cancelled(cancel-a)"]);
  });

  it("reports a branch that throws Cancelled for its own reasons (second)", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          function* () {
            yield* Fiber.yield();
            return "a";
          },
          () => {
            throw new Cancel.Cancelled(failure("cancel-b"));
          },
        ),
      ),
    ).toEqual(["!! Cancelled(cancel-b)"]);
  });

  it("is cancelled by its parent", async () => {
    const [p] = P.create<string>();
    expect(
      await traced(function* () {
        yield* Fiber.both(
          function* () {
            throw failure(yield* Fiber.first(() => P.await(p), () => P.await(p)));
          },
          () => {
            throw failure("Parent cancel");
          },
        );
        return "not-reached";
      }),
    ).toEqual(["!! Parent cancel"]);
  });

  it("returns its value when the parent is cancelled while it is finishing", async () => {
    expect(
      await traced(function* () {
        yield* Fiber.both(
          function* () {
            traceln(
              "%s",
              yield* Fiber.first(
                () => "a",
                function* () {
                  yield* Fiber.yield();
                  throw failure("cancel-b");
                },
              ),
            );
            Fiber.check();
            traceln("Parent cancel failed");
          },
          () => {
            traceln("Cancelling parent");
            throw failure("Parent cancel");
          },
        );
        return "not-reached";
      }),
    ).toEqual(["Cancelling parent", "a", "!! Parent cancel"]);
  });

  it("shows Cancelled inside the cancelled context and the plain error outside it", async () => {
    const [p] = P.create<void>();
    expect(
      await traced(function* () {
        yield* Fiber.both(
          function* () {
            try {
              yield* Sw.run(function* () {
                try {
                  yield* P.await(p);
                } catch (e) {
                  traceln("Nested exception: %s", show(e));
                  throw e;
                }
              });
            } catch (e) {
              traceln("Parent exception: %s", show(e));
              throw e;
            }
          },
          () => {
            throw failure("Exit");
          },
        );
        throw failure("not-reached");
      }),
    ).toEqual(["Nested exception: Cancelled(Exit)", "Parent exception: Cancelled(Exit)", "!! Exit"]);
  });
});

describe("Fiber.any", () => {
  it("returns the first result and cancels the rest", async () => {
    expect(
      await traced(() =>
        Fiber.any<number>(
          [0, 1, 2].map((x) =>
            function* () {
              traceln("%d", x);
              yield* Fiber.yield();
              return x;
            },
          ),
        ),
      ),
    ).toEqual(["0", "1", "2", "-> 0"]);
  });

  it("collects every result with combine", async () => {
    expect(
      await traced(() =>
        Fiber.any<number[]>(
          [0, 1, 2].map((x) => () => {
            traceln("%d", x);
            return [x];
          }),
          { combine: (x, y) => [...x, ...y] },
        ),
      ),
    ).toEqual(["0", "1", "2", "-> [0,1,2]"]);
  });

  it("with no functions waits until cancelled", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          function* () {
            try {
              yield* Fiber.any([]);
            } catch (e) {
              traceln("any([]) ended with %s", show(e));
              throw e;
            }
          },
          function* () {
            yield* Fiber.yield();
            yield* Fiber.yield();
            return "other";
          },
        ),
      ),
    ).toEqual(["any([]) ended with Cancelled(NotFirst: Another fiber finished first)", "-> other"]);
  });
});

describe("Fiber.nAny", () => {
  it("behaves like any when there is only one result", async () => {
    expect(
      await traced(() =>
        Fiber.nAny<number>(
          [0, 1, 2].map((x) =>
            function* () {
              traceln("%d", x);
              yield* Fiber.yield();
              return x;
            },
          ),
        ),
      ),
    ).toEqual(["0", "1", "2", "-> [0]"]);
  });

  it("collects every result that finished before cancellation, in input order", async () => {
    expect(
      await traced(() =>
        Fiber.nAny<number>(
          [0, 1, 2, 3].map((x) =>
            function* () {
              traceln("%d", x);
              if (x === 1) yield* Fiber.yield();
              return x;
            },
          ),
        ),
      ),
    ).toEqual(["0", "1", "2", "3", "-> [0,2,3]"]);
  });
});
