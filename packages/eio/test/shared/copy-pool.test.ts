// Large values read once, sent from the main thread, go through its pool of warm buffers: each
// reader still gets its own bytes, a buffer is reused only once no value holds it, and idle
// buffers are released. Real worker threads read the items.
import { beforeEach, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { copyPoolState, trimCopyPool } from "../../src/shared/copy-pool.js";
import { spawn } from "./spawn.js";

const MiB = 1 << 20;
type Ack = [length: number, value: number, shared: boolean];

/** A `bytes`-long Buffer whose every byte is `value` (so that a reused buffer shows in any byte). */
const filled = (bytes: number, value: number) => Buffer.alloc(bytes, value);

beforeEach(() => trimCopyPool(Infinity));

it("items sent one at a time reuse one warm buffer, and each reader gets its own bytes, not shared", async () => {
  const acks = await Eio.run(function* () {
    const items = Eio.Stream.create<Uint8Array>(1, { shared: true });
    const acks = Eio.Stream.create<Ack>(1, { shared: true });
    const reader = spawn("ackBytes", items, acks, 6);
    const got: Ack[] = [];
    for (let i = 1; i <= 6; i++) {
      yield* Eio.Stream.add(items, filled(MiB, i));
      got.push(yield* Eio.Stream.take(acks));
    }
    yield* Eio.Fiber.awaitNative(reader);
    return got;
  });
  expect(acks).toEqual([1, 2, 3, 4, 5, 6].map((i) => [MiB, i, false]));
  expect(copyPoolState()).toEqual([{ bytes: MiB, inUse: false, uses: 6 }]);
});

it("an item not yet read keeps its buffer: the next goes to a second one, and with both busy a third gets a buffer of its own", async () => {
  const acks = await Eio.run(function* () {
    const items = Eio.Stream.create<Uint8Array>(3, { shared: true });
    const acks = Eio.Stream.create<Ack>(3, { shared: true });
    for (let i = 1; i <= 3; i++) yield* Eio.Stream.add(items, filled(MiB, i));
    expect(copyPoolState()).toEqual([{ bytes: MiB, inUse: true, uses: 1 }, { bytes: MiB, inUse: true, uses: 1 }]);
    yield* Eio.Fiber.awaitNative(spawn("ackBytes", items, acks, 3));
    return [yield* Eio.Stream.take(acks), yield* Eio.Stream.take(acks), yield* Eio.Stream.take(acks)];
  });
  expect(acks).toEqual([1, 2, 3].map((i) => [MiB, i, false]));
  expect(copyPoolState()).toEqual([{ bytes: MiB, inUse: false, uses: 1 }, { bytes: MiB, inUse: false, uses: 1 }]);
});

it("a value of another size takes the slot of a free buffer that does not fit it; idle buffers are released, busy ones never", async () => {
  const acks = await Eio.run(function* () {
    const items = Eio.Stream.create<Uint8Array>(4, { shared: true });
    const acks = Eio.Stream.create<Ack>(4, { shared: true });
    yield* Eio.Stream.add(items, filled(MiB, 1));
    yield* Eio.Stream.add(items, filled(MiB, 2));
    const reader = spawn("ackBytes", items, acks, 2);
    yield* Eio.Fiber.awaitNative(reader);
    // Both free; 3 MiB fits neither (a buffer must hold it and be at most twice its size).
    yield* Eio.Stream.add(items, filled(3 * MiB, 3));
    expect(copyPoolState()).toEqual([{ bytes: MiB, inUse: false, uses: 1 }, { bytes: 3 * MiB, inUse: true, uses: 1 }]);
    // Long after: the free one goes, the one an unread item holds stays.
    trimCopyPool(Date.now() + 60_000);
    expect(copyPoolState()).toEqual([{ bytes: 3 * MiB, inUse: true, uses: 1 }]);
    yield* Eio.Fiber.awaitNative(spawn("ackBytes", items, acks, 1));
    return [yield* Eio.Stream.take(acks), yield* Eio.Stream.take(acks), yield* Eio.Stream.take(acks)];
  });
  expect(acks).toEqual([[MiB, 1, false], [MiB, 2, false], [3 * MiB, 3, false]]);
  trimCopyPool(Date.now() + 60_000);
  expect(copyPoolState()).toEqual([]);
});

it("a view crosses as its own bytes, not the rest of its buffer, through a pooled buffer larger than it", async () => {
  const acks = await Eio.run(function* () {
    const items = Eio.Stream.create<Uint8Array>(1, { shared: true });
    const acks = Eio.Stream.create<Ack>(1, { shared: true });
    const reader = spawn("ackBytes", items, acks, 2);
    yield* Eio.Stream.add(items, filled(2 * MiB - 1, 7));
    const first = yield* Eio.Stream.take(acks);
    // A view in the middle of a buffer of other bytes, shorter than the pooled buffer it reuses.
    const whole = filled(3 * MiB, 1).fill(9, MiB, 2 * MiB + MiB / 2);
    yield* Eio.Stream.add(items, whole.subarray(MiB, 2 * MiB + MiB / 2));
    const second = yield* Eio.Stream.take(acks);
    yield* Eio.Fiber.awaitNative(reader);
    return [first, second];
  });
  expect(acks).toEqual([[2 * MiB - 1, 7, false], [MiB + MiB / 2, 9, false]]);
  expect(copyPoolState()).toEqual([{ bytes: 2 * MiB - 1, inUse: false, uses: 2 }]);
});

it("a value that cannot cross gives its pooled buffer back: the send fails, and the buffer is free for the next value", async () => {
  const [failure, state] = await Eio.run<[unknown, ReturnType<typeof copyPoolState>]>(function* () {
    const items = Eio.Stream.create<unknown>(1, { shared: true });
    let failure: unknown = null;
    try {
      // The bytes are staged before the walk meets the function, which cannot cross.
      yield* Eio.Stream.add(items, [filled(MiB, 4), () => 1]);
    } catch (error) {
      failure = error;
    }
    return [failure, copyPoolState()];
  });
  expect(failure).toBeInstanceOf(TypeError);
  expect(state).toEqual([{ bytes: MiB, inUse: false, uses: 1 }]);
});
