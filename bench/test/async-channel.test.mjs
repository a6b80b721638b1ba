import { describe, expect, it } from "vitest";
import { Channel } from "../lib/async-channel.mjs";

async function pump(capacity, n) {
  const channel = new Channel(capacity);
  const seen = [];
  const producer = (async () => {
    for (let i = 0; i < n; i++) {
      const wait = channel.add(i);
      if (wait !== undefined) await wait;
    }
  })();
  for (let i = 0; i < n; i++) {
    const item = channel.take();
    seen.push(typeof item === "number" ? item : await item);
  }
  await producer;
  return seen;
}

describe("the async/await baseline channel", () => {
  for (const capacity of [0, 1, 3, 100]) {
    it(`delivers every item once and in order at capacity ${capacity}`, async () => {
      const n = 1000;
      expect(await pump(capacity, n)).toEqual(Array.from({ length: n }, (_, i) => i));
    });
  }

  it("makes an adder wait at capacity 0 until a taker has the item", async () => {
    const channel = new Channel(0);
    const trace = [];
    const wait = channel.add("a");
    expect(wait).toBeInstanceOf(Promise);
    wait.then(() => trace.push("add finished"));
    await null;
    trace.push("before take");
    expect(channel.take()).toBe("a");
    await wait;
    expect(trace).toEqual(["before take", "add finished"]);
  });

  it("accepts up to its capacity at once, then makes the adder wait", () => {
    const channel = new Channel(2);
    expect(channel.add(1)).toBeUndefined();
    expect(channel.add(2)).toBeUndefined();
    expect(channel.add(3)).toBeInstanceOf(Promise);
    expect(channel.take()).toBe(1);
    expect(channel.take()).toBe(2);
    expect(channel.take()).toBe(3);
  });

  it("gives an item straight to a waiting taker", async () => {
    const channel = new Channel(5);
    const taken = channel.take();
    expect(taken).toBeInstanceOf(Promise);
    expect(channel.add("x")).toBeUndefined();
    expect(await taken).toBe("x");
  });
});
