import { describe, expect, it } from "vitest";
import { SUITE } from "../lib/kv-load.mjs";
import { runTurns } from "../lib/kv-turns.mjs";

// Fake servers (their port names them) and a fake load that records each call.
const up = [
  { server: { name: "a" }, started: { port: 1 }, label: "[1/3] a" },
  { server: { name: "b", tests: ["set", "get"] }, started: { port: 2 }, label: "[2/3] b" },
  { server: { name: "c" }, started: { port: 3 }, label: "[3/3] c" },
];
const recorder = (failOn = () => false) => {
  const calls = [];
  const load = async ({ port, requests, pipeline, tests }) => {
    calls.push({ port, requests, pipeline, tests: tests.join(",") });
    if (failOn(port, tests)) throw new Error(`server ${port} stopped answering`);
    return Object.fromEntries(tests.map((t) => [t.toUpperCase(), { rps: port * 1000, p50Ms: 1 }]));
  };
  return { calls, load };
};

describe("runTurns: the kv servers take turns", () => {
  it("warms every server up with its whole suite, then runs each test on each server in turn, the order rotated from test to test", async () => {
    const { calls, load } = recorder();
    const turns = await runTurns(up, { pipeline: 16, warmup: 7, measured: 9, timeoutMs: 1000, load });
    expect(calls.slice(0, 3)).toEqual([
      { port: 1, requests: 7, pipeline: 16, tests: SUITE.join(",") },
      { port: 2, requests: 7, pipeline: 16, tests: "set,get" },
      { port: 3, requests: 7, pipeline: 16, tests: SUITE.join(",") },
    ]);
    const measured = calls.slice(3);
    expect(measured.every((c) => c.requests === 9 && c.pipeline === 16 && !c.tests.includes(","))).toBe(true);
    // set (test 0): a b c; get (test 1): b c a; incr (test 2, b does not speak it): a c; lpush (3): c a.
    expect(measured.slice(0, 10).map((c) => `${c.tests}@${c.port}`)).toEqual(["set@1", "set@2", "set@3", "get@2", "get@3", "get@1", "incr@1", "incr@3", "lpush@3", "lpush@1"]);
    expect(measured).toHaveLength(2 * 3 + (SUITE.length - 2) * 2);
    expect(turns.map((t) => [t.server.name, t.failed, Object.keys(t.results).length])).toEqual([["a", null, SUITE.length], ["b", null, 2], ["c", null, SUITE.length]]);
    expect(turns[2].results.GET).toEqual({ rps: 3000, p50Ms: 1 });
  });

  it("leaves a server whose load failed out of the tests after, and says why; the others go on", async () => {
    const { calls, load } = recorder((port, tests) => port === 3 && tests.length === 1 && tests[0] === "get");
    const turns = await runTurns(up, { pipeline: 1, warmup: 2, measured: 5, timeoutMs: 1000, load });
    expect(turns[2].failed).toBe("server 3 stopped answering");
    const afterGet = calls.slice(3).filter((c) => c.tests !== "set" && c.tests !== "get");
    expect(afterGet.some((c) => c.port === 3)).toBe(false);
    expect(afterGet.filter((c) => c.port === 1)).toHaveLength(SUITE.length - 2);
    expect(turns[0].failed).toBeNull();
    expect(Object.keys(turns[0].results)).toHaveLength(SUITE.length);
  });

  it("fails a server whose warm-up failed without loading it again", async () => {
    const { calls, load } = recorder((port, tests) => port === 2 && tests.length > 1);
    const turns = await runTurns(up, { pipeline: 1, warmup: 2, measured: 5, timeoutMs: 1000, load });
    expect(turns[1].failed).toBe("server 2 stopped answering");
    expect(calls.filter((c) => c.port === 2)).toHaveLength(1);
  });
});
