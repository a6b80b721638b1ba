/**
 * Tracing a whole run: `Eio.run`'s `trace` option, and the `EIO_TRACE` environment variable.
 * @internal
 * @module
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { isMainThread } from "node:worker_threads";
import type { Scheduler } from "../core/scheduler.js";
import { Trace } from "./events.js";
import { attachRecorder, detachRecorder, Recorder } from "./recorder.js";
import { toChromeJson } from "./chrome-json.js";
import { toHtml, toSvg } from "./svg.js";

/**
 * Where EIO_TRACE asks for the trace of a run of the main thread: Chrome trace-event JSON for a
 * `.json` file, else a picture (SVG for `.svg`, else HTML) with its clock.
 */
function fromEnvironment(): ((trace: Trace) => void) | undefined {
  const file = process.env.EIO_TRACE;
  if (file === undefined || file === "" || !isMainThread) return undefined;
  const clockName = process.env.EIO_TRACE_CLOCK ?? "time";
  if (clockName !== "time" && clockName !== "steps") {
    throw new RangeError(`EIO_TRACE_CLOCK must be "time" or "steps", got ${JSON.stringify(clockName)}`);
  }
  const clock: "time" | "steps" = clockName;
  return (trace) => {
    // Titled with the command line, the script's path relative to where it ran.
    const [script = "", ...args] = process.argv.slice(1);
    const options = { clock, title: [relative(process.cwd(), script), ...args].join(" ") };
    if (file.endsWith(".json")) writeFileSync(file, toChromeJson(trace));
    else writeFileSync(file, file.endsWith(".svg") ? toSvg(trace, options) : toHtml(trace, options));
  };
}

/**
 * Starts recording `scheduler` if `onTrace` is given or EIO_TRACE asks for it; returns what ends
 * the recording and hands over the trace (call it when the run ends), or null.
 */
export function traceRun(scheduler: Scheduler, onTrace: ((trace: Trace) => void) | undefined): (() => void) | null {
  const handOver = onTrace ?? fromEnvironment();
  if (handOver === undefined) return null;
  const recorder = Recorder.startingNow();
  attachRecorder(scheduler, recorder);
  return () => {
    detachRecorder(scheduler, null);
    handOver(new Trace(recorder.eventsFrom(0), recorder.dropped));
  };
}
