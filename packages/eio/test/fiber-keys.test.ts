// Fiber-local storage (Eio's tests/fiber.md "Fiber-local storage").
import { describe, expect, it } from "vitest";
import { Eio, traced } from "./helpers.js";

const { Fiber, Switch: Sw, traceln } = Eio;
const key = Fiber.createKey<number>("key");
const traceKey = () => traceln("Key => %s", Fiber.get(key) ?? "<unset>");

describe("fiber-local keys", () => {
  it("are unset by default", async () => {
    expect(await traced(traceKey)).toEqual(["Key => <unset>"]);
  });

  it("withBinding defines a key", async () => {
    expect(await traced(() => Fiber.withBinding(key, 123, traceKey))).toEqual(["Key => 123"]);
  });

  it("withBinding shadows outer bindings and restores them", async () => {
    expect(
      await traced(() =>
        Fiber.withBinding(key, 123, function* () {
          traceKey();
          yield* Fiber.withBinding(key, 456, traceKey);
          traceKey();
        }),
      ),
    ).toEqual(["Key => 123", "Key => 456", "Key => 123"]);
  });

  it("values are propagated when forking", async () => {
    expect(await traced(() => Fiber.withBinding(key, 123, () => Sw.run((sw) => Fiber.fork(sw, traceKey))))).toEqual([
      "Key => 123",
    ]);
  });

  it("bindings can be removed", async () => {
    expect(
      await traced(() =>
        Fiber.withBinding(key, 123, function* () {
          traceKey();
          yield* Fiber.withoutBinding(key, traceKey);
          traceKey();
        }),
      ),
    ).toEqual(["Key => 123", "Key => <unset>", "Key => 123"]);
  });

  it("values are inherited from the running fiber, not the switch", async () => {
    expect(await traced(() => Sw.run((sw) => Fiber.withBinding(key, 123, () => Fiber.fork(sw, traceKey))))).toEqual([
      "Key => 123",
    ]);
  });

  it("a binding stays in place across suspensions and is restored after an error", async () => {
    expect(
      await traced(function* () {
        try {
          yield* Fiber.withBinding(key, 1, function* () {
            yield* Fiber.yield();
            traceKey();
            throw new Error("out");
          });
        } catch {
          traceKey();
        }
      }),
    ).toEqual(["Key => 1", "Key => <unset>"]);
  });

  it("two keys do not interfere", async () => {
    const other = Fiber.createKey<string>("other");
    expect(
      await traced(() =>
        Fiber.withBinding(key, 1, () => Fiber.withBinding(other, "x", () => traceln("%s %s", Fiber.get(key), Fiber.get(other)))),
      ),
    ).toEqual(["1 x"]);
  });
});
