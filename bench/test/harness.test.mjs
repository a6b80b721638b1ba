import { describe, expect, it } from "vitest";
import { QUICK, faster, measure, runScenario, unavailable, within } from "../lib/harness.mjs";
import { consoleTable, markdownTable } from "../lib/report.mjs";

// A fake clock makes the measurements exact: each workload "takes" what it adds to it.
let now = 0;
const FAKE = { ...QUICK, now: () => now };
const takes = (ms) => () => {
  now += ms;
};

describe("measure", () => {
  it("reports the time per unit of a workload", async () => {
    const row = await measure({ name: "x", run: takes(5) }, 1000, FAKE);
    expect(row.nsPerUnit).toBeCloseTo(5_000, 6);
    expect(row.perSecond).toBeCloseTo(200_000, 3);
    expect(row.samples).toBeGreaterThanOrEqual(QUICK.iterations);
  });

  it("cuts the workload when a trial run takes longer than a sample may, and says so", async () => {
    const sizes = [];
    const run = (n) => {
      sizes.push(n);
      now += n / 100; // 10 µs a unit: 1000 units take 10 ms
    };
    const row = await measure({ name: "slow", run }, 1000, { ...FAKE, maxSampleMs: 5 }, { step: 30 });
    expect(sizes[0]).toBe(90); // the trial: a tenth, rounded down to a multiple of 30
    expect(row.reducedFrom).toBe(1000);
    expect(row.n).toBe(480); // 500 rounded down to a multiple of 30
    expect(sizes.slice(1).every((n) => n === 480)).toBe(true);
    expect(row.nsPerUnit).toBeCloseTo(10_000, 6);
  });

  it("keeps the workload of a fixed-size scenario", async () => {
    const row = await measure({ name: "fixed", run: takes(50) }, 1000, { ...FAKE, maxSampleMs: 5 }, { fixedN: true });
    expect(row.n).toBe(1000);
    expect(row.reducedFrom).toBeUndefined();
  });

  it("turns an implementation that throws into a failed row", async () => {
    const row = await measure({ name: "bad", run: () => { throw new RangeError("lost an item"); } }, 10, FAKE);
    expect(row.failed).toContain("lost an item");
    expect(row.nsPerUnit).toBeUndefined();
  });

  it("runs setup and teardown once around the samples", async () => {
    const trace = [];
    await measure({ name: "r", before: () => trace.push("before"), run: () => void trace.push("run"), after: () => trace.push("after") }, 1, QUICK);
    expect(trace[0]).toBe("before");
    expect(trace.at(-1)).toBe("after");
    expect(trace.filter((t) => t === "run").length).toBeGreaterThanOrEqual(QUICK.iterations);
  });

  it("says why an unavailable implementation was skipped", async () => {
    const row = await measure(unavailable("eio-ts", "Eio.Stream"), 10, QUICK);
    expect(row.skipped).toBe("skipped: Eio.Stream not available");
  });
});

describe("runScenario", () => {
  const scenario = (eioMs) => ({
    id: "s",
    title: "a scenario",
    unit: "item",
    n: 100,
    impls: [
      { name: "eio-ts", run: takes(eioMs) },
      { name: "peer", run: takes(8) },
    ],
    targets: [faster("peer", 1.5), within("peer", 1), { text: "needs a missing row", needs: ["eio-ts", "other"], check: () => ({ met: true, value: "" }) }],
  });

  it("computes how many times faster eio-ts is and checks the targets", async () => {
    const result = await runScenario(scenario(2), FAKE, () => {});
    const peer = result.rows.find((r) => r.name === "peer");
    expect(peer.eioSpeedup).toBeCloseTo(4, 6);
    expect(result.targets.map((t) => t.status)).toEqual(["met", "met", "n/a"]);
    expect(result.targets[2].value).toContain("other: not run");
  });

  it("reports a missed target as not met", async () => {
    const result = await runScenario(scenario(16), FAKE, () => {});
    expect(result.targets.map((t) => t.status)).toEqual(["not met", "not met", "n/a"]);
  });

  it("prints every row and every target in both tables", async () => {
    const result = await runScenario({ ...scenario(2), impls: [...scenario(2).impls, unavailable("gone", "Gone")] }, FAKE, () => {});
    for (const table of [consoleTable(result), markdownTable(result)]) {
      expect(table).toContain("eio-ts");
      expect(table).toContain("peer");
      expect(table).toContain("skipped: Gone not available");
      expect(table).toContain("needs a missing row");
    }
  });
});
