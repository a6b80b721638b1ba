// Misuse is reported with messages that say what was wrong, what was seen and what to do.
import { describe, expect, it } from "vitest";
import { Eio, traced } from "./helpers.js";

const { Fiber, Switch: Sw, Promise: P, Cancel } = Eio;

describe("a bare yield (forgotten *)", () => {
  it("of an operation is reported at that point, in the fiber", async () => {
    expect(
      await traced(function* (): Generator<unknown, void, unknown> {
        yield Fiber.yield();
      }),
    ).toEqual([
      "!! TypeError: A fiber yielded a generator object: call Eio operations with `yield*` (for example `yield* Eio.Fiber.yield()`), not `yield`.",
    ]);
  });

  it("of a native promise names awaitNative", async () => {
    expect(
      await traced(function* (): Generator<unknown, void, unknown> {
        yield Promise.resolve(1);
      }),
    ).toEqual(["!! TypeError: A fiber yielded a native promise: wait for it with `yield* Eio.Fiber.awaitNative(promise)`."]);
  });

  it("of a plain value names its type, and can be caught by the fiber", async () => {
    expect(
      await traced(function* (): Generator<unknown, string, unknown> {
        try {
          yield 42;
        } catch (e) {
          Eio.traceln("%s", (e as Error).message);
        }
        return "recovered";
      }),
    ).toEqual(["A fiber yielded number: fibers may only yield* Eio operations.", "-> recovered"]);
  });
});

describe("argument validation", () => {
  const cases: [string, () => unknown, string][] = [
    ["Fiber.fork without a function", () => Sw.run((sw) => Fiber.fork(sw, 5 as never)), "TypeError: Fiber.fork: expected a function, got number"],
    ["Fiber.fork without a switch", () => Fiber.fork({} as never, () => {}), "TypeError: Cannot fork a fiber: expected a switch (from Eio.Switch.run), got [object Object]"],
    ["Switch.run without a function", () => Sw.run(null as never), "TypeError: Switch.run: expected a function (sw) => ..., got object"],
    ["Switch.run with a bad name", () => Sw.run(() => {}, { name: 3 as never }), "TypeError: Switch.run: options.name must be a string, got number"],
    ["Fiber.all without an array", () => Fiber.all("ab" as never), "TypeError: Fiber.all: expected an array of functions, got string"],
    ["Fiber.all with a non-function item", () => Fiber.all([() => {}, 1 as never]), "TypeError: Fiber.all (item 1): expected a function, got number"],
    ["Fiber.both with a non-function", () => Fiber.both(() => {}, undefined as never), "TypeError: Fiber.both (second): expected a function, got undefined"],
    ["Fiber.any with a bad combine", () => Fiber.any([() => 1], { combine: 1 as never }), "TypeError: Fiber.any: options.combine: expected a function, got number"],
    ["Fiber.List.iter without an array", () => Fiber.List.iter(() => {}, {} as never), "TypeError: Fiber.List.iter: expected an array of items, got object"],
    ["Promise.resolve on a non-resolver", () => P.resolve({} as never, 1), "TypeError: Promise.resolve: expected an Eio promise or resolver (from Eio.Promise.create), got [object Object]"],
    ["Cancel.sub with a bad signal", () => Cancel.sub(() => {}, { signal: {} as never }), "TypeError: Cancel.sub: options.signal must be an AbortSignal, got object"],
    ["Switch.onRelease without a function", () => Sw.run((sw) => Sw.onRelease(sw, "x" as never)), "TypeError: Switch.onRelease: expected a function, got string"],
    ["Cancel.protect without a function", () => Cancel.protect(7 as never), "TypeError: Cancel.protect: expected a function, got number"],
    ["Fiber.withBinding without a function", () => Fiber.withBinding(Fiber.createKey(), 1, 2 as never), "TypeError: Fiber.withBinding: expected a function, got number"],
  ];
  for (const [name, body, message] of cases) {
    it(`${name} is a clear error`, async () => {
      expect(await traced(body)).toEqual([`!! ${message}`]);
    });
  }

  it("Eio operations outside Eio.run say where they must run", () => {
    expect(() => Fiber.check()).toThrow(
      "This Eio operation must run inside a fiber: call it from a generator run by Eio.run (with yield*).",
    );
  });

  it("Eio.run rejects a missing main and bad options", async () => {
    const messages: string[] = [];
    for (const attempt of [
      () => Eio.run(undefined as never),
      () => Eio.run(() => {}, null as never),
      () => Eio.run(() => {}, { traceln: "x" as never }),
      () => Eio.run(() => {}, { signal: {} as never }),
    ]) {
      await attempt().catch((e: Error) => messages.push(`${e.name}: ${e.message}`));
    }
    expect(messages).toEqual([
      "TypeError: Eio.run: expected a function (env) => ..., got undefined",
      "TypeError: Eio.run: options must be an object, got null",
      "TypeError: Eio.run: options.traceln must be a function, got string",
      "TypeError: Eio.run: options.signal must be an AbortSignal, got object",
    ]);
  });
});
