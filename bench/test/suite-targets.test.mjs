// The issues' targets as the suites state them: which rows they compare and at what ratio. Each
// check gets made-up rows just inside and just outside the target, so no timing is involved.
import { describe, expect, it } from "vitest";
import * as domains from "../suites/domains.mjs";
import * as netSuite from "../suites/net.mjs";

const row = (nsPerUnit, medianNs) => ({ nsPerUnit, ...(medianNs === undefined ? {} : { latency: { medianNs } }) });

/** The target of `scenario` whose text contains `words`, with the rows it needs. */
function target(scenario, words) {
  const found = scenario.targets.filter((t) => t.text.includes(words));
  expect(found.map((t) => t.text)).toHaveLength(1);
  return found[0];
}

/** A target's verdict on rows where eio-ts takes `ratio` times `peer`'s time (or median). */
function verdict(t, peer, ratio, { median = false, eio = "eio-ts" } = {}) {
  const rows = median ? { [eio]: row(1, ratio * 100), [peer]: row(1, 100) } : { [eio]: row(ratio * 100), [peer]: row(100) };
  expect(t.needs).toEqual([eio, peer]);
  expect(Boolean(t.needsLatency)).toBe(median);
  return t.check(rows).met;
}

describe("the domains suite states issue 13's targets", async () => {
  const { scenarios } = await domains.scenarios({ quick: true });
  const byId = Object.fromEntries(scenarios.map((s) => [s.id, s]));

  it("shared promise round trip: median within 2x of the floor's, mean within 3x", () => {
    const scenario = byId["promise-round-trip"];
    expect(scenario.targets).toHaveLength(5);
    const floor = "floor: a minimal shared promise";
    const medianTarget = target(scenario, "round trip: median within 2x of the floor's");
    expect([2, 2.01].map((x) => verdict(medianTarget, floor, x, { median: true }))).toEqual([true, false]);
    const meanTarget = target(scenario, "within 3x of the floor's");
    expect([3, 3.01].map((x) => verdict(meanTarget, floor, x))).toEqual([true, false]);
    for (const name of ["eio-ts", floor]) expect(scenario.impls.find((i) => i.name === name).timed).toEqual([]);
  });

  it("the value floor: eio-ts's median within 2x of it and its mean within 3x; the value floor itself within 2x of the floor", () => {
    const scenario = byId["promise-round-trip"];
    const [floor, valueFloor] = ["floor: a minimal shared promise", "floor: the same, carrying the message as a JS value"];
    expect(scenario.impls.map((i) => i.name).slice(0, 3)).toEqual(["eio-ts", floor, valueFloor]);
    expect(scenario.impls[2].timed).toEqual([]);
    // Every row takes its samples in turns with the others: the ratios compare the same moments.
    expect(scenario.interleave).toBe(domains.ROUND_TRIP_ROUNDS);
    const medianTarget = target(scenario, "median within 2x of the value floor's");
    expect([2, 2.01].map((x) => verdict(medianTarget, valueFloor, x, { median: true }))).toEqual([true, false]);
    const meanTarget = target(scenario, "within 3x of the value floor's");
    expect([3, 3.01].map((x) => verdict(meanTarget, valueFloor, x))).toEqual([true, false]);
    const itself = target(scenario, "the value floor itself");
    expect([2, 2.01].map((x) => verdict(itself, floor, x, { median: true, eio: valueFloor }))).toEqual([true, false]);
  });

  it("shared-stream ping-pong: median within 4x of the raw Atomics ping-pong's, both timed alone", () => {
    const scenario = byId["stream-ping-pong"];
    const raw = "raw Atomics (spin, then wait)";
    expect(scenario.impls.map((i) => i.name)).toEqual(["eio-ts", raw]);
    expect(scenario.impls.every((i) => Array.isArray(i.timed))).toBe(true);
    const t = target(scenario, "median within 4x");
    expect([4, 4.01].map((x) => verdict(t, raw, x, { median: true }))).toEqual([true, false]);
  });

  it("a shared stream at least 5x raw postMessage", () => {
    const t = target(byId["shared-stream"], "5x");
    expect([1 / 5, 1 / 4.99].map((x) => verdict(t, "raw postMessage", x))).toEqual([true, false]);
  });

  it("pool throughput and sequential latency at least 10x the best of piscina, tinypool and workerpool", () => {
    for (const id of ["pool-throughput", "pool-latency"]) {
      const [t] = byId[id].targets;
      const peer = (name, ns) => ({ name, ...row(ns) });
      const rows = (eio) => ({ "eio-ts": row(eio), piscina: peer("piscina", 1000), tinypool: peer("tinypool", 100), workerpool: peer("workerpool", 2000) });
      expect(t.check(rows(10)).met).toBe(true);
      expect(t.check(rows(10.1)).met).toBe(false);
      expect(t.check(rows(10)).value).toContain("tinypool");
    }
  });

  it("keeps the big-value scenarios", () => {
    expect(Object.keys(byId)).toEqual(expect.arrayContaining(["big-result", "big-stream-item"]));
  });
});

describe("the net suite states issue 13's targets", async () => {
  const { scenarios } = await netSuite.scenarios({ quick: true });
  const [echo] = scenarios;
  const cluster = `node:cluster (${netSuite.CLUSTER_WORKERS} workers)`;

  it("has the cluster peer with 3 workers and the floor of 3 node:net threads beside plain Node and eio-ts with and without 2 more domains", () => {
    expect(netSuite.CLUSTER_WORKERS).toBe(3);
    expect(netSuite.FLOOR).toBe("node:net 3 threads (one socket)");
    expect(echo.impls.map((i) => i.name)).toEqual(["eio-ts", "eio-ts +2 domains", "node:net", netSuite.FLOOR, cluster]);
  });

  it("warms up the rows with several threads longer than the others", () => {
    const warmups = Object.fromEntries(echo.impls.map((i) => [i.name, i.warmupMs]));
    expect(warmups).toEqual({ "eio-ts": undefined, "eio-ts +2 domains": netSuite.THREADS_WARMUP_MS, "node:net": undefined, [netSuite.FLOOR]: netSuite.THREADS_WARMUP_MS, [cluster]: undefined });
    expect(netSuite.THREADS_WARMUP_MS).toBeGreaterThanOrEqual(2000);
  });

  it("eio-ts with 2 additional domains at least 1.0x cluster and 0.9x its floor, one domain at least 0.9x plain Node; nothing else", () => {
    expect(echo.targets).toHaveLength(3);
    const floorTarget = target(echo, "its floor");
    expect([1 / 0.9, 1.12].map((x) => verdict(floorTarget, netSuite.FLOOR, x, { eio: "eio-ts +2 domains" }))).toEqual([true, false]);
    const domainsTarget = target(echo, "cluster");
    expect([1, 1.01].map((x) => verdict(domainsTarget, cluster, x, { eio: "eio-ts +2 domains" }))).toEqual([true, false]);
    const oneDomain = target(echo, "plain Node");
    expect([1 / 0.9, 1.12].map((x) => verdict(oneDomain, "node:net", x))).toEqual([true, false]);
    expect(echo.notes.some((note) => note.startsWith("withdrawn (issue 13)") && note.includes("2 cores shared with the load generator"))).toBe(true);
  });

  it("sizes every listen backlog to a sample's burst of connections", () => {
    expect(netSuite.BACKLOG).toBeGreaterThan(50 + 2);
  });

  it("takes the samples of the servers in turns, over enough rounds for a median", () => {
    expect(echo.interleave).toBe(netSuite.ROUNDS);
    expect(netSuite.ROUNDS).toBeGreaterThanOrEqual(5);
    expect(echo.notes.some((note) => note.includes(`${netSuite.ROUNDS} rounds`))).toBe(true);
  });
});
