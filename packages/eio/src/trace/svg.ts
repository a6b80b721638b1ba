/**
 * Drawing a trace: a timeline with one row per fiber, grouped by domain. A thick bar is a fiber
 * running, a thin line a fiber waiting (labelled with what it waits on), an arrow a wake-up from
 * one fiber to another, a dot a `traceln` line; hover over anything for details.
 * @module
 */
import { checkTrace, type Trace } from "./events.js";
import { buildTimeline, type Row } from "./timeline.js";

/**
 * How to draw a trace.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Trace.DrawOptions = { clock: "steps", width: 600 };
 * console.log(options.clock);
 * ```
 */
export interface DrawOptions {
  /**
   * What the horizontal axis measures: "time" (microseconds, the default) or "steps" (one step
   * per event: the same program then draws the same picture on every run, which docs and tests
   * want).
   */
  clock?: "time" | "steps";
  /** Width of the plot in pixels, labels excluded (default 720). */
  width?: number;
  /** A title above the picture. */
  title?: string;
}

const ROW = 26;
const LABEL = 190;
const TOP = 34;
const DOMAIN_GAP = 22;

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function checkOptions(options: DrawOptions, what: string): Required<Omit<DrawOptions, "title">> & { title: string | undefined } {
  if (typeof options !== "object" || options === null) throw new TypeError(`${what}: options must be an object, got ${String(options)}`);
  const { clock = "time", width = 720, title } = options;
  if (clock !== "time" && clock !== "steps") throw new RangeError(`${what}: options.clock must be "time" or "steps", got ${String(clock)}`);
  if (typeof width !== "number" || !Number.isFinite(width) || width < 100) {
    throw new RangeError(`${what}: options.width must be a number of pixels >= 100, got ${String(width)}`);
  }
  if (title !== undefined && typeof title !== "string") throw new TypeError(`${what}: options.title must be a string, got ${typeof title}`);
  return { clock, width, title };
}

/**
 * The trace as an SVG picture (a string: write it to a `.svg` file or put it in a page).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * import { writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * await Eio.run(function* () {
 *   const trace = yield* Eio.Trace.record(function* () {
 *     yield* Eio.Fiber.both(function* a() { yield* Eio.Fiber.yield(); }, function* b() {});
 *   });
 *   writeFileSync(join(tmpdir(), "both.svg"), Eio.Trace.toSvg(trace, { clock: "steps" }));
 * });
 * ```
 */
export function toSvg(trace: Trace, options: DrawOptions = {}): string {
  const { events } = checkTrace(trace, "Trace.toSvg");
  const { clock, width, title } = checkOptions(options, "Trace.toSvg");
  const { rows, wakes, end, domains } = buildTimeline(events, clock);
  const span = Math.max(end, 1);
  const x = (at: number): number => LABEL + (at / span) * width;
  const top = title === undefined ? 10 : TOP;
  const ys: number[] = [];
  let y = top;
  let previousDomain = -1;
  const out: string[] = [];
  for (const row of rows) {
    if (row.domain !== previousDomain && domains.length > 1) {
      y += previousDomain === -1 ? 0 : 8;
      out.push(`<text class="domain" x="4" y="${y + 14}">domain ${row.domain}${row.domain === 0 ? " (main thread)" : ""}</text>`);
      y += DOMAIN_GAP;
    }
    previousDomain = row.domain;
    ys.push(y + ROW / 2);
    out.push(drawRow(row, y + ROW / 2, x));
    y += ROW;
  }
  for (const wake of wakes) {
    const x1 = x(wake.at).toFixed(1);
    const y1 = ys[wake.from]!;
    const y2 = ys[wake.to]!;
    const tip = y2 > y1 ? y2 - 6 : y2 + 6;
    out.push(
      `<line class="wake" x1="${x1}" y1="${y1}" x2="${x1}" y2="${tip}" marker-end="url(#arrow)"><title>${escape(`${rows[wake.from]!.label} wakes ${rows[wake.to]!.label}`)}</title></line>`,
    );
  }
  const total = LABEL + width + 20;
  const dropped = trace.dropped === 0 ? "" : ` (${trace.dropped} more events not kept)`;
  const axis = `<text class="axis" x="${LABEL}" y="${y + 18}">0</text><text class="axis" x="${LABEL + width}" y="${y + 18}" text-anchor="end">${clock === "steps" ? `${end} steps` : `${end} µs`}${dropped}</text>`;
  const legend = drawLegend(y + 30, total);
  const height = legend.bottom + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${height}" viewBox="0 0 ${total} ${height}" font-family="sans-serif" font-size="12">`,
    "<style>.label{fill:#222}.switch{fill:#888;font-size:10px}.life{stroke:#bbb;stroke-width:2}.run{fill:#3b82f6}.wait{fill:#666;font-size:10px}.wake{stroke:#e11d48;stroke-width:1.2}.log{fill:#f59e0b}.ok{stroke:#16a34a;stroke-width:2}.error{stroke:#dc2626;stroke-width:2}.domain{font-weight:bold;fill:#444}.axis{fill:#888;font-size:10px}.title{font-weight:bold;font-size:14px}.legend text{fill:#444;font-size:11px}.legend .bar{fill:#3b82f6}.legend .line{stroke:#bbb;stroke-width:2}.legend .arrow{stroke:#e11d48;stroke-width:1.2}.legend .dot{fill:#f59e0b}.legend .end{stroke:#16a34a;stroke-width:2}.legend .fail{stroke:#dc2626;stroke-width:2}</style>",
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#e11d48"/></marker></defs>`,
    `<rect width="${total}" height="${height}" fill="white"/>`,
    title === undefined ? "" : `<text class="title" x="4" y="20">${escape(title)}</text>`,
    ...out,
    axis,
    legend.svg,
    "</svg>",
  ]
    .filter((line) => line !== "")
    .join("\n");
}

/**
 * What each mark means, drawn into the picture itself (a picture in a page or a guide travels
 * without the page's text): a sample of each mark and its meaning, wrapped to `total` pixels.
 * Its marks have classes of their own, so they are not counted as the trace's.
 */
function drawLegend(top: number, total: number): { svg: string; bottom: number } {
  const LINE = 18;
  const marks: [sample: (x: number, y: number) => string, width: number, text: string][] = [
    [(x, y) => `<rect class="bar" x="${x}" y="${y - 6}" width="18" height="12" rx="2"/>`, 18, "runs"],
    [(x, y) => `<line class="line" x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}"/>`, 18, "waits (on what is written over it)"],
    [(x, y) => `<line class="arrow" x1="${x + 5}" y1="${y - 7}" x2="${x + 5}" y2="${y + 3}" marker-end="url(#arrow)"/>`, 10, "wakes: from the waker's row to the woken's"],
    [(x, y) => `<circle class="dot" cx="${x + 4}" cy="${y}" r="3.5"/>`, 8, "a traceln line"],
    [(x, y) => `<line class="end" x1="${x + 1}" y1="${y - 7}" x2="${x + 1}" y2="${y + 7}"/>`, 2, "ends"],
    [(x, y) => `<line class="fail" x1="${x + 1}" y1="${y - 7}" x2="${x + 1}" y2="${y + 7}"/>`, 2, "fails"],
  ];
  const parts: string[] = [];
  let x = 4;
  let y = top + LINE / 2;
  for (const [sample, width, text] of marks) {
    // About 6 pixels a character at 11 pixels: wrap before a mark that would not fit.
    const needs = width + 6 + text.length * 6 + 18;
    if (x > 4 && x + needs > total) {
      x = 4;
      y += LINE;
    }
    parts.push(sample(x, y), `<text x="${x + width + 6}" y="${y + 4}">${escape(text)}</text>`);
    x += needs;
  }
  return { svg: `<g class="legend">${parts.join("")}</g>`, bottom: y + LINE / 2 };
}

function drawRow(row: Row, y: number, x: (at: number) => number): string {
  const parts: string[] = [];
  parts.push(`<text class="label" x="4" y="${y + 4}">${escape(row.label)}<title>${escape(describe(row))}</title></text>`);
  if (row.switch !== null) parts.push(`<text class="switch" x="${LABEL - 6}" y="${y + 4}" text-anchor="end">${escape(row.switch)}</text>`);
  parts.push(`<line class="life" x1="${x(row.start).toFixed(1)}" y1="${y}" x2="${x(row.end).toFixed(1)}" y2="${y}"/>`);
  for (const s of row.spans) {
    const x1 = x(s.start);
    const w = Math.max(x(s.end) - x1, 1.5);
    if (s.running) {
      parts.push(`<rect class="run" x="${x1.toFixed(1)}" y="${y - 6}" width="${w.toFixed(1)}" height="12" rx="2"><title>${escape(`${row.label} runs`)}</title></rect>`);
    } else if (s.on !== "") {
      // Label a wait only where it fits; the tooltip always has it.
      const text = w > s.on.length * 6 ? `<text class="wait" x="${(x1 + 3).toFixed(1)}" y="${y - 4}">${escape(s.on)}</text>` : "";
      parts.push(`<rect x="${x1.toFixed(1)}" y="${y - 6}" width="${w.toFixed(1)}" height="12" fill="transparent"><title>${escape(`${row.label} waits on ${s.on}`)}</title></rect>${text}`);
    }
  }
  for (const log of row.logs) {
    parts.push(`<circle class="log" cx="${x(log.at).toFixed(1)}" cy="${y}" r="3.5"><title>${escape(`${row.label}: ${log.line}`)}</title></circle>`);
  }
  if (row.outcome !== null) {
    const xe = x(row.end).toFixed(1);
    parts.push(`<line class="${row.outcome}" x1="${xe}" y1="${y - 8}" x2="${xe}" y2="${y + 8}"><title>${escape(`${row.label} ${row.outcome === "ok" ? "ends" : "fails"}`)}</title></line>`);
  }
  return parts.join("");
}

function describe(row: Row): string {
  const made = row.parent === null ? "made before the recording" : `forked by fiber #${row.parent}`;
  return `${row.label} in domain ${row.domain}, ${made}${row.switch === null ? "" : `, in ${row.switch}`}`;
}

/**
 * The trace as a self-contained HTML page: the picture of {@link toSvg} (with its legend), and
 * how to read it.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const trace = yield* Eio.Trace.record(() => Eio.traceln("one line"));
 *   const page = Eio.Trace.toHtml(trace, { title: "A trace" });
 *   console.log(page.startsWith("<!DOCTYPE html>"));
 * });
 * ```
 */
export function toHtml(trace: Trace, options: DrawOptions = {}): string {
  checkTrace(trace, "Trace.toHtml");
  const { title = "eio-ts trace" } = checkOptions(options, "Trace.toHtml");
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escape(title)}</title>`,
    "<style>body{font-family:sans-serif;margin:16px}ul{color:#444;font-size:13px}</style>",
    "</head><body>",
    toSvg(trace, { ...options, title }),
    "<ul>",
    "<li>A row is a fiber (<code>name#id</code>), grouped by domain; the grey text after its name is its switch.</li>",
    "<li>The legend under the picture says what its marks mean; a wait's tooltip says what it waits on when the line is too short to write it.</li>",
    "<li>Hover over anything for details.</li>",
    "</ul>",
    "</body></html>",
  ].join("\n");
}
