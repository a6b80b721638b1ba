// Turns scenario results into the console table, the Markdown table the docs quote, and the
// machine description that makes numbers from a 2-core box comparable to anyone else's.
import { execFileSync } from "node:child_process";
import { describeCpuSpeeds } from "./cpu-speeds.mjs";
import { readFileSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import { formatCount, formatRate, formatTime, ok } from "./harness.mjs";

const require = createRequire(import.meta.url);

const PEERS = ["effect", "effection", "piscina", "tinypool", "workerpool", "tinybench"];

export function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    eioCommit: gitCommit(),
    versions: packageVersions(),
  };
}

/**
 * The line each suite prints first: how many cores the numbers come from, how loaded they were
 * and who else ran on them (`sharedWith`, from the suite). Numbers from 2 shared cores read very
 * differently from an idle 16-core machine's, so no table goes out without it.
 */
export function machineLine(info, loadAverage, sharedWith) {
  return `numbers from a ${info.cores}-core machine (${info.cpuModel}), load average ${loadAverage.join(" ")} at the start of the suite; its cores are shared with ${sharedWith}`;
}

function gitCommit() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

function packageVersions() {
  const versions = {};
  for (const name of ["eio-ts", ...PEERS]) {
    try {
      // Some peers (effection) do not export package.json, so read it from disk.
      const entry = require.resolve(name === "eio-ts" ? "eio-ts/package.json" : name);
      versions[name] = findVersion(entry, name);
    } catch {
      versions[name] = "missing";
    }
  }
  return versions;
}

function findVersion(entry, name) {
  const marker = `node_modules/${name}/`;
  const at = entry.lastIndexOf(marker);
  const root = at >= 0 ? entry.slice(0, at + marker.length) : entry.replace(/package\.json$/, "");
  return JSON.parse(readFileSync(`${root}package.json`, "utf8")).version;
}

function cells(result, row) {
  if (row.skipped) return [row.name, formatCount(row.n), "—", "—", "—", row.skipped];
  if (row.failed) return [row.name, formatCount(row.n), "—", "—", "—", `failed: ${row.failed}`];
  const ratio = row.name === "eio-ts" ? "1.00x" : row.eioSpeedup === undefined ? "—" : `${row.eioSpeedup.toFixed(2)}x`;
  let extra = result.baseline && row.vsBaseline !== undefined ? `${row.vsBaseline.toFixed(2)}x vs ${result.baseline}` : `±${row.rme.toFixed(1)}%`;
  if (row.reducedFrom !== undefined) extra += `, n cut from ${formatCount(row.reducedFrom)} to fit a sample in time`;
  return [row.name, formatCount(row.n), formatTime(row.nsPerUnit), formatRate(row.perSecond), ratio, extra];
}

/** One line per row whose single units were timed alone (see latencyStats in harness.mjs). */
function latencyLines(result) {
  return result.rows
    .filter((row) => row.latency !== undefined)
    .map(({ name, latency: l }) => `${name}: ${l.count} ${result.unit}s timed alone: median ${formatTime(l.medianNs)}, mean ${formatTime(l.meanNs)}, p90 ${formatTime(l.p90Ns)}, p99 ${formatTime(l.p99Ns)}`);
}

const HEADER = (unit) => ["implementation", "n", `time/${unit}`, `${unit === "switch" ? "switches" : `${unit}s`}/s`, "eio-ts speedup", "notes"];

/** Plain-text table for the terminal. */
export function consoleTable(result) {
  const rows = [HEADER(result.unit), ...result.rows.map((row) => cells(result, row))];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => String(r[col]).length)));
  const line = (r) => r.map((c, col) => String(c).padEnd(widths[col])).join("  ").trimEnd();
  const out = [`${result.title}`, line(rows[0]), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of rows.slice(1)) out.push(line(r));
  for (const note of result.notes) out.push(`  note: ${note}`);
  for (const line of latencyLines(result)) out.push(`  latency: ${line}`);
  for (const t of result.targets) out.push(`  target: ${t.text} -> ${t.status.toUpperCase()} (${t.value})`);
  return out.join("\n");
}

/** Markdown table for docs. */
export function markdownTable(result) {
  const esc = (s) => String(s).replaceAll("|", "\\|");
  const out = [`### ${result.title}`, "", `| ${HEADER(result.unit).join(" | ")} |`, `|${" --- |".repeat(6)}`];
  for (const row of result.rows) out.push(`| ${cells(result, row).map(esc).join(" | ")} |`);
  out.push("");
  for (const note of result.notes) out.push(`- note: ${esc(note)}`);
  for (const line of latencyLines(result)) out.push(`- latency: ${esc(line)}`);
  for (const t of result.targets) out.push(`- target: ${esc(t.text)} — **${t.status}** (${esc(t.value)})`);
  return out.join("\n");
}

/** Every target of every suite, one line each: the summary printed last and put first in the Markdown. */
export function targetSummary(report) {
  const lines = [];
  for (const suite of Object.values(report.suites)) {
    for (const result of suite.results) {
      for (const t of result.targets) lines.push({ suite: suite.name, scenario: result.id, ...t });
    }
  }
  return lines;
}

export function markdownReport(report) {
  const m = report.machine;
  const out = [
    "# eio-ts benchmarks",
    "",
    `Generated by \`npm run bench\`. "eio-ts speedup" is the peer's time per unit divided by eio-ts's: above 1.00x eio-ts is faster.`,
    "",
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}; load average at start ${m.loadAverage.join(" ")}.`,
    `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(", ")}. eio-ts commit ${m.eioCommit}.`,
    "",
    "## Targets",
    "",
    "| suite | scenario | target | status | measured |",
    "| --- | --- | --- | --- | --- |",
    ...targetSummary(report).map((t) => `| ${t.suite} | ${t.scenario} | ${t.text} | **${t.status}** | ${String(t.value).replaceAll("|", "\\|")} |`),
    "",
  ];
  for (const suite of Object.values(report.suites)) {
    const speeds = suite.cpuMs === undefined ? "" : ` At its start, ${describeCpuSpeeds(suite.cpuMs)}.`;
    out.push(`## ${suite.name}`, "");
    if (suite.machineLine) out.push(`${suite.machineLine}.`, "");
    out.push(`Run ${suite.date} in ${suite.seconds.toFixed(0)} s, load average ${suite.loadAverage?.join(" ") ?? "?"} at its start.${speeds}${suite.quick ? " Quick run (--quick): two samples of small workloads, a smoke test, not a measurement." : ""}`, "");
    for (const message of suite.messages ?? []) out.push(`- ${message}`);
    if (suite.messages?.length) out.push("");
    for (const result of suite.results) out.push(markdownTable(result), "");
  }
  return out.join("\n");
}

export { ok };
