/**
 * A trace as Chrome's trace-event JSON, the format Perfetto (ui.perfetto.dev) and chrome://tracing
 * open: a process per domain, a thread per fiber, a slice per stretch a fiber runs or waits, a
 * flow arrow per wake-up, an instant event per `traceln` line.
 * @module
 */
import { checkTrace, type Trace } from "./events.js";
import { buildTimeline, type Row } from "./timeline.js";

/** One trace event of the JSON Object Format (fields as the format names them). */
type ChromeEvent = Record<string, unknown> & { ph: string; pid: number; tid: number };

/**
 * The trace as Chrome trace-event JSON (the "JSON Object Format", `{"traceEvents": [...]}`), as
 * a string: write it to a `.json` file and open it in Perfetto (ui.perfetto.dev, "Open trace
 * file") or chrome://tracing. Each domain is a process (`pid`: the domain's id + 1), each fiber a
 * thread of it (`tid`: the fiber's number + 1), named `name#id`. A fiber's track has a slice
 * (`ph: "X"`, named after the fiber) while it runs and one named `waits on ...` while it waits; a
 * wake-up is a flow arrow (`ph: "s"` on the waker's track, `ph: "f"` on the woken's, across
 * domains too); a `traceln` line is an instant event (`ph: "i"`). Times are the trace's
 * microseconds. `otherData.dropped` counts the events the recording did not keep.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const trace = yield* Eio.Trace.record(function* () {
 *     yield* Eio.Fiber.both(function* ping() { Eio.traceln("ping"); }, function* pong() {});
 *   });
 *   const { traceEvents } = JSON.parse(Eio.Trace.toChromeJson(trace));
 *   console.log(traceEvents.filter((e: { ph: string }) => e.ph === "i").length); // 1
 * });
 * ```
 */
export function toChromeJson(trace: Trace): string {
  const { events } = checkTrace(trace, "Trace.toChromeJson");
  const { rows, wakes } = buildTimeline(events, "time");
  const pid = (row: Row): number => row.domain + 1;
  const tid = (row: Row): number => row.fiber + 1;
  const out: ChromeEvent[] = [];
  for (const domain of new Set(rows.map((row) => row.domain))) {
    const label = domain === 0 ? "domain 0 (main thread)" : `domain ${domain}`;
    out.push({ name: "process_name", ph: "M", pid: domain + 1, tid: 0, args: { name: label } });
    out.push({ name: "process_sort_index", ph: "M", pid: domain + 1, tid: 0, args: { sort_index: domain } });
  }
  rows.forEach((row, i) => {
    const track = { pid: pid(row), tid: tid(row) };
    out.push({ name: "thread_name", ph: "M", ...track, args: { name: row.label } });
    out.push({ name: "thread_sort_index", ph: "M", ...track, args: { sort_index: i } });
    const args = { switch: row.switch, parent: row.parent === null ? null : `#${row.parent}`, outcome: row.outcome };
    for (const span of row.spans) {
      // A parent paused while a fiber it forked runs has no slice: it neither runs nor waits.
      if (!span.running && span.on === "") continue;
      const name = span.running ? row.label : `waits on ${span.on}`;
      out.push({ name, cat: span.running ? "run" : "wait", ph: "X", ts: span.start, dur: span.end - span.start, ...track, args });
    }
    for (const log of row.logs) out.push({ name: log.line, cat: "traceln", ph: "i", s: "t", ts: log.at, ...track });
  });
  let id = 0;
  for (const wake of wakes) {
    const from = rows[wake.from]!;
    const to = rows[wake.to]!;
    // A flow starts inside a slice of the waker: across domains the wake-up arrives after its
    // sender ran, so it starts at the end of the sender's last run before it.
    const run = lastRunBefore(from, wake.at);
    if (run === undefined) continue;
    const name = `${from.label} wakes ${to.label}`;
    id++;
    out.push({ name, cat: "wake", ph: "s", id, ts: Math.min(wake.at, run.end), pid: pid(from), tid: tid(from) });
    out.push({ name, cat: "wake", ph: "f", bp: "e", id, ts: wake.at, pid: pid(to), tid: tid(to) });
  }
  return JSON.stringify({ traceEvents: out, displayTimeUnit: "ms", otherData: { source: "eio-ts", dropped: trace.dropped } });
}

/** The last running stretch of `row` that started at or before `at`. */
function lastRunBefore(row: Row, at: number): { start: number; end: number } | undefined {
  let found: { start: number; end: number } | undefined;
  for (const span of row.spans) if (span.running && span.start <= at) found = span;
  return found;
}
