import { describe, expect, it } from "vitest";
import { QUICK, faster, latencyStats, measure, medianWithin, runScenario, unavailable, within } from "../lib/harness.mjs";
import { consoleTable, machineLine, markdownTable } from "../lib/report.mjs";

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

describe("runScenario with interleave (samples taken in turns)", () => {
  const traced = (trace, name, ms, extra = {}) => ({
    name,
    before: () => trace.push(`${name}:before`),
    run: () => {
      trace.push(`${name}:run`);
      now += ms;
    },
    beginSamples: () => trace.push(`${name}:samples`),
    after: () => trace.push(`${name}:after`),
    ...extra,
  });

  it("sets every implementation up first, warms each up, takes one sample of each per round in a rotated order, then stops them all", async () => {
    const trace = [];
    const scenario = { id: "s", title: "turns", unit: "item", n: 10, interleave: 5, impls: [traced(trace, "eio-ts", 1), traced(trace, "b", 2), traced(trace, "c", 4)] };
    const result = await runScenario(scenario, { ...FAKE, iterations: 3, warmupIterations: 1 }, () => {});
    expect(trace.slice(0, 3)).toEqual(["eio-ts:before", "b:before", "c:before"]);
    // One warm-up run each, then the samples begin for each.
    expect(trace.slice(3, 9)).toEqual(["eio-ts:run", "eio-ts:samples", "b:run", "b:samples", "c:run", "c:samples"]);
    // --quick (no time budget): the budget's iterations are the rounds, each rotated by one.
    const rounds = trace.slice(9, 18).map((t) => t.split(":")[0]);
    expect(rounds).toEqual(["eio-ts", "b", "c", "b", "c", "eio-ts", "c", "eio-ts", "b"]);
    expect(trace.slice(18)).toEqual(["eio-ts:after", "b:after", "c:after"]);
    const byName = Object.fromEntries(result.rows.map((r) => [r.name, r]));
    expect(byName["eio-ts"].nsPerUnit).toBeCloseTo(100_000, 6);
    expect(byName.c.nsPerUnit).toBeCloseTo(400_000, 6);
    expect(byName.c.eioSpeedup).toBeCloseTo(4, 6);
    expect(byName.b.samples).toBe(3);
    expect(byName.b.interleaved).toBe(true);
  });

  it("with a time budget, takes the scenario's rounds and warms an implementation up for its warmupMs", async () => {
    const trace = [];
    const slow = traced(trace, "b", 2, { warmupMs: 7 });
    const scenario = { id: "s", title: "turns", unit: "item", n: 10, interleave: 4, impls: [traced(trace, "eio-ts", 1), slow] };
    const result = await runScenario(scenario, { ...FAKE, time: 1, iterations: 99, warmupIterations: 1 }, () => {});
    expect(result.rows.map((r) => r.samples)).toEqual([4, 4]);
    // The fake clock moves 2 ms a run, and performance.now() barely: one run at least, as long as 7 ms of real time.
    expect(trace.filter((t) => t === "b:run").length).toBeGreaterThanOrEqual(5);
  });

  it("fails only the row whose implementation throws, and still stops every implementation", async () => {
    const trace = [];
    let calls = 0;
    const flaky = traced(trace, "b", 2, {
      run: () => {
        if (++calls === 2) throw new RangeError("lost an echo");
        now += 2;
      },
    });
    const scenario = { id: "s", title: "turns", unit: "item", n: 10, interleave: 3, impls: [traced(trace, "eio-ts", 1), flaky, unavailable("gone", "Gone")], targets: [faster("b", 1)] };
    const result = await runScenario(scenario, { ...FAKE, iterations: 3, warmupIterations: 1 }, () => {});
    const byName = Object.fromEntries(result.rows.map((r) => [r.name, r]));
    expect(byName.b.failed).toContain("lost an echo");
    expect(byName["eio-ts"].samples).toBe(3);
    expect(byName.gone.skipped).toBe("skipped: Gone not available");
    expect(result.targets[0].status).toBe("n/a");
    expect(trace).toContain("eio-ts:after");
    expect(trace).toContain("b:after");
  });

  it("refuses a number of rounds that is not a positive integer", async () => {
    const scenario = { id: "s", title: "turns", unit: "item", n: 10, interleave: 0, impls: [{ name: "eio-ts", run: takes(1) }] };
    await expect(runScenario(scenario, { ...FAKE, time: 1 }, () => {})).rejects.toThrow(/interleave must be a positive integer of rounds, got 0/);
  });
});

describe("single units timed alone (the medians)", () => {
  it("latencyStats gives the median of an odd and an even count, the mean and the tail, in ns", () => {
    expect(latencyStats([])).toBeUndefined();
    const odd = latencyStats([0.003, 0.001, 0.002]);
    expect(odd.count).toBe(3);
    expect(odd.medianNs).toBeCloseTo(2_000, 6);
    expect(odd.meanNs).toBeCloseTo(2_000, 6);
    const even = latencyStats([0.004, 0.001, 0.002, 0.1]);
    expect(even.medianNs).toBeCloseTo(3_000, 6);
    expect(even.meanNs).toBeCloseTo(26_750, 6);
    const hundred = latencyStats(Array.from({ length: 100 }, (_, i) => (i + 1) / 1e6));
    expect(hundred.p90Ns).toBeCloseTo(91, 6);
    expect(hundred.p99Ns).toBeCloseTo(100, 6);
  });

  it("measure keeps the times of the samples, not of the trial, and puts them in the row", async () => {
    const timed = [];
    const trialN = 10;
    const impl = {
      name: "t",
      timed,
      run: (n) => {
        timed.push(n === trialN ? 1000 : 0.002);
        now += 1;
      },
    };
    const row = await measure(impl, 100, { ...FAKE, maxSampleMs: 1e9 });
    expect(row.latency.medianNs).toBeCloseTo(2_000, 6);
    expect(row.latency.p99Ns).toBeCloseTo(2_000, 6);
    expect(row.latency.count).toBeGreaterThanOrEqual(QUICK.iterations);
    expect((await measure({ name: "untimed", run: takes(1) }, 10, FAKE)).latency).toBeUndefined();
  });

  const timedScenario = (eioMedianMs, peerTimed = true) => ({
    id: "rt",
    title: "round trips",
    unit: "round trip",
    n: 10,
    impls: [
      { name: "eio-ts", timed: [], run() { this.timed.push(eioMedianMs); now += 1; } },
      { name: "raw", ...(peerTimed ? { timed: [] } : {}), run() { this.timed?.push(0.001); now += 1; } },
    ],
    targets: [medianWithin("raw", 4, "median within 4x of raw")],
  });

  it("medianWithin compares the medians, not the means", async () => {
    // Both rows take the same mean time (1 ms a sample): only the medians differ.
    const met = await runScenario(timedScenario(0.004), FAKE, () => {});
    expect(met.targets[0].status).toBe("met");
    expect(met.targets[0].value).toContain("4.00x");
    const missed = await runScenario(timedScenario(0.0041), FAKE, () => {});
    expect(missed.targets[0].status).toBe("not met");
  });

  it("medianWithin may hold another row than eio-ts to it (a floor to another floor)", async () => {
    const scenario = timedScenario(0.001);
    scenario.impls.push({ name: "value floor", timed: [], run() { this.timed.push(0.0015); now += 1; } });
    scenario.targets = [medianWithin("raw", 1.5, undefined, "value floor"), medianWithin("raw", 1.4, undefined, "value floor")];
    const result = await runScenario(scenario, FAKE, () => {});
    expect(result.targets.map((t) => t.status)).toEqual(["met", "not met"]);
    expect(result.targets[0].text).toBe("value floor's median within 1.5x of raw's");
    expect(result.targets[0].value).toBe("medians 1.50 µs and 1.00 µs: value floor takes 1.50x its time");
  });

  it("medianWithin is n/a when a row timed no single unit, and the tables print every row's medians", async () => {
    const result = await runScenario(timedScenario(0.002, false), FAKE, () => {});
    expect(result.targets[0]).toMatchObject({ status: "n/a", value: "raw: no unit timed alone" });
    for (const table of [consoleTable(result), markdownTable(result)]) {
      expect(table).toMatch(/latency: eio-ts: \d+ round trips timed alone: median 2\.00 µs, mean 2\.00 µs/);
      expect(table).not.toContain("latency: raw");
    }
  });
});

describe("the machine line", () => {
  it("names the cores, the load average and who shares the cores", () => {
    const line = machineLine({ cores: 2, cpuModel: "Some CPU" }, [1.5, 0.25, 3], "the load generator");
    expect(line).toBe("numbers from a 2-core machine (Some CPU), load average 1.5 0.25 3 at the start of the suite; its cores are shared with the load generator");
  });
});
