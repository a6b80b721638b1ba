import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// These run bench/run.mjs as `npm run bench` does, against the built eio-ts (npm test builds it).
const run = promisify(execFile);
const script = new URL("../run.mjs", import.meta.url).pathname;
const results = mkdtempSync(path.join(os.tmpdir(), "eio-bench-"));
afterAll(() => rmSync(results, { recursive: true, force: true }));

describe("npm run bench", () => {
  it("runs one suite and writes the results with the machine they came from", async () => {
    const { stdout } = await run(process.execPath, [script, "core", "--quick", "--results", results], { timeout: 170_000 });
    expect(stdout).toContain("core: spawn and join");
    expect(stdout).toMatch(/== suite core: numbers from a \d+-core machine .*, load average /);
    expect(stdout).toMatch(/target: .* -> (MET|NOT MET|N\/A)/);
    const report = JSON.parse(readFileSync(path.join(results, "latest.json"), "utf8"));
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.cores).toBe(os.cpus().length);
    expect(typeof report.machine.cpuModel).toBe("string");
    expect(Number.isNaN(Date.parse(report.machine.date))).toBe(false);
    expect(Object.keys(report.suites)).toEqual(["core"]);
    const ids = report.suites.core.results.map((r) => r.id);
    expect(ids).toEqual(["spawn-join", "switch-promise", "switch-yield", "mutex"]);
    for (const result of report.suites.core.results) {
      const eio = result.rows.find((row) => row.name === "eio-ts");
      expect(eio.nsPerUnit).toBeGreaterThan(0);
      // The mutex scenario measures eio-ts alone (issue 18's figures), with no target to check.
      if (result.id !== "mutex") expect(result.targets.length).toBeGreaterThan(0);
    }
    const markdown = readFileSync(path.join(results, "latest.md"), "utf8");
    expect(markdown).toContain(`Node ${process.version}`);
    expect(markdown).toContain("| eio-ts |");
  }, 180_000);

  it("keeps the suites it did not run when it runs others; every row is measured or says why it was skipped", async () => {
    await run(process.execPath, [script, "domains", "net", "--quick", "--results", results], { timeout: 170_000 });
    const report = JSON.parse(readFileSync(path.join(results, "latest.json"), "utf8"));
    expect(Object.keys(report.suites)).toEqual(["core", "domains", "net"]);
    const echo = report.suites.net.results[0];
    expect(echo.rows.find((row) => row.name === "node:net").nsPerUnit).toBeGreaterThan(0);
    expect(echo.rows.find((row) => row.name === "node:cluster (3 workers)").nsPerUnit).toBeGreaterThan(0);
    expect(echo.rows.find((row) => row.name === "node:net 3 threads (one socket)").nsPerUnit).toBeGreaterThan(0);
    for (const suite of ["domains", "net"]) {
      expect(report.suites[suite].machineLine).toMatch(new RegExp(`^numbers from a ${os.cpus().length}-core machine .*load average [\\d. ]+ at the start of the suite; its cores are shared with `));
    }
    expect(report.suites.net.machineLine).toContain("shared with the load generator");
    const ids = report.suites.domains.results.map((r) => r.id);
    expect(ids.slice(0, 3)).toEqual(["promise-round-trip", "stream-ping-pong", "shared-stream"]);
    // The rows the median targets compare carry their medians (the Atomics and floor rows always run).
    const rowOf = (id, name) => report.suites.domains.results.find((r) => r.id === id).rows.find((row) => row.name === name);
    expect(rowOf("promise-round-trip", "floor: a minimal shared promise").latency.medianNs).toBeGreaterThan(0);
    expect(rowOf("stream-ping-pong", "raw Atomics (spin, then wait)").latency.medianNs).toBeGreaterThan(0);
    for (const suite of ["domains", "net"]) {
      for (const result of report.suites[suite].results) {
        for (const row of result.rows) {
          expect({ scenario: result.id, name: row.name, failed: row.failed }).toEqual({ scenario: result.id, name: row.name, failed: undefined });
          if (row.skipped) expect(row.skipped).toMatch(/^skipped: .* not available/);
          else expect(row.nsPerUnit).toBeGreaterThan(0);
        }
      }
    }
  }, 180_000);

  it("rejects an unknown suite name", async () => {
    await expect(run(process.execPath, [script, "nope"])).rejects.toMatchObject({ code: 2 });
  });
});
