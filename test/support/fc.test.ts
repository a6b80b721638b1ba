// The property-test helper: FC_SEED and FC_PATH replay a run, and a failure says how.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assertProperty, replayParameters } from "./fc.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The values `assertProperty` gives a passing property of `arb` in `numRuns` runs. */
function valuesSeen<T>(arb: fc.Arbitrary<T>, numRuns: number): T[] {
  const seen: T[] = [];
  assertProperty(fc.property(arb, (v) => void seen.push(v)), { numRuns });
  return seen;
}

describe("assertProperty", () => {
  it("runs with the seed of FC_SEED: the values are fast-check's for that seed", () => {
    vi.stubEnv("FC_SEED", "42");
    const seen = valuesSeen(fc.integer(), 30);
    expect(seen).toEqual(fc.sample(fc.integer(), { seed: 42, numRuns: 30 }));
    vi.stubEnv("FC_SEED", "43");
    expect(valuesSeen(fc.integer(), 30)).not.toEqual(seen);
  });

  it("an async property gets the seed too", async () => {
    vi.stubEnv("FC_SEED", "42");
    const seen: number[] = [];
    await assertProperty(fc.asyncProperty(fc.integer(), async (v) => void seen.push(v)), { numRuns: 30 });
    expect(seen).toEqual(fc.sample(fc.integer(), { seed: 42, numRuns: 30 }));
  });

  it("a failure ends with the command that replays it, and that replay starts at the counterexample", () => {
    let message = "";
    try {
      assertProperty(fc.property(fc.nat({ max: 1_000_000 }), (n) => n < 1000), { numRuns: 1000 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("Counterexample: [1000]");
    const replay = /Replay: FC_SEED=(-?\d+) FC_PATH=([\d:]+) npx vitest run test\/support\/fc\.test\.ts -t 'a failure ends with the command that replays it, and that replay starts at the counterexample'$/.exec(message);
    expect(replay, message).not.toBeNull();
    vi.stubEnv("FC_SEED", replay![1]!);
    vi.stubEnv("FC_PATH", replay![2]!);
    const seen: number[] = [];
    expect(() => assertProperty(fc.property(fc.nat({ max: 1_000_000 }), (n) => {
      seen.push(n);
      return n < 1000;
    }))).toThrow(/Counterexample: \[1000\]/);
    expect(seen[0]).toBe(1000);
  });

  it("says what is wrong with FC_SEED and FC_PATH", () => {
    expect(() => replayParameters({ FC_SEED: "abc" })).toThrow('FC_SEED must be an integer (the seed a failed property printed), got "abc"');
    expect(() => replayParameters({ FC_PATH: "1:2" })).toThrow("FC_PATH (1:2) needs FC_SEED too");
    expect(replayParameters({})).toEqual({});
    expect(replayParameters({ FC_SEED: "-7", FC_PATH: "3:0" })).toEqual({ seed: -7, path: "3:0" });
  });
});
