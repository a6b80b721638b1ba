import { afterEach, describe, expect, it } from "vitest";
import { startFloorPromise } from "../lib/floor-promise.mjs";
import { startAtomics, startPostMessage } from "../lib/raw-threads.mjs";
import { peerPools } from "../lib/peer-pools.mjs";
import { fib } from "../workers/pool-tasks.mjs";

const stops = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe("the raw cross-thread baselines", () => {
  it("postMessage ping-pong answers every ping with its own number", async () => {
    const worker = await startPostMessage();
    stops.push(() => worker.stop());
    await worker.roundTrips(2000);
  });

  it("postMessage streaming delivers every number to the worker", async () => {
    const worker = await startPostMessage();
    stops.push(() => worker.stop());
    await worker.stream(10_000);
    // The worker's sum restarts after each total, so a second batch checks it again.
    await worker.stream(5);
  });

  it("the Atomics ping-pong completes every round trip, with and without spinning", async () => {
    for (const spin of [0, 10_000]) {
      const pair = await startAtomics({ spin });
      await pair.roundTrips(5000);
      await pair.stop(); // resolves only once the worker saw STOP and exited
    }
  });

  it("the Atomics and floor ping-pongs time one round trip in 16 alone when given somewhere to put the times", async () => {
    const atomics = await startAtomics();
    stops.push(() => atomics.stop());
    const floor = await startFloorPromise();
    stops.push(() => floor.stop());
    for (const pair of [atomics, floor]) {
      const times = [];
      await pair.roundTrips(160, times);
      expect(times).toHaveLength(10);
      expect(times.every((ms) => ms > 0)).toBe(true);
    }
  });

  it("the floor ping-pong answers every ping with its own number, over more cells than it has (they are reused)", async () => {
    const pair = await startFloorPromise();
    pair.roundTrips(3000);
    pair.roundTrips(3000);
    await pair.stop(); // resolves only once the worker saw the last ping and exited
  });
});

describe("the peer pools", () => {
  for (const name of Object.keys(peerPools)) {
    it(`${name} runs both tasks in its worker threads`, async () => {
      const pool = peerPools[name]();
      stops.push(() => pool.destroy());
      expect(await pool.run("noop", 41)).toBe(41);
      expect(await pool.run("fib", 20)).toBe(fib(20));
      const many = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run("noop", i)));
      expect(many).toEqual(Array.from({ length: 100 }, (_, i) => i));
    });
  }
});
