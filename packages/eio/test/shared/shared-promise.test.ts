import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { decodeAndFree, encodeValue, getArena, SharedPromise, SharedStream } from "../../src/shared/index.js";
import { BUFFERED, O_FLAGS, O_REFCOUNT } from "../../src/shared/layout.js";
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

  it("a message's reader that holds the last reference takes its value's references over; the resolver lists no candidate", async () => {
    const i32 = getArena().i32;
    const refs = (h: unknown): number => i32[((h as SharedPromise<unknown>).offset >> 2) + O_REFCOUNT]!;
    const flags = (h: unknown): number => i32[((h as SharedPromise<unknown>).offset >> 2) + O_FLAGS]!;
    await Eio.run(function* () {
      const [ping, pingResolver] = Eio.Promise.create<{ a: unknown; b: unknown; list: unknown[] }>({ shared: true });
      const reader = decodeAndFree(encodeValue(ping)) as Eio.Promise.Promise<{ a: unknown; b: unknown; list: unknown[] }>;
      const [pong] = Eio.Promise.create<number>({ shared: true });
      const stream = Eio.Stream.create<number>(1, { shared: true });
      // The pong named three times: three counted references in the block, one handle out of it.
      Eio.Promise.resolve(pingResolver, { a: pong, b: stream, list: [pong, pong] });
      expect(refs(pong)).toBe(1 + 3);
      // Every object the value names is held by a handle of the resolving thread: the resolver's
      // release is a plain decrement, not a candidate.
      expect(refs(reader)).toBe(1);
      expect(flags(reader) & BUFFERED).toBe(0);
      const message = yield* Eio.Promise.await(reader);
      expect(message.a).toBeInstanceOf(SharedPromise);
      expect(message.a).toBe(message.list[0]);
      expect(message.list[1]).toBe(message.a);
      expect((message.a as SharedPromise<number>).offset).toBe((pong as unknown as SharedPromise<number>).offset);
      expect(message.b).toBeInstanceOf(SharedStream);
      // One reference for the creator's handle, one for the reader's: the other two were dropped.
      expect(refs(pong)).toBe(2);
      expect(refs(stream)).toBe(2);
      Eio.Promise.resolve(message.a as Eio.Promise.Resolver<number>, 5);
      expect(yield* Eio.Promise.await(pong)).toBe(5);
    });
  });

  it("a value that names a settled promise (a copy only the value holds) or its own cell is read the usual way", async () => {
    const i32 = getArena().i32;
    const flags = (h: unknown): number => i32[((h as SharedPromise<unknown>).offset >> 2) + O_FLAGS]!;
    await Eio.run(function* () {
      const [settled, settledResolver] = Eio.Promise.create<number>({ shared: true });
      Eio.Promise.resolve(settledResolver, 7);
      const [p, r] = Eio.Promise.create<{ s: unknown }>({ shared: true });
      const reader = decodeAndFree(encodeValue(p)) as Eio.Promise.Promise<{ s: unknown }>;
      Eio.Promise.resolve(r, { s: settled });
      // The copy of `settled` is held by the value alone: the release is listed as before.
      expect(flags(reader) & BUFFERED).toBe(BUFFERED);
      const message = yield* Eio.Promise.await(reader);
      expect(yield* Eio.Promise.await(message.s as Eio.Promise.Promise<number>)).toBe(7);

      const [q, qr] = Eio.Promise.create<{ self: unknown }>({ shared: true });
      const qReader = decodeAndFree(encodeValue(q)) as Eio.Promise.Promise<{ self: unknown }>;
      Eio.Promise.resolve(qr, { self: qr });
      const own = yield* Eio.Promise.await(qReader);
      // The value names its own cell, which must outlive the reader's read.
      expect((own.self as SharedPromise<unknown>).offset).toBe((q as unknown as SharedPromise<unknown>).offset);
      const again = Eio.Promise.peek(own.self as Eio.Promise.Promise<{ self: unknown }>)!;
      expect((again.self as SharedPromise<unknown>).offset).toBe((q as unknown as SharedPromise<unknown>).offset);
    });
  });
});
