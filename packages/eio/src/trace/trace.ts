/**
 * Tracing: record what fibers do (created, run, wait and on what, woken by whom, log, end) and
 * look at it, as text, as a timeline picture (SVG, or a self-contained HTML page), or in Perfetto
 * (Chrome trace-event JSON). Eio's
 * equivalent is its runtime events and the `eio-trace` tool. Tracing costs one null check per
 * scheduler event while off.
 * @module
 */
import { currentFiber, isGenerator, nested, type Operation } from "../core/scheduler.js";
import { checkTrace, Trace } from "./events.js";
import { attachRecorder, detachRecorder, MAX_EVENTS, Recorder, recorderOf } from "./recorder.js";

export { Trace, type TraceEvent } from "./events.js";
export { toHtml, toSvg, type DrawOptions } from "./svg.js";
export { toChromeJson } from "./chrome-json.js";

/**
 * Runs `fn` in the current fiber while recording what every fiber of this domain does, and
 * returns the trace. Fibers forked inside `fn` are recorded from their creation; others that run
 * meanwhile (made before) appear from their first event. An error from `fn` propagates (the
 * trace is dropped). Jobs that other domains run for fibers of this one (`DomainManager.run`,
 * `ExecutorPool`) are recorded there, and their events come back every 20 ms and with their
 * results. Recordings nest: an inner one is its part of the outer one. A recording keeps its
 * first 200,000 events (see `Trace.dropped`). To trace a whole program, see the `trace` option
 * of `Eio.run` and the `EIO_TRACE` environment variable.
 *
 * Suspends: if `fn` does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const trace = yield* Eio.Trace.record(function* () {
 *     yield* Eio.Fiber.both(
 *       function* ping() { Eio.traceln("ping"); },
 *       function* pong() { Eio.traceln("pong"); },
 *     );
 *   });
 *   console.log(Eio.Trace.toText(trace));
 * });
 * ```
 */
export function* record(fn: () => unknown): Operation<Trace> {
  if (typeof fn !== "function") throw new TypeError(`Trace.record: expected a function to run while recording, got ${typeof fn}`);
  const fiber = currentFiber();
  const scheduler = fiber.scheduler;
  // Inside another recording (an enclosing `record`, or a whole run traced with EIO_TRACE):
  // share its recorder and take our part of its events.
  const enclosing = recorderOf(scheduler);
  const recorder = enclosing ?? Recorder.startingNow();
  let from = 0;
  const droppedBefore = recorder.dropped;
  if (enclosing === null) attachRecorder(scheduler, recorder);
  try {
    if (enclosing === null) recorder.begin(fiber);
    else from = recorder.mark(fiber);
    const body = fn();
    if (isGenerator(body)) yield* nested(body as Operation<unknown>);
  } finally {
    if (enclosing === null) detachRecorder(scheduler, null);
  }
  return new Trace(recorder.eventsFrom(from, enclosing === null ? null : fiber), recorder.dropped - droppedBefore);
}

/**
 * The trace as text, one line per event, without times, so the same program prints the same
 * text on every run (good for tests and docs). Fibers are named `name#id`: the function's name
 * (or `fiber`) and the fiber's id. A fiber forked with `Fiber.fork` runs at once, nested in its
 * parent; when it blocks or ends, the parent "continues".
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const trace = yield* Eio.Trace.record(function* () {
 *     yield* Eio.Switch.run((sw) => {
 *       Eio.Fiber.fork(sw, function* worker() { yield* Eio.Fiber.yield(); });
 *     }, { name: "jobs" });
 *   });
 *   console.log(Eio.Trace.toText(trace));
 * });
 * ```
 */
export function toText(trace: Trace): string {
  const { events } = checkTrace(trace, "Trace.toText");
  const domains = new Set(events.map((e) => e.domain));
  const names = new Map<string, string>();
  const nameOf = (domain: number, fiber: number): string => names.get(`${domain}/${fiber}`) ?? `fiber#${fiber}`;
  const stacks = new Map<number, number[]>();
  const lines: string[] = [];
  for (const e of events) {
    const prefix = domains.size > 1 ? `[domain ${e.domain}] ` : "";
    let stack = stacks.get(e.domain);
    if (stack === undefined) stacks.set(e.domain, (stack = []));
    const say = (text: string): number => lines.push(prefix + text);
    if (e.kind === "create") names.set(`${e.domain}/${e.fiber}`, `${e.name}#${e.fiber}`);
    const me = nameOf(e.domain, e.fiber);
    switch (e.kind) {
      case "create":
        if (e.parent !== null) say(`${nameOf(e.domain, e.parent)} forks ${me}${e.switch === null ? "" : ` in ${e.switch}`}`);
        break;
      case "resume":
        say(`${me} runs`);
        if (stack[stack.length - 1] !== e.fiber) stack.push(e.fiber);
        break;
      case "suspend":
      case "exit":
        say(e.kind === "suspend" ? `${me} waits on ${e.on}` : e.ok ? `${me} ends` : `${me} fails`);
        if (stack[stack.length - 1] === e.fiber) {
          stack.pop();
          const below = stack[stack.length - 1];
          if (below !== undefined) say(`${nameOf(e.domain, below)} continues`);
        }
        break;
      case "wake":
        if (e.by === null) say(`${me} is woken`);
        else say(`${nameOf(e.byDomain, e.by)}${e.byDomain === e.domain ? "" : ` (domain ${e.byDomain})`} wakes ${me}`);
        break;
      case "log":
        say(`${me}: ${e.line}`);
        break;
    }
  }
  if (trace.dropped > 0) lines.push(`(${trace.dropped} more events not kept: a trace keeps its first ${MAX_EVENTS})`);
  return lines.join("\n");
}
