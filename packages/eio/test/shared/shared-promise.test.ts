import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { decodeAndFree, encodeValue } from "../../src/shared/index.js";
import { inDomain } from "./spawn.js";

describe("shared Promise across domains", () => {
  it("a promise resolved in one domain is awaited in another", async () => {
    const result = await Eio.run(function* () {
      const [p, r] = Eio.Promise.create<{ text: string; list: number[] }>({ shared: true });
      return yield* Eio.Fiber.pair(
        () => inDomain<unknown>("awaitValue", p),
        () => inDomain<string>("resolveWith", r, { text: "hi", list: [1, 2] }),
      );
    });
    expect(result).toEqual([{ text: "hi", list: [1, 2] }, "resolved"]);
  });

  it("the handle that resolved reads the very value back; other handles read the copy made when it was resolved", async () => {
    await Eio.run(function* () {
      const [p, r] = Eio.Promise.create<{ a: number }>({ shared: true });
      // A second handle on the same cell, as another domain or a stream item would get one.
      const other = decodeAndFree(encodeValue(p)) as unknown as Eio.Promise.Promise<{ a: number }>;
      const value = { a: 1 };
      Eio.Promise.resolve(r, value);
      value.a = 2;
      expect(Eio.Promise.peek(p)).toBe(value);
      expect(yield* Eio.Promise.await(p)).toBe(value);
      const copy = yield* Eio.Promise.await(other);
      expect(copy).toEqual({ a: 1 });
      expect(copy).not.toBe(value);
      expect(Eio.Promise.peek(other)).toBe(copy);
      // In another domain too: the copy of the value as it was resolved.
      const [q, s] = Eio.Promise.create<{ a: number }>({ shared: true });
      const sent = { a: 1 };
      Eio.Promise.resolve(s, sent);
      sent.a = 3;
      expect(yield* inDomain<unknown>("awaitValue", q)).toEqual({ a: 3 });
    });
  });

  it("a fiber of the main domain waits while a worker resolves; other fibers keep running", async () => {
    const trace: string[] = [];
    await Eio.run(function* () {
      const [p, r] = Eio.Promise.create<number>({ shared: true });
      yield* Eio.Switch.run((sw) => {
        Eio.Fiber.fork(sw, function* () {
          trace.push(`got ${yield* Eio.Promise.await(p)}`);
        });
        Eio.Fiber.fork(sw, function* () {
          yield* Eio.Fiber.yield();
          trace.push("other fiber ran");
          trace.push(yield* inDomain<string>("resolveWith", r, 7));
        });
      });
    });
    expect(trace[0]).toBe("other fiber ran");
    expect([...trace].sort()).toEqual(["got 7", "other fiber ran", "resolved"]);
  });

  it("waiters in several domains are all woken by one resolve", async () => {
    const values = await Eio.run(function* () {
      const [p, r] = Eio.Promise.create<string>({ shared: true });
      const [ready1, readyR1] = Eio.Promise.create<string>({ shared: true });
      const [ready2, readyR2] = Eio.Promise.create<string>({ shared: true });
      const [never] = Eio.Promise.create<string>({ shared: true });
      return yield* Eio.Fiber.pair(
        () =>
          Eio.Fiber.pair(
            () => inDomain<string>("awaitOrCancelled", p, readyR1, never),
            () => inDomain<string>("awaitOrCancelled", p, readyR2, never),
          ),
        function* () {
          yield* Eio.Promise.await(ready1);
          yield* Eio.Promise.await(ready2);
          Eio.Promise.resolve(r, "go");
          return "resolved";
        },
      );
    });
    expect(values).toEqual([["value go", "value go"], "resolved"]);
  });

  it("cancelling a cross-domain wait removes the waiter; a later resolve still works", async () => {
    const result = await Eio.run(function* () {
      const [p, r] = Eio.Promise.create<number>({ shared: true });
      const [ready, readyR] = Eio.Promise.create<string>({ shared: true });
      const [stop, stopR] = Eio.Promise.create<string>({ shared: true });
      const outcome = yield* Eio.Fiber.pair(
        () => inDomain<string>("awaitOrCancelled", p, readyR, stop),
        function* () {
          yield* Eio.Promise.await(ready);
          Eio.Promise.resolve(stopR, "stop");
          return "stopped";
        },
      );
      Eio.Promise.resolve(r, 5);
      return [outcome, yield* Eio.Promise.await(p)];
    });
    expect(result).toEqual([["cancelled", "stopped"], 5]);
  });

  it("cancelling a fiber of this domain that waits on a shared promise", async () => {
    const result = await Eio.run(function* () {
      const [p] = Eio.Promise.create<number>({ shared: true });
      return yield* Eio.Fiber.first(
        () => Eio.Promise.await(p),
        () => "timeout",
      );
    });
    expect(result).toBe("timeout");
  });

  it("a non-shared promise sent to another domain is a TypeError naming the fix", () => {
    const [p, r] = Eio.Promise.create<unknown>({ shared: true });
    const [local] = Eio.Promise.create<number>();
    expect(() => Eio.Promise.resolve(r, { nested: [local] })).toThrow(/create\(\{ shared: true \}\)/);
    expect(() => Eio.Promise.resolve(r, { f: () => 1 })).toThrow(TypeError);
    expect(Eio.Promise.isResolved(p)).toBe(false);
  });

  it("shared handles nested in values arrive live", async () => {
    const result = await Eio.run(function* () {
      const [inner, innerR] = Eio.Promise.create<string>({ shared: true });
      const [outer, outerR] = Eio.Promise.create<unknown>({ shared: true });
      Eio.Promise.resolve(outerR, { map: new Map([["r", innerR]]), list: [inner] });
      const value = (yield* Eio.Promise.await(outer)) as { map: Map<string, unknown>; list: unknown[] };
      Eio.Promise.resolve(value.map.get("r") as Eio.Promise.Resolver<string>, "through a map");
      return [yield* Eio.Promise.await(value.list[0] as Eio.Promise.Promise<string>), yield* Eio.Promise.await(inner)];
    });
    expect(result).toEqual(["through a map", "through a map"]);
  });
});
