import { afterEach, describe, expect, it } from "vitest";
import { startFloorPromise } from "../lib/floor-promise.mjs";
import { floorCodec, Handle, startFloorValuePromise } from "../lib/floor-value-promise.mjs";
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

  it("the value floor's ping-pong answers every message with its number, over more cells and blocks than it has, and times one in 16", async () => {
    const pair = await startFloorValuePromise();
    const times = [];
    pair.roundTrips(5000, times);
    pair.roundTrips(5000);
    expect(times).toHaveLength(313);
    await pair.stop();
  });
});

describe("the value floor's codec", () => {
  const words = new Int32Array(new SharedArrayBuffer(4096));
  const codec = floorCodec(words);

  it("reads back every kind of field it writes, keys and order kept, handles as new handle objects", () => {
    const numbers = { i: 7, big: 2 ** 40, half: -0.5, s: "pïng" };
    codec.encode(numbers, 64);
    expect(codec.decode(64)).toEqual(numbers);
    const pong = new Handle(40);
    const others = { yes: true, no: false, none: null, gone: undefined, pong };
    codec.encode(others, 128);
    const back = codec.decode(128);
    expect(Object.keys(back)).toEqual(Object.keys(others));
    expect(back).toEqual({ ...others, pong: new Handle(40) });
    expect(back.pong).not.toBe(pong);
    expect(back.pong).toBeInstanceOf(Handle);
  });

  it("tells records of different keys apart, even when their key words hash alike", () => {
    codec.encode({ ab: 1 }, 64);
    codec.encode({ ba: 2 }, 128);
    expect(codec.decode(64)).toEqual({ ab: 1 });
    expect(codec.decode(128)).toEqual({ ba: 2 });
    expect(codec.decode(64)).toEqual({ ab: 1 });
  });

  it("refuses what it cannot carry and a record larger than its block", () => {
    expect(() => codec.encode({ list: [1] }, 64)).toThrow(/only numbers, strings, booleans, null, undefined and handles/);
    expect(() => codec.encode({ f: () => 1 }, 64)).toThrow(/only numbers/);
    const next = words.slice(96, 128);
    expect(() => codec.encode({ text: "x".repeat(100) }, 64)).toThrow(/does not fit its block/);
    // Refused before any of it was written past the block (the next block is untouched).
    expect(words.slice(96, 128)).toEqual(next);
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
