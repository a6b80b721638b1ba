/** Ports of Eio's tests/stream.md: exact traces of adds, takes, rendezvous and cancellation. */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { LocalStream, setSharedFactory, type StreamImpl } from "../src/sync/local-stream.js";
import { Named, runTraced } from "./support/run-traced.js";

const S = Eio.Stream;
const traceln = Eio.traceln;

function* add(t: Eio.Stream.Stream<number>, v: number): Eio.Operation<void> {
  traceln("Adding %d to stream", v);
  yield* S.add(t, v);
  traceln("Added %d to stream", v);
}

function* take(t: Eio.Stream.Stream<number>): Eio.Operation<void> {
  traceln("Reading from stream");
  traceln("Got %d from stream", yield* S.take(t));
}

function takeNonblocking(t: Eio.Stream.Stream<number>): void {
  traceln("Reading from stream");
  const v = S.takeNonblocking(t);
  traceln("Got %s from stream", v === undefined ? "None" : String(v));
}

describe("Stream (Eio's tests/stream.md)", () => {
  it("adds and takes without blocking when there is room", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = S.create<number>(2);
      yield* add(t, 1);
      yield* add(t, 2);
      yield* take(t);
      yield* take(t);
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "Adding 1 to stream", "Added 1 to stream", "Adding 2 to stream", "Added 2 to stream",
      "Reading from stream", "Got 1 from stream", "Reading from stream", "Got 2 from stream",
    ]);
  });

  it("Stream.take waits when the stream is empty", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(2);
      yield* add(t, 1);
      yield* Eio.Fiber.both(
        function* () { yield* take(t); yield* take(t); },
        () => add(t, 2),
      );
    });
    expect(lines).toEqual([
      "Adding 1 to stream", "Added 1 to stream", "Reading from stream", "Got 1 from stream",
      "Reading from stream", "Adding 2 to stream", "Added 2 to stream", "Got 2 from stream",
    ]);
  });

  it("Stream.add waits when the stream is full", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(3);
      yield* add(t, 1);
      yield* Eio.Fiber.both(
        function* () { yield* add(t, 2); yield* add(t, 3); yield* add(t, 4); },
        function* () { for (let i = 0; i < 4; i++) yield* take(t); },
      );
    });
    expect(lines).toEqual([
      "Adding 1 to stream", "Added 1 to stream", "Adding 2 to stream", "Added 2 to stream",
      "Adding 3 to stream", "Added 3 to stream", "Adding 4 to stream",
      "Reading from stream", "Got 1 from stream", "Reading from stream", "Got 2 from stream",
      "Reading from stream", "Got 3 from stream", "Reading from stream", "Got 4 from stream",
      "Added 4 to stream",
    ]);
  });

  it("a zero-capacity stream is a rendezvous", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(0);
      yield* Eio.Fiber.both(
        function* () { yield* add(t, 1); yield* add(t, 2); },
        function* () { yield* take(t); yield* take(t); },
      );
    });
    expect(lines).toEqual([
      "Adding 1 to stream", "Reading from stream", "Got 1 from stream", "Reading from stream",
      "Added 1 to stream", "Adding 2 to stream", "Added 2 to stream", "Got 2 from stream",
    ]);
  });

  it("a cancelled Stream.take loses no item", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = S.create<number>(1);
      try {
        yield* Eio.Fiber.both(() => take(t), () => { throw new Named("Cancel"); });
        throw new Error("not reached");
      } catch (e) {
        if (!(e instanceof Named)) throw e;
        traceln("Cancelled");
        yield* add(t, 2);
        yield* take(t);
      }
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "Reading from stream", "Cancelled", "Adding 2 to stream", "Added 2 to stream",
      "Reading from stream", "Got 2 from stream",
    ]);
  });

  it("a cancelled Stream.add does not insert its item", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = S.create<number>(1);
      try {
        yield* Eio.Fiber.both(function* () { yield* add(t, 1); yield* add(t, 2); }, () => { throw new Named("Cancel"); });
      } catch (e) {
        if (!(e instanceof Named)) throw e;
        traceln("Cancelled");
        yield* take(t);
        yield* add(t, 3);
        yield* take(t);
        expect(S.length(t)).toBe(0);
      }
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "Adding 1 to stream", "Added 1 to stream", "Adding 2 to stream", "Cancelled",
      "Reading from stream", "Got 1 from stream", "Adding 3 to stream", "Added 3 to stream",
      "Reading from stream", "Got 3 from stream",
    ]);
  });

  it("a cancelled Stream.add on a zero-capacity stream hands nothing over", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = S.create<number>(0);
      try {
        yield* Eio.Fiber.both(() => add(t, 1), () => { throw new Named("Cancel"); });
      } catch (e) {
        if (!(e instanceof Named)) throw e;
        traceln("Cancelled");
        yield* Eio.Fiber.both(() => add(t, 2), () => take(t));
      }
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "Adding 1 to stream", "Cancelled", "Adding 2 to stream", "Reading from stream",
      "Got 2 from stream", "Added 2 to stream",
    ]);
  });

  it("blocking operations in a cancelled context throw Cancelled", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = S.create<number>(0);
      yield* Eio.Cancel.sub(function* (c) {
        Eio.Cancel.cancel(c, new Named("Cancel"));
        try { yield* add(t, 1); } catch (e) { traceln((e as Error).message); }
        try { yield* take(t); } catch (e) { traceln((e as Error).message); }
        yield* Eio.Cancel.protect(() => Eio.Fiber.both(() => add(t, 1), () => take(t)));
      });
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "Adding 1 to stream", "Cancelled: Cancel: Cancel", "Reading from stream", "Cancelled: Cancel: Cancel",
      "Adding 1 to stream", "Reading from stream", "Got 1 from stream", "Added 1 to stream",
    ]);
  });

  it("blocked takers are served in FIFO order", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(0);
      yield* Eio.Switch.run(function* (sw) {
        for (const name of ["a", "b", "c"]) Eio.Fiber.fork(sw, function* () { yield* take(t); traceln("%s done", name); });
        yield* add(t, 1);
        yield* add(t, 2);
        yield* add(t, 3);
      });
    });
    expect(lines).toEqual([
      "Reading from stream", "Reading from stream", "Reading from stream",
      "Adding 1 to stream", "Added 1 to stream", "Adding 2 to stream", "Added 2 to stream",
      "Adding 3 to stream", "Added 3 to stream",
      "Got 1 from stream", "a done", "Got 2 from stream", "b done", "Got 3 from stream", "c done",
    ]);
  });

  it("blocked adders are served in FIFO order", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(0);
      yield* Eio.Switch.run(function* (sw) {
        for (const v of [1, 2, 3]) Eio.Fiber.fork(sw, () => add(t, v));
        yield* take(t);
        yield* take(t);
        yield* take(t);
      });
    });
    expect(lines).toEqual([
      "Adding 1 to stream", "Adding 2 to stream", "Adding 3 to stream",
      "Reading from stream", "Got 1 from stream", "Reading from stream", "Got 2 from stream",
      "Reading from stream", "Got 3 from stream",
      "Added 1 to stream", "Added 2 to stream", "Added 3 to stream",
    ]);
  });

  it("cancelling a blocked add to a full stream leaves it unchanged", async () => {
    const { lines, error } = await runTraced(function* () {
      const t = S.create<number>(1);
      yield* add(t, 0);
      yield* Eio.Switch.run(function* () {
        try {
          yield* Eio.Fiber.both(() => add(t, 1), () => { throw new Named("Cancel"); });
        } catch (e) {
          if (!(e instanceof Named)) throw e;
          traceln("Cancelled");
          yield* take(t);
          yield* add(t, 2);
          yield* take(t);
        }
      });
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "Adding 0 to stream", "Added 0 to stream", "Adding 1 to stream", "Cancelled",
      "Reading from stream", "Got 0 from stream", "Adding 2 to stream", "Added 2 to stream",
      "Reading from stream", "Got 2 from stream",
    ]);
  });

  it("Stream.takeNonblocking returns undefined when empty", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(1);
      takeNonblocking(t);
      yield* add(t, 0);
      takeNonblocking(t);
    });
    expect(lines).toEqual([
      "Reading from stream", "Got None from stream", "Adding 0 to stream", "Added 0 to stream",
      "Reading from stream", "Got 0 from stream",
    ]);
  });

  it("Stream.takeNonblocking on a zero-capacity stream takes from a waiting adder", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(0);
      takeNonblocking(t);
      yield* Eio.Fiber.both(() => add(t, 0), () => takeNonblocking(t));
      takeNonblocking(t);
    });
    expect(lines).toEqual([
      "Reading from stream", "Got None from stream", "Adding 0 to stream", "Reading from stream",
      "Got 0 from stream", "Added 0 to stream", "Reading from stream", "Got None from stream",
    ]);
  });
});

describe("Stream (beyond Eio's tests)", () => {
  it("Stream.create rejects a bad capacity with a RangeError that names it", () => {
    expect(() => S.create(-1)).toThrow(/capacity must be a whole number >= 0.*got -1/);
    expect(() => S.create(1.5)).toThrow(RangeError);
    expect(() => S.create(Number.NaN)).toThrow(RangeError);
    expect(() => S.create("3" as unknown as number)).toThrow(RangeError);
    expect(S.length(S.create(Infinity))).toBe(0);
  });

  it("the functions reject a value that is not a stream", () => {
    expect(() => S.length({} as Eio.Stream.Stream<number>)).toThrow(/expected a stream/);
  });

  it("Stream.create with shared: true dispatches to the registered factory", async () => {
    const calls: string[] = [];
    // A stand-in for the shared heap's stream: the public functions must only use StreamImpl.
    setSharedFactory(<T>(capacity: number, label?: string) => {
      calls.push(`create ${capacity} ${label}`);
      const inner = new LocalStream<T>(capacity);
      const impl: StreamImpl<T> = {
        capacity,
        addOp: (item) => (calls.push(`add ${String(item)}`), inner.addOp(item)),
        takeOp: () => (calls.push("take"), inner.takeOp()),
        takeNonblocking: () => (calls.push("takeNonblocking"), inner.takeNonblocking()),
        length: () => inner.length(),
      };
      return impl;
    });
    const { result } = await runTraced<unknown[]>(function* () {
      const t = S.create<number>(2, { shared: true, label: "jobs" });
      yield* S.add(t, 1);
      return [yield* S.take(t), S.takeNonblocking(t), S.length(t), S.isEmpty(t)];
    });
    expect(result).toEqual([1, undefined, 0, true]);
    expect(calls).toEqual(["create 2 jobs", "add 1", "take", "takeNonblocking"]);
  });

  it("a fast take or add succeeds even in a cancelled context", async () => {
    const { error, result } = await runTraced<number[]>(function* () {
      const t = S.create<number>(1);
      return yield* Eio.Cancel.sub(function* (c) {
        Eio.Cancel.cancel(c, new Named("Cancel"));
        yield* S.add(t, 5);
        const got = [S.length(t)];
        got.push(yield* S.take(t));
        return got;
      });
    });
    expect(error).toBeUndefined();
    expect(result).toEqual([1, 5]);
  });

  it("an item handed to a taker is kept even if the taker is cancelled before it runs", async () => {
    const { lines } = await runTraced(function* () {
      const t = S.create<number>(0);
      try {
        yield* Eio.Switch.run(function* (sw) {
          Eio.Fiber.fork(sw, function* () {
            traceln("taker got %d", yield* S.take(t));
          });
          yield* S.add(t, 9);
          Eio.Switch.fail(sw, new Named("Stop"));
        });
      } catch (e) {
        traceln("switch: %s", (e as Error).message);
      }
    });
    expect(lines).toEqual(["taker got 9", "switch: Stop"]);
  });
});
