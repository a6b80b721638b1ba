// Buffers that travel beside values: forwarded to live domains only; out of memory is a clear error.
import { expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { allocateBuffer, bufferPeerCount } from "../../src/shared/buffers.js";
import { spawn } from "./spawn.js";

it("a domain that has exited is no longer sent the buffers of others", async () => {
  const before = bufferPeerCount();
  await Eio.run(function* () {
    // Each test domain gets a port to the main thread with its worker.
    const resolvers = [1, 2, 3].map(() => Eio.Promise.create<unknown>({ shared: true })[1]);
    expect(yield* Eio.Fiber.awaitNative(Promise.all(resolvers.map((r, i) => spawn("resolveWith", r, i))))).toEqual(["resolved", "resolved", "resolved"]);
  });
  // The ports close with their threads; wait for those events, one event-loop turn at a time.
  for (let turns = 0; bufferPeerCount() > before && turns < 10_000; turns++) await new Promise((resolve) => setImmediate(resolve));
  expect(bufferPeerCount()).toBe(before);
});

it("a buffer that memory cannot hold fails with a RangeError that names the size", () => {
  expect(() => allocateBuffer(2 ** 45)).toThrow(new RangeError(`Cannot send a value of ${2 ** 45} bytes to another domain: out of memory (Array buffer allocation failed).`));
  expect(allocateBuffer(8).byteLength).toBe(8);
});
