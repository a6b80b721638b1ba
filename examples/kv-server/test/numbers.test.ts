import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDouble, parseInteger, parseScoreBound, smallInteger } from "../src/numbers.js";
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

describe("parseDouble", () => {
  it("reads a plain decimal (sign, digits, one dot) to the value strtod reads (property)", () => {
    // parseScoreBound reads with strtod's full reading: the reference for every plain decimal.
    const plain = fc
      .tuple(fc.constantFrom("", "-", "+"), fc.stringMatching(/^[0-9]{0,22}$/), fc.boolean(), fc.stringMatching(/^[0-9]{0,22}$/))
      .filter(([, whole, , fraction]) => whole.length + fraction.length > 0)
      .map(([sign, whole, dot, fraction]) => `${sign}${whole}${dot ? "." : ""}${dot ? fraction : ""}`)
      .filter((text) => /[0-9]/.test(text));
    assertProperty(
      fc.property(plain, (spelled) => {
        const bytes = Buffer.from(spelled, "latin1");
        expect(parseDouble(bytes)).toBe(parseScoreBound(bytes)!.value);
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses what string2d refuses, and reads the rest with strtod", () => {
    for (const text of ["", ".", "-", "+", "-.", " 1", "1 ", "1..2", "nan", "1e400", "1e-400", "0x", "1\0"]) {
      expect(parseDouble(Buffer.from(text, "latin1")), text).toBe(null);
    }
    expect(Object.is(parseDouble(Buffer.from("-0")), -0)).toBe(true);
    expect(parseDouble(Buffer.from("-inf"))).toBe(-Infinity);
    expect(parseDouble(Buffer.from("1e3"))).toBe(1000);
    expect(parseDouble(Buffer.from("0x10"))).toBe(16);
    expect(parseDouble(Buffer.from("123456789012345678901234"))).toBe(1.2345678901234568e23);
  });
});
