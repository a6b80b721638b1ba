import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32From } from "../src/crc32.js";
import { assertProperty } from "../../../test/support/fc.js";

describe("crc32From", () => {
  it("is zlib's CRC-32 of the bytes from start on, short (summed in JavaScript) or long (property)", () => {
    const input = fc.uint8Array({ maxLength: 400 }).chain((bytes) => fc.tuple(fc.constant(bytes), fc.nat({ max: bytes.length })));
    assertProperty(
      fc.property(input, ([bytes, start]) => {
        const buffer = Buffer.from(bytes);
        expect(crc32From(buffer, start)).toBe(crc32(buffer.subarray(start)));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the check value of the standard test string", () => {
    expect(crc32From(Buffer.from("..123456789"), 2)).toBe(0xcbf43926);
  });
});
