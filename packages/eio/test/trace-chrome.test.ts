// Trace.toChromeJson and EIO_TRACE=*.json: Chrome trace-event JSON, for Perfetto and chrome://tracing.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { buildTimeline } from "../src/trace/timeline.js";
import { type ChromeEvent, checkChromeTrace } from "./support/chrome-trace.js";

const { Trace, Fiber, Switch, Stream } = Eio;
const quiet = { traceln: () => {} };

/** A producer and a consumer through a stream of capacity 1: two wake-ups, three lines. */
function* pipeline(): Eio.Operation<void> {
  yield* Switch.run((sw) => {
    const s = Stream.create<number>(1);
    Fiber.fork(sw, function* producer() {
      for (let i = 0; i < 3; i++) yield* Stream.add(s, i);
    });
    Fiber.fork(sw, function* consumer() {
      for (let i = 0; i < 3; i++) Eio.traceln("took %d", yield* Stream.take(s));
    });
  });
}

const threadNames = (events: ChromeEvent[]): string[] => events.filter((e) => e.name === "thread_name").map((e) => e.args!.name as string);

describe("Trace.toChromeJson", () => {
  it("keeps the format's rules: a track per fiber named by metadata, run slices, a flow pair per wake-up, an instant per line", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>(() => Trace.record(pipeline), quiet);
    const events = checkChromeTrace(Trace.toChromeJson(trace));
    const { rows, wakes } = buildTimeline(trace.events, "time");
    expect(threadNames(events)).toEqual(["record#0", "producer#1", "consumer#2"]);
    expect(events.filter((e) => e.name === "process_name").map((e) => [e.pid, e.args!.name])).toEqual([[1, "domain 0 (main thread)"]]);
    // One X slice per running stretch, on the fiber's own track, at the trace's microseconds.
    for (const row of rows) {
      const runs = events.filter((e) => e.ph === "X" && e.cat === "run" && e.tid === row.fiber + 1);
      expect(runs.map((e) => [e.ts, e.ts! + e.dur!])).toEqual(row.spans.filter((s) => s.running).map((s) => [s.start, s.end]));
      expect(new Set(runs.map((e) => e.name))).toEqual(new Set([row.label]));
    }
    expect(events.filter((e) => e.ph === "X" && e.cat === "wait").map((e) => e.name)).toContain("waits on Stream.add");
    const last = trace.events[trace.events.length - 1]!.t;
    expect(Math.max(...events.filter((e) => e.ph === "X").map((e) => e.ts! + e.dur!))).toBe(last);
    expect(events.filter((e) => e.ph === "i").map((e) => [e.tid, e.name])).toEqual([
      [3, "took 0"],
      [3, "took 1"],
      [3, "took 2"],
    ]);
    expect(wakes).toHaveLength(2);
    const starts = events.filter((e) => e.ph === "s");
    expect(starts.map((e) => e.name)).toEqual(["consumer#2 wakes producer#1", "producer#1 wakes consumer#2"]);
    expect(starts.map((e) => e.tid)).toEqual([3, 2]);
    expect(events.filter((e) => e.ph === "f").map((e) => e.tid)).toEqual([2, 3]);
    expect(JSON.parse(Trace.toChromeJson(trace)).otherData).toEqual({ source: "eio-ts", dropped: 0 });
  });

  it("draws no flow for a fiber that wakes itself, and checks its argument", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>(() => Trace.record(() => Fiber.yield()), quiet);
    const events = checkChromeTrace(Trace.toChromeJson(trace));
    expect(events.filter((e) => e.ph === "s" || e.ph === "f")).toEqual([]);
    expect(() => Trace.toChromeJson({ events: [] } as never)).toThrow("Trace.toChromeJson: expected a trace (from Eio.Trace.record), got [object Object]");
  });

  it("the rules' checker rejects what breaks them", () => {
    const meta = [
      { name: "process_name", ph: "M", pid: 1, tid: 0, args: { name: "p" } },
      { name: "thread_name", ph: "M", pid: 1, tid: 1, args: { name: "t" } },
    ];
    const slice = { name: "a", cat: "run", ph: "X", ts: 0, dur: 10, pid: 1, tid: 1 };
    const check = (...events: object[]) => () => checkChromeTrace(JSON.stringify({ traceEvents: [...meta, ...events] }));
    expect(check(slice, { ...slice, ts: 2, dur: 3 })).not.toThrow();
    expect(check(slice, { ...slice, ts: 5, dur: 10 })).toThrow(/crosses the end/);
    expect(check({ ...slice, dur: undefined })).toThrow(/has a duration/);
    expect(check({ ...slice, tid: 2 })).toThrow(/no thread_name metadata/);
    expect(check({ ...slice, pid: 2, tid: 0 })).toThrow(/no process_name metadata/);
    expect(check({ name: "l", ph: "i", ts: 1, pid: 1, tid: 1 })).toThrow(/scope/);
    expect(check({ name: "b", ph: "B", ts: 1, pid: 1, tid: 1 })).toThrow(/without their end/);
    const flow = { name: "w", cat: "wake", ph: "s", id: 1, ts: 1, pid: 1, tid: 1 };
    const end = { ...flow, ph: "f", bp: "e", ts: 2 };
    expect(check(slice, flow, end)).not.toThrow();
    expect(check(slice, flow)).toThrow(/1 starts and 0 ends/);
    expect(check(slice, flow, end, { ...end, ts: 3 })).toThrow(/1 starts and 2 ends/);
    expect(check(slice, flow, { ...end, bp: undefined })).toThrow(/bp: "e"/);
    expect(check(slice, flow, { ...end, ts: 20 })).toThrow(/outside every slice/);
  });
});

describe("EIO_TRACE=*.json", () => {
  it("writes any program's run as Chrome trace-event JSON", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "eio-trace-json-"));
    const program = join(dir, "program.mjs");
    const index = new URL("../dist/index.js", import.meta.url).href;
    writeFileSync(
      program,
      `import * as Eio from ${JSON.stringify(index)};\nawait Eio.run(function* () { yield* Eio.Fiber.both(function* left() { yield* Eio.Fiber.yield(); Eio.traceln("left"); }, function* right() {}); });\n`,
    );
    const file = join(dir, "trace.json");
    const code = await new Promise<number | null>((resolve) => {
      spawn(process.execPath, [program], { env: { ...process.env, EIO_TRACE: file }, stdio: "ignore" }).on("close", resolve);
    });
    expect(code).toBe(0);
    const events = checkChromeTrace(readFileSync(file, "utf8"));
    // `both` runs its second function in the calling fiber (as Eio does): two fibers.
    expect(threadNames(events)).toEqual(["main#0", "left#1"]);
    expect(events.filter((e) => e.ph === "i").map((e) => e.name)).toEqual(["left"]);
    expect(events.filter((e) => e.ph === "X" && e.cat === "run").length).toBeGreaterThanOrEqual(2);
  });
});
