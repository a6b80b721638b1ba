import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { settledLiveBytes } from "./live-bytes.js";

describe("shared objects that refer to themselves", () => {
  it("a shared promise whose value holds its own resolver is freed with its last handle", async () => {
    await Eio.run(function* () {});
    const before = await settledLiveBytes();
    await Eio.run(function* () {
      for (let i = 0; i < 1000; i++) {
        const [promise, resolver] = Eio.Promise.create<unknown>({ shared: true });
        Eio.Promise.resolve(resolver, { again: resolver, list: [promise, i] });
        const [bare, bareResolver] = Eio.Promise.create<unknown>({ shared: true });
        Eio.Promise.resolve(bareResolver, bare);
        const [, small] = Eio.Promise.create<unknown>({ shared: true });
        Eio.Promise.resolve(small, { self: small, n: i });
      }
    });
    expect(await settledLiveBytes()).toBe(before);
  });

  it("a shared stream that carries its own handle is freed with its last handle", async () => {
    await Eio.run(function* () {});
    const before = await settledLiveBytes();
    await Eio.run(function* () {
      for (let i = 0; i < 1000; i++) {
        const stream = Eio.Stream.create<unknown>(4, { shared: true });
        yield* Eio.Stream.add(stream, stream);
        yield* Eio.Stream.add(stream, { reply: stream, n: i });
        yield* Eio.Stream.add(stream, [new Map([["s", stream]])]);
        const taken = yield* Eio.Stream.take(stream);
        if (!(taken instanceof Object)) throw new Error("lost the item");
      }
    });
    expect(await settledLiveBytes()).toBe(before);
  });
});
