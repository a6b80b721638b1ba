/**
 * A trace's events as rows: per fiber, when it lived, ran and waited. The renderers draw this.
 * @internal
 * @module
 */
import type { TraceEvent } from "./events.js";

/** A stretch of one fiber's life: running, or waiting on something. */
export interface Span {
  start: number;
  end: number;
  running: boolean;
  /** What it waited on (for waiting spans; "" for a fiber paused while a fiber it forked ran). */
  on: string;
}

/** One fiber's row. */
export interface Row {
  domain: number;
  fiber: number;
  name: string;
  /** `name#id`: how traces name a fiber. */
  label: string;
  switch: string | null;
  parent: number | null;
  start: number;
  end: number;
  /** "ok", "error", or null while it still lived when the recording ended. */
  outcome: "ok" | "error" | null;
  spans: Span[];
  logs: { at: number; line: string }[];
}

/** A wake-up: `from` (a row's index) made `to` runnable at `at`. */
export interface Wake {
  from: number;
  to: number;
  at: number;
}

export interface Timeline {
  rows: Row[];
  wakes: Wake[];
  /** The clock's end: the last event's time or step. */
  end: number;
  domains: number[];
}

/**
 * Builds the rows. With `clock` "steps", an event's position is its index in the trace instead of
 * its time: the same program then draws the same picture on every run.
 *
 * A fiber forked with `Fiber.fork` runs at once, nested in its parent, until it first blocks; the
 * parent's running span pauses meanwhile (a stack per domain), as the scheduler runs one fiber at
 * a time.
 */
export function buildTimeline(events: readonly TraceEvent[], clock: "time" | "steps"): Timeline {
  const rows: Row[] = [];
  const index = new Map<string, number>();
  const wakes: Wake[] = [];
  const running = new Map<number, number[]>(); // per domain: the stack of running rows
  const at = (e: TraceEvent, i: number): number => (clock === "steps" ? i : e.t);
  const key = (domain: number, fiber: number): string => `${domain}/${fiber}`;
  const rowOf = (e: TraceEvent, i: number): Row => {
    let r = index.get(key(e.domain, e.fiber));
    if (r === undefined) {
      r = rows.length;
      index.set(key(e.domain, e.fiber), r);
      const name = e.kind === "create" ? e.name : "fiber";
      rows.push({
        domain: e.domain,
        fiber: e.fiber,
        name,
        label: `${name}#${e.fiber}`,
        switch: e.kind === "create" ? e.switch : null,
        parent: e.kind === "create" ? e.parent : null,
        start: at(e, i),
        end: Number.NaN,
        outcome: null,
        spans: [],
        logs: [],
      });
    }
    return rows[r]!;
  };
  const open = (row: Row, start: number, runningSpan: boolean, on: string): void => {
    row.spans.push({ start, end: Number.NaN, running: runningSpan, on });
  };
  const close = (row: Row, end: number): void => {
    const last = row.spans[row.spans.length - 1];
    if (last !== undefined && Number.isNaN(last.end)) last.end = end;
  };
  events.forEach((e, i) => {
    const t = at(e, i);
    const row = rowOf(e, i);
    const r = index.get(key(e.domain, e.fiber))!;
    let stack = running.get(e.domain);
    if (stack === undefined) running.set(e.domain, (stack = []));
    switch (e.kind) {
      case "create":
        break;
      case "resume": {
        const below = stack[stack.length - 1];
        if (below !== undefined && below !== r) {
          // Nested start (a fork): the running fiber pauses until this one blocks or ends.
          close(rows[below]!, t);
          open(rows[below]!, t, false, "");
        }
        close(row, t);
        open(row, t, true, "");
        if (below !== r) stack.push(r);
        break;
      }
      case "suspend":
      case "exit": {
        close(row, t);
        if (e.kind === "suspend") open(row, t, false, e.on);
        else {
          row.end = t;
          row.outcome = e.ok ? "ok" : "error";
        }
        if (stack[stack.length - 1] === r) {
          stack.pop();
          const below = stack[stack.length - 1];
          if (below !== undefined) {
            close(rows[below]!, t);
            open(rows[below]!, t, true, "");
          }
        }
        break;
      }
      case "wake":
        if (e.by !== null) {
          const from = index.get(key(e.byDomain, e.by));
          // A fiber that wakes itself (`Fiber.yield`) gets no arrow.
          if (from !== undefined && from !== r) wakes.push({ from, to: r, at: t });
        }
        break;
      case "log":
        row.logs.push({ at: t, line: e.line });
        break;
    }
  });
  const end = events.length === 0 ? 0 : at(events[events.length - 1]!, events.length - 1);
  for (const row of rows) {
    for (const span of row.spans) if (Number.isNaN(span.end)) span.end = end;
    if (Number.isNaN(row.end)) row.end = end;
  }
  const domains = [...new Set(rows.map((row) => row.domain))].sort((a, b) => a - b);
  const unsorted = [...rows];
  rows.sort((a, b) => a.domain - b.domain || a.start - b.start || a.fiber - b.fiber);
  // Sorting moved the rows: the wakes name them by their new places.
  const place = new Map(rows.map((row, i) => [row, i]));
  for (const wake of wakes) {
    wake.from = place.get(unsorted[wake.from]!)!;
    wake.to = place.get(unsorted[wake.to]!)!;
  }
  return { rows, wakes, end, domains };
}
