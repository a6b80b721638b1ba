// Eio.run: the root fiber, its result and error, the env, and traceln.
import { describe, expect, it } from "vitest";
import { Eio, failure, traced } from "./helpers.js";

const { Fiber, Switch: Sw, traceln } = Eio;

describe("Eio.run", () => {
  it("resolves with main's result", async () => {
    expect(
      await Eio.run(function* () {
        yield* Fiber.yield();
        return 42;
      }),
    ).toBe(42);
  });

  it("a program that only waits for its signal is not a deadlock", async () => {
    const controller = new AbortController();
    const reason = new Error("user pressed stop");
    setTimeout(() => controller.abort(reason), 20);
    const error = await Eio.run(() => Fiber.awaitCancel(), { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Eio.Cancel.Cancelled);
    expect((error as Error).cause).toBe(reason);
  });

  it("accepts a plain function as main", async () => {
    expect(await Eio.run(() => "plain")).toBe("plain");
  });

  it("rejects with main's error", async () => {
    await expect(
      Eio.run(() => {
        throw failure("main failed");
      }),
    ).rejects.toThrow("main failed");
  });

  it("gives main an env with the working directory, as a path", async () => {
    expect(await Eio.run((env) => [String(Eio.Stdenv.cwd(env)), Eio.Path.native(Eio.Path.join(Eio.Stdenv.cwd(env), "x"))])).toEqual(["<cwd>", "x"]);
  });

  it("runs independent programs side by side", async () => {
    const a = traced(function* () {
      for (let i = 0; i < 3; i++) {
        traceln("a%d", i);
        yield* Fiber.yield();
      }
    });
    const b = traced(function* () {
      for (let i = 0; i < 3; i++) {
        traceln("b%d", i);
        yield* Fiber.yield();
      }
    });
    expect(await Promise.all([a, b])).toEqual([
      ["a0", "a1", "a2"],
      ["b0", "b1", "b2"],
    ]);
  });

  it("a switch from one run cannot be used in another", async () => {
    let sw: unknown = null;
    let release: () => void = () => {};
    const first = traced(() =>
      Sw.run(function* (s) {
        sw = s;
        yield* Fiber.awaitNative(new Promise<void>((r) => (release = r)));
      }),
    );
    const second = await traced(() => Fiber.fork(sw as never, () => {}));
    release();
    expect([await first, second]).toEqual([[], ["!! Cannot fork a fiber: the switch belongs to another domain (Eio.run)."]]);
  });

  it("a long busy loop of Fiber.yield does not starve timers", async () => {
    expect(
      await traced(() =>
        Fiber.first(
          function* () {
            yield* Fiber.awaitNative(new Promise((r) => setTimeout(r, 1)));
            return "timer fired";
          },
          function* () {
            for (let i = 0; i < 10_000_000; i++) yield* Fiber.yield();
            return "busy loop finished first";
          },
        ),
      ),
    ).toEqual(["-> timer fired"]);
  });
});

describe("traceln", () => {
  it("formats like console.log", async () => {
    expect(await traced(() => traceln("x = %d, s = %s, o = %o", 42, "str", { a: 1 }))).toEqual(["x = 42, s = str, o = { a: 1 }"]);
  });

  it("is inherited by forked fibers and never switches fibers", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          Fiber.fork(sw, function* () {
            traceln("child 1");
            yield* Fiber.yield();
            traceln("child 2");
          });
          traceln("parent 1");
          traceln("parent 2");
        }),
      ),
    ).toEqual(["child 1", "parent 1", "parent 2", "child 2"]);
  });
});
