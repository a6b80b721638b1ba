import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { createSharedPromise, createSharedStream, decodeAndFree, decodeValue, encodeValue, freeValue, getArena } from "../../src/shared/index.js";

const roundTrip = (value: unknown): unknown => decodeAndFree(encodeValue(value));

describe("the shared heap codec", () => {
  it("round-trips plain values with structured-clone semantics", () => {
    const long = "x".repeat(1000);
    const values = [0, -1.5, NaN, Infinity, "", "héllo 👋", long, true, false, null, undefined, 10n, new Date(5), [1, [2]], { a: { b: "c" } }];
    for (const value of values) expect(roundTrip(value)).toEqual(value);
    const object = { list: [1, 2] };
    expect(roundTrip(object)).not.toBe(object);
  });

  it("decoded typed arrays do not alias the arena", () => {
    const first = roundTrip({ bytes: new Uint8Array([1, 2, 3]) }) as { bytes: Uint8Array };
    const second = roundTrip({ bytes: new Uint8Array([4, 5, 6]) }) as { bytes: Uint8Array };
    expect([...first.bytes]).toEqual([1, 2, 3]);
    expect([...second.bytes]).toEqual([4, 5, 6]);
    expect(first.bytes.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it("revives shared handles anywhere in a value, as the same handle in this domain", () => {
    const promise = createSharedPromise<number>();
    const stream = createSharedStream<number>(4);
    const value = roundTrip({ list: [promise], map: new Map([["s", stream]]), set: new Set([promise]) }) as {
      list: unknown[];
      map: Map<string, unknown>;
      set: Set<unknown>;
    };
    expect(value.list[0]).toBe(promise);
    expect(value.map.get("s")).toBe(stream);
    expect([...value.set][0]).toBe(promise);
  });

  it("a block keeps the shared objects inside it alive until it is freed", () => {
    const promise = createSharedPromise<string>();
    const refcount = (): number => getArena().i32[promise.offset >> 2]!;
    const before = refcount();
    const ref = encodeValue([promise, { again: promise }]);
    expect(refcount()).toBe(before + 2);
    decodeValue(ref);
    freeValue(ref);
    expect(refcount()).toBe(before);
  });

  it("names the fix when a non-shared promise or stream would cross", () => {
    const [local] = Eio.Promise.create<number>();
    expect(() => encodeValue({ deep: [local] })).toThrow(TypeError);
    expect(() => encodeValue({ deep: [local] })).toThrow(/Eio\.Promise\.create\(\{ shared: true \}\)/);
    expect(() => encodeValue({ callback: () => 1 })).toThrow(/structured-cloned/);
  });

  it("a settled promise handle sent on still carries its value", () => {
    const promise = createSharedPromise<string>();
    Eio.Promise.resolve(promise as unknown as Eio.Promise.Resolver<string>, "done");
    expect(Eio.Promise.peek(promise as unknown as Eio.Promise.Promise<string>)).toBe("done");
    const copy = roundTrip({ promise }) as { promise: Eio.Promise.Promise<string> };
    expect(Eio.Promise.peek(copy.promise)).toBe("done");
    expect(Eio.Promise.tryResolve(copy.promise as unknown as Eio.Promise.Resolver<string>, "again")).toBe(false);
  });
});

describe("sending non-shared streams", () => {
  it("is a TypeError that names { shared: true }", () => {
    const local = Eio.Stream.create<number>(1);
    expect(() => encodeValue([local])).toThrow(/Eio\.Stream\.create\(capacity, \{ shared: true \}\)/);
    expect(() => encodeValue([Eio.Stream.create<number>(1, { shared: true })])).not.toThrow();
  });
});
