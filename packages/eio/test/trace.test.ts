// Eio.Trace: recording what fibers do, and drawing it.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { buildTimeline } from "../src/trace/timeline.js";

const { Trace, Fiber, Switch, Stream } = Eio;

/** A producer and a consumer through a stream of capacity 1, in a named switch. */
function* pipeline(): Eio.Operation<void> {
  yield* Switch.run(
    (sw) => {
      const s = Stream.create<number>(1);
      Fiber.fork(sw, function* producer() {
        for (let i = 0; i < 3; i++) {
          yield* Stream.add(s, i);
          Eio.traceln("added %d", i);
        }
      });
      Fiber.fork(sw, function* consumer() {
        for (let i = 0; i < 3; i++) Eio.traceln("took %d", yield* Stream.take(s));
      });
    },
    { name: "pipeline" },
  );
}

const quiet = { traceln: () => {} };


function recordPipeline(): Promise<Eio.Trace.Trace> {
  return Eio.run<Eio.Trace.Trace>(() => Trace.record(pipeline), quiet);
}

/** Checks that `svg` is well-formed as far as tags go: every element closed, in order. */
function expectBalancedTags(svg: string): void {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing === "/") continue;
    if (closing === "/") expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
}

describe("recording", () => {
  it("tells in order who ran, forked, waited on what, woke whom, logged and ended", async () => {
    const trace = await recordPipeline();
    expect(Trace.toText(trace).split("\n")).toEqual([
      "record#0 runs",
      "record#0 forks producer#1 in Switch(pipeline)",
      "producer#1 runs",
      "producer#1: added 0",
      "producer#1 waits on Stream.add",
      "record#0 continues",
      "record#0 forks consumer#2 in Switch(pipeline)",
      "consumer#2 runs",
      "consumer#2 wakes producer#1",
      "consumer#2: took 0",
      "consumer#2: took 1",
      "consumer#2 waits on Stream.take",
      "record#0 continues",
      "record#0 waits on Switch.awaitIdle",
      "producer#1 runs",
      "producer#1: added 1",
      "producer#1 wakes consumer#2",
      "producer#1: added 2",
      "producer#1 ends",
      "consumer#2 runs",
      "consumer#2: took 2",
      "consumer#2 ends",
      "record#0 is woken",
      "record#0 runs",
    ]);
  });

  it("stamps events with microseconds from the start, in order, in domain 0", async () => {
    const { events } = await recordPipeline();
    expect(events[0]!.t).toBe(0);
    for (let i = 1; i < events.length; i++) expect(events[i]!.t).toBeGreaterThanOrEqual(events[i - 1]!.t);
    expect(new Set(events.map((e) => e.domain))).toEqual(new Set([0]));
    const producer = events.find((e) => e.kind === "create" && e.name === "producer");
    expect(producer).toMatchObject({ parent: 0, switch: "Switch(pipeline)" });
  });

  it("records a failing fiber as failing, and its switch cancelling the sibling as a wake-up", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>(
      () =>
        Trace.record(function* () {
          try {
            yield* Switch.run((sw) => {
              Fiber.fork(sw, function* sleeper() {
                yield* Fiber.awaitCancel();
              });
              Fiber.fork(sw, function* failer() {
                throw new Error("boom");
              });
            });
          } catch {
            // the switch's error: the trace is what we look at
          }
        }),
      quiet,
    );
    expect(Trace.toText(trace).split("\n")).toEqual([
      "record#0 runs",
      "record#0 forks sleeper#1 in Switch#1",
      "sleeper#1 runs",
      "sleeper#1 waits on Fiber.awaitCancel",
      "record#0 continues",
      "record#0 forks failer#2 in Switch#1",
      "failer#2 runs",
      "failer#2 fails",
      // The failure is handled as the fork returns: the parent's switch cancels the sleeper.
      "record#0 continues",
      "record#0 wakes sleeper#1",
      "record#0 waits on Switch.awaitIdle",
      "sleeper#1 runs",
      "sleeper#1 fails",
      "record#0 is woken",
      "record#0 runs",
    ]);
    expect(trace.events.find((e) => e.kind === "exit" && e.fiber === 2)).toMatchObject({ ok: false });
  });

  it("an error thrown by the recorded function propagates, and recording stops", async () => {
    await Eio.run(function* () {
      let error: unknown;
      try {
        yield* Trace.record(() => {
          throw new Error("inside");
        });
      } catch (e) {
        error = e;
      }
      expect((error as Error).message).toBe("inside");
      // No tracer is left behind: a second recording sees only its own events.
      const trace = yield* Trace.record(() => Eio.traceln("again"));
      expect(Trace.toText(trace)).toBe("record#0 runs\nrecord#0: again");
    }, quiet);
  });

  it("an inner recording is its part of the outer one, with the fibers it names", async () => {
    let inner: Eio.Trace.Trace | undefined;
    const outer = await Eio.run<Eio.Trace.Trace>(function* () {
      return yield* Trace.record(function* () {
        yield* Switch.run((sw) => {
          Fiber.fork(sw, function* early() {
            yield* Fiber.yield();
            Eio.traceln("early again");
          });
        });
        inner = yield* Trace.record(() => Eio.traceln("inner"));
      });
    }, quiet);
    expect(Trace.toText(inner!)).toBe("record#0 runs\nrecord#0: inner");
    expect(inner!.events[0]).toMatchObject({ kind: "create", name: "record", t: 0 });
    expect(Trace.toText(outer)).toContain("early#1: early again");
    expect(Trace.toText(outer)).toContain("record#0: inner");
  });

  it("keeps the first 200,000 events and counts the rest, saying so in the text and the picture", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>(() =>
      Trace.record(function* () {
        // Each yield makes three events (waits, is woken, runs).
        for (let i = 0; i < 70_000; i++) yield* Fiber.yield();
      }),
    );
    expect(trace.events.length).toBe(200_000);
    // 2 events to start (the recording fiber named and running) and 3 per yield.
    expect(trace.dropped).toBe(2 + 3 * 70_000 - 200_000);
    expect(Trace.toText(trace).endsWith("(10002 more events not kept: a trace keeps its first 200000)")).toBe(true);
    expect(Trace.toSvg(trace, { clock: "steps" })).toContain("(10002 more events not kept)");
  });

  it("rejects what is not a function, naming what it wanted", async () => {
    await expect(Eio.run(() => Trace.record(42 as never))).rejects.toThrow(/Trace\.record: expected a function/);
    expect(() => Trace.toText({} as never)).toThrow(/expected a trace \(from Eio\.Trace\.record\)/);
  });
});

describe("a whole run", () => {
  it("Eio.run's trace option gets the trace of the whole run, the root fiber named main", async () => {
    let trace: Eio.Trace.Trace | undefined;
    await Eio.run(pipeline, { ...quiet, trace: (t) => (trace = t) });
    const text = Trace.toText(trace!);
    expect(text.split("\n")[0]).toBe("main#0 runs");
    expect(text).toContain("main#0 forks consumer#2 in Switch(pipeline)");
  });

  it("a trace callback that throws fails the run with its error", async () => {
    await expect(
      Eio.run(() => 1, {
        trace: () => {
          throw new Error("cannot write");
        },
      }),
    ).rejects.toThrow("cannot write");
    await expect(Eio.run(() => 1, { trace: "file.svg" as never })).rejects.toThrow(/options\.trace must be a function/);
  });

  it("EIO_TRACE draws any program's run to a file, by steps with EIO_TRACE_CLOCK=steps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eio-trace-"));
    const program = join(dir, "program.mjs");
    const index = new URL("../dist/index.js", import.meta.url).href;
    writeFileSync(
      program,
      `import * as Eio from ${JSON.stringify(index)};\nawait Eio.run(function* () { yield* Eio.Fiber.both(function* left() { yield* Eio.Fiber.yield(); }, function* right() {}); });\n`,
    );
    const draw = (file: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [program], { env: { ...process.env, EIO_TRACE: file, EIO_TRACE_CLOCK: "steps" }, stdio: "ignore" });
        child.on("close", resolve);
      });
    expect(await draw(join(dir, "a.svg"))).toBe(0);
    expect(await draw(join(dir, "b.svg"))).toBe(0);
    expect(await draw(join(dir, "c.html"))).toBe(0);
    const svg = readFileSync(join(dir, "a.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("left#");
    // By steps, the same program draws the same picture.
    expect(readFileSync(join(dir, "b.svg"), "utf8")).toBe(svg);
    expect(readFileSync(join(dir, "c.html"), "utf8")).toMatch(/^<!DOCTYPE html>[\s\S]*<svg[\s\S]*<\/html>$/);
  });
});

describe("drawing", () => {
  it("one row per fiber, a bar per running stretch, an arrow per wake-up by a fiber, a dot per line", async () => {
    const trace = await recordPipeline();
    const svg = Trace.toSvg(trace, { clock: "steps", title: "pipeline" });
    expectBalancedTags(svg);
    const { rows, wakes } = buildTimeline(trace.events, "steps");
    expect(rows.map((r) => r.label)).toEqual(["record#0", "producer#1", "consumer#2"]);
    const runs = rows.reduce((n, r) => n + r.spans.filter((s) => s.running).length, 0);
    expect(svg.match(/class="run"/g)!.length).toBe(runs);
    expect(wakes.length).toBe(2);
    expect(svg.match(/class="wake"/g)!.length).toBe(2);
    expect(svg.match(/class="log"/g)!.length).toBe(6);
    expect(svg).toContain(">Stream.add<");
    expect(svg).toContain("Switch(pipeline)");
  });

  it("draws a legend of its marks into the picture, below the rows, wrapped to the picture's width", async () => {
    const trace = await recordPipeline();
    const meanings = ["runs", "waits (on what is written over it)", "wakes: from the waker's row to the woken's", "a traceln line", "ends", "fails"];
    for (const width of [720, 100]) {
      const svg = Trace.toSvg(trace, { clock: "steps", width });
      expectBalancedTags(svg);
      const legend = /<g class="legend">(.*?)<\/g>/.exec(svg)![1]!;
      expect([...legend.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace("&#39;", "'"))).toEqual(meanings);
      // Every legend mark lies inside the picture, below the axis.
      const [, total, height] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.map(Number);
      const axisY = Number(/<text class="axis" x="\d+" y="(\d+)"/.exec(svg)![1]);
      for (const m of legend.matchAll(/<text x="(\d+)" y="(\d+)">([^<]*)</g)) {
        expect(Number(m[2])).toBeGreaterThan(axisY);
        expect(Number(m[2])).toBeLessThan(height!);
        expect(Number(m[1]) + m[3]!.length * 6).toBeLessThanOrEqual(total!);
      }
      // Its marks have classes of their own: they are not counted as the trace's.
      expect(legend).not.toMatch(/class="(run|wake|log|ok|error)"/);
    }
  });

  it("draws no arrow for a fiber that wakes itself (Fiber.yield), though the text says it", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>(() => Trace.record(() => Fiber.yield()), quiet);
    expect(Trace.toText(trace)).toContain("record#0 wakes record#0");
    expect(buildTimeline(trace.events, "steps").wakes).toEqual([]);
    expect(Trace.toSvg(trace)).not.toContain('class="wake"');
  });

  it("pauses a parent while the fiber it forked runs, as the scheduler does", async () => {
    const { rows } = buildTimeline((await recordPipeline()).events, "steps");
    const parent = rows[0]!;
    const child = rows[1]!;
    const firstChildRun = child.spans.find((s) => s.running)!;
    // The parent does not run while its child's first stretch runs.
    for (const span of parent.spans.filter((s) => s.running)) {
      expect(span.end <= firstChildRun.start || span.start >= firstChildRun.end).toBe(true);
    }
  });

  it("escapes what it writes, and checks its options", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>(() => Trace.record(() => Eio.traceln("<b> & \"quotes\"")), quiet);
    const svg = Trace.toSvg(trace);
    expect(svg).toContain("&lt;b&gt; &amp; &quot;quotes&quot;");
    expectBalancedTags(svg);
    expect(() => Trace.toSvg(trace, { clock: "ticks" as never })).toThrow(/options\.clock must be "time" or "steps"/);
    expect(() => Trace.toSvg(trace, { width: 10 })).toThrow(/options\.width must be a number of pixels >= 100/);
    expect(Trace.toHtml(trace, { title: "a <title>" })).toContain("<title>a &lt;title&gt;</title>");
  });
});
