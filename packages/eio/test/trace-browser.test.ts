// The trace page (Trace.toHtml) in a real browser: Debian's headless Chromium, driven by
// playwright-core. CI installs Chromium (.ci/run); without it this test fails, naming it.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { buildTimeline } from "../src/trace/timeline.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A producer and a consumer through a stream of capacity 1 (two rows under the recording fiber). */
function* pipeline(): Eio.Operation<void> {
  yield* Eio.Switch.run((sw) => {
    const s = Eio.Stream.create<number>(1);
    Eio.Fiber.fork(sw, function* producer() {
      for (let i = 0; i < 3; i++) yield* Eio.Stream.add(s, i);
    });
    Eio.Fiber.fork(sw, function* consumer() {
      for (let i = 0; i < 3; i++) Eio.traceln("took %d", yield* Eio.Stream.take(s));
    });
  });
}

describe("the trace page in a browser", () => {
  it("renders every row, bar and arrow of the trace, with the tooltips and the legend, and no page error", { timeout: 60_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`).toBe(true);
    const trace = await Eio.run<Eio.Trace.Trace>(() => Eio.Trace.record(pipeline), { traceln: () => {} });
    const file = join(mkdtempSync(join(tmpdir(), "eio-trace-page-")), "trace.html");
    writeFileSync(file, Eio.Trace.toHtml(trace, { title: "pipeline", clock: "steps" }));
    const { rows, wakes } = buildTimeline(trace.events, "steps");

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      await page.goto(pathToFileURL(file).href);
      expect(await page.title()).toBe("pipeline");
      // The browser parsed the SVG as SVG (not as unknown HTML) and laid it out.
      const box = await page.locator("svg").first().boundingBox();
      expect(box!.width).toBeGreaterThan(500);
      expect(box!.height).toBeGreaterThan(50);
      // A label's own text (its tooltip is a child element).
      const labels = await page.$$eval("svg text.label", (texts) => texts.map((t) => t.firstChild?.textContent));
      expect(labels).toEqual(rows.map((r) => r.label));
      const bars = rows.reduce((n, r) => n + r.spans.filter((s) => s.running).length, 0);
      expect(await page.locator("svg rect.run").count()).toBe(bars);
      expect(await page.locator("svg line.wake").count()).toBe(wakes.length);
      expect(await page.locator("svg circle.log title").allTextContents()).toEqual(["consumer#2: took 0", "consumer#2: took 1", "consumer#2: took 2"]);
      // Every bar is drawn inside the picture.
      for (const bar of await page.locator("svg rect.run").all()) {
        const b = await bar.boundingBox();
        expect(b!.x + b!.width).toBeLessThanOrEqual(box!.x + box!.width);
      }
      // The legend is drawn inside the picture, under the rows, each meaning on screen.
      const legend = page.locator("svg g.legend text");
      expect(await legend.allTextContents()).toEqual(["runs", "waits (on what is written over it)", "wakes: from the waker's row to the woken's", "a traceln line", "ends", "fails"]);
      const lastRow = await page.locator("svg text.label").last().boundingBox();
      for (const text of await legend.all()) {
        const b = await text.boundingBox();
        expect(b!.y).toBeGreaterThan(lastRow!.y + lastRow!.height);
        expect(b!.x + b!.width).toBeLessThanOrEqual(box!.x + box!.width);
        expect(b!.y + b!.height).toBeLessThanOrEqual(box!.y + box!.height);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
