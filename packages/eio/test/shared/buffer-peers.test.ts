// The main thread forwards buffers to every live domain, and only to live ones.
import { expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { bufferPeerCount } from "../../src/shared/buffers.js";
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
