import { describe, expect, it } from "vitest";
import { Encoder, releasePayload } from "../../src/domains/codec.js";
import { createSharedPromise, getArena } from "../../src/shared/index.js";

describe("releasePayload", () => {
  it("gives back the shared objects held by a payload that is never decoded", () => {
    const promise = createSharedPromise<number>();
    const refcount = (): number => getArena().i32[promise.offset >> 2]!;
    const before = refcount();
    const encoder = new Encoder().value(1).value("two").value({ p: promise }).value(null).value([3.5, promise]).value(new Error("e"));
    expect(refcount()).toBe(before + 2);
    releasePayload(encoder.buffer, 0, encoder.length);
    expect(refcount()).toBe(before);
  });
});
