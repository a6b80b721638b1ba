import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseInteger, smallInteger } from "../src/numbers.js";
import { assertProperty } from "../../../test/support/fc.js";

describe("smallInteger", () => {
  it("is parseInteger's integer for every spelling of up to 15 digits, and null for every other (property)", () => {
    const text = fc.oneof(
      fc.array(fc.constantFrom("0", "1", "5", "9", "-", "+", " ", "a", "."), { maxLength: 18 }).map((chars) => chars.join("")),
      fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }).map(String),
      fc.constantFrom("", "0", "-0", "-", "00", "01", "-01", "999999999999999", "-999999999999999", "1000000000000000", "9007199254740993"),
    );
    assertProperty(
      fc.property(text, (spelled) => {
        const bytes = Buffer.from(spelled, "latin1");
        const exact = parseInteger(bytes);
        const digits = spelled.replace(/^-/, "").length;
        expect(smallInteger(bytes)).toBe(exact !== null && digits <= 15 ? Number(exact) : null);
      }),
      { numRuns: 3000 },
    );
  });
});
