/** Ports of Eio's tests/lazy.md (on the mock backend, as there). */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced } from "./support/run-traced.js";

const traceln = Eio.traceln;

function* test(label: string, v: Eio.Lazy.Lazy<number>): Eio.Operation<void> {
  traceln("%s: forcing...", label);
  let value: number;
  try {
    value = yield* Eio.Lazy.force(v);
  } catch (e) {
    traceln("%s: %s", label, (e as Error).message);
    Eio.Fiber.check();
    return;
  }
  Eio.Fiber.check();
  traceln("%s: %d", label, value);
}

function calculation(fail: boolean) {
  return function* (): Eio.Operation<number> {
    traceln("calculating...");
    yield* Eio.Fiber.yield();
    if (fail) throw new Error("failed");
    traceln("complete");
    return 42;
  };
}

describe("Lazy (Eio's tests/lazy.md)", () => {
  it("computes the value once for two fibers", async () => {
    const { lines } = await mockTraced(function* () {
      const v = Eio.Lazy.fromFun<number>(calculation(false), { cancel: "restart" });
      yield* Eio.Fiber.both(() => test("a", v), () => test("b", v));
    });
    expect(lines).toEqual(["a: forcing...", "calculating...", "b: forcing...", "complete", "a: 42", "b: 42"]);
  });

  it("a failed computation is not retried", async () => {
    const { lines } = await mockTraced(function* () {
      const v = Eio.Lazy.fromFun<number>(calculation(true), { cancel: "restart" });
      yield* Eio.Fiber.both(() => test("a", v), () => test("b", v));
    });
    expect(lines).toEqual(["a: forcing...", "calculating...", "b: forcing...", "a: failed", "b: failed"]);
  });

  function testCancel(cancel: Eio.Lazy.CancelMode) {
    return mockTraced(function* () {
      const v = Eio.Lazy.fromFun<number>(calculation(false), { cancel });
      yield* Eio.Fiber.both(
        function* () {
          const x = yield* Eio.Fiber.first<number>(
            function* () {
              yield* test("a", v);
              throw new Error("not reached");
            },
            () => 5,
          );
          traceln("a: %d", x);
        },
        () => test("b", v),
      );
    });
  }

  it('cancel: "record" makes every force see the cancellation', async () => {
    const { lines, error } = await testCancel("record");
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "a: forcing...", "calculating...", "b: forcing...",
      "a: Cancelled: NotFirst: Another fiber finished first",
      "b: Cancelled: NotFirst: Another fiber finished first", "a: 5",
    ]);
  });

  it('cancel: "protect" lets the first computation finish', async () => {
    const { lines } = await testCancel("protect");
    expect(lines).toEqual(["a: forcing...", "calculating...", "b: forcing...", "complete", "b: 42", "a: 5"]);
  });

  it('cancel: "restart" lets the next fiber compute again', async () => {
    const { lines } = await testCancel("restart");
    expect(lines).toEqual([
      "a: forcing...", "calculating...", "b: forcing...",
      "a: Cancelled: NotFirst: Another fiber finished first",
      "calculating...", "a: 5", "complete", "b: 42",
    ]);
  });

  it("Lazy.fromVal is already forced; fromFun checks its options", async () => {
    const { result } = await mockTraced<number>(() => Eio.Lazy.force(Eio.Lazy.fromVal(7)));
    expect(result).toBe(7);
    expect(() => Eio.Lazy.fromFun(() => 1, {} as Eio.Lazy.FromFunOptions)).toThrow(/"restart", "record" or "protect"/);
  });
});
