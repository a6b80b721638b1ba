// The tables of `bench/kv.mjs`: each kv-server row divided by the redis-server row of the same
// fsync policy and pipeline depth, and issue 14's target checked on it. The Markdown table is the
// one examples/kv-server/README.md quotes.
import { SUITE_TESTS, TESTS } from "./kv-load.mjs";
import { FLOOR, FLOOR_THREAD, FLOORS, SERVERS } from "./kv-servers.mjs";

/** Issue 14's speed target, per kv-server row. */
export const TARGET = { factor: 0.8, text: "kv-server at least 0.8x Redis on every row" };
/**
 * What the floors support (the 0.8x of Redis is out of their reach on several rows): each
 * kv-server row at least 0.8x the floor of its shape, same policy and depth, SET and GET both.
 */
export const FLOOR_TARGET = { factor: 0.8, text: "kv-server at least 0.8x the floor of its shape (the storage domain's: node:net + storage thread; the single domain's: bare node:net)" };

/**
 * Adds `vsRedis` (requests/s over Redis's, per test) and `target` (`met`, `not met`, or `n/a`
 * with the reason) to every kv-server row, from the Redis row with the same policy and depth.
 * The floor's rows get their ratios too, and the status `floor`: no target, a reference.
 */
export function compare(rows) {
  for (const row of rows) {
    if (row.server === "redis-server") continue;
    const redis = rows.find((r) => r.server === "redis-server" && r.appendfsync === row.appendfsync && r.pipeline === row.pipeline);
    if (redis?.results === undefined || row.results === undefined) {
      const missing = row.results === undefined ? row : { server: "redis-server", failed: redis?.failed ?? "not run" };
      row.target = { status: "n/a", value: `${missing.server}: ${missing.failed}` };
      continue;
    }
    row.vsRedis = Object.fromEntries(TESTS.map((t) => [t, row.results[t].rps / redis.results[t].rps]));
    const worst = Math.min(...Object.values(row.vsRedis));
    const status = FLOORS.includes(row.server) ? "floor" : worst >= TARGET.factor ? "met" : "not met";
    row.target = { status, value: TESTS.map((t) => `${t} ${row.vsRedis[t].toFixed(2)}x`).join(", ") };
  }
  for (const row of rows) {
    const floorName = SERVERS.find((s) => s.name === row.server)?.floor;
    if (floorName === undefined || row.results === undefined) continue;
    const floor = rows.find((r) => r.server === floorName && r.appendfsync === row.appendfsync && r.pipeline === row.pipeline);
    if (floor?.results === undefined) {
      row.floorTarget = { status: "n/a", value: `${floorName}: ${floor?.failed ?? "not run"}` };
      continue;
    }
    row.vsFloor = Object.fromEntries(TESTS.map((t) => [t, row.results[t].rps / floor.results[t].rps]));
    const worst = Math.min(...Object.values(row.vsFloor));
    row.floorTarget = { status: worst >= FLOOR_TARGET.factor ? "met" : "not met", value: TESTS.map((t) => `${t} ${row.vsFloor[t].toFixed(2)}x`).join(", ") };
  }
  return rows;
}

const HEADER = ["appendfsync", "-P", "server", ...TESTS.flatMap((t) => [`${t} req/s`, `${t} vs Redis`]), `target (${TARGET.factor}x)`, `vs its floor (${FLOOR_TARGET.factor}x)`];

function cells(row) {
  const rates = TESTS.flatMap((t) => {
    if (row.results === undefined) return ["—", "—"];
    const ratio = row.server === "redis-server" ? "1.00x" : row.vsRedis === undefined ? "—" : `${row.vsRedis[t].toFixed(2)}x`;
    return [row.results[t].rps.toFixed(0), ratio];
  });
  const target = row.server === "redis-server" ? (row.failed ? `failed: ${row.failed}` : "baseline") : row.failed ? `n/a (failed: ${row.failed})` : row.target.status;
  const floor = row.floorTarget === undefined ? "—" : row.floorTarget.status === "n/a" ? "n/a" : `${row.floorTarget.status} (${row.floorTarget.value})`;
  return [row.appendfsync, String(row.pipeline), row.server, ...rates, target, floor];
}

/**
 * The depths and requests of a report's runs: `-n` at each `-P`, and the unmeasured pass before
 * it (reports written before the passes existed ran `-n requests` at every depth, with none).
 */
function loads(report) {
  const each = report.pipelines.map((p) => {
    const pass = report.passes?.[p];
    return pass === undefined ? `\`-P ${p} -n ${report.requests}\`` : `\`-P ${p} -n ${pass.measured}\` (after an unmeasured pass of ${pass.warmup})`;
  });
  return `at ${each.join(" and ")}`;
}

/** Plain-text table for the terminal. */
export function consoleTable(rows) {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, col) => Math.max(...table.map((r) => r[col].length)));
  const line = (r) => r.map((c, col) => c.padEnd(widths[col])).join("  ").trimEnd();
  return [line(HEADER), widths.map((w) => "-".repeat(w)).join("  "), ...table.slice(1).map(line)].join("\n");
}

/** The Markdown table, with the run's command and machine line above it. */
export function markdownTable(report) {
  const esc = (s) => String(s).replaceAll("|", "\\|");
  return [
    `SET and GET of \`redis-benchmark -c ${report.clients} -t ${SUITE_TESTS.join(",").toLowerCase()}\` ${loads(report)}; ${report.machineLine}; ${report.date}${report.quick ? " (--quick: a smoke test, not a measurement)" : ""}.`,
    "",
    `| ${HEADER.map(esc).join(" | ")} |`,
    `| --- | ---: | --- | ${TESTS.map(() => "---: | ---:").join(" | ")} | --- | --- |`,
    ...report.rows.map((row) => `| ${cells(row).map(esc).join(" | ")} |`),
  ].join("\n");
}

/**
 * The Markdown table of redis-benchmark's whole suite: one line per test, fsync policy and depth,
 * with each server's requests/s and each kv-server's ratio to redis-server.
 */
export function suiteTable(report) {
  const servers = [...new Set(report.rows.map((r) => r.server))];
  const kvServers = servers.filter((s) => s !== "redis-server");
  const header = ["test", "appendfsync", "-P", "redis-server req/s", ...kvServers.flatMap((s) => [`${s} req/s`, "vs Redis"])];
  const lines = [];
  for (const test of SUITE_TESTS) {
    for (const policy of [...new Set(report.rows.map((r) => r.appendfsync))]) {
      for (const pipeline of report.pipelines) {
        const find = (server) => report.rows.find((r) => r.server === server && r.appendfsync === policy && r.pipeline === pipeline)?.results?.[test]?.rps;
        const redis = find("redis-server");
        const rate = (rps) => (rps === undefined ? "—" : rps === Infinity ? "inf" : rps.toFixed(0));
        const ratio = (rps) => (rps === undefined || redis === undefined || !Number.isFinite(rps) || !Number.isFinite(redis) ? "—" : `${(rps / redis).toFixed(2)}x`);
        lines.push([test, policy, String(pipeline), rate(redis), ...kvServers.flatMap((s) => [rate(find(s)), ratio(find(s))])]);
      }
    }
  }
  return [
    `\`redis-benchmark -c ${report.clients} -t ${SUITE_TESTS.join(",").toLowerCase()}\` ${loads(report)}, the same runs as above.`,
    "",
    `| ${header.join(" | ")} |`,
    `| --- | --- | ---: | ---: | ${kvServers.map(() => "---: | ---:").join(" | ")} |`,
    ...lines.map((cells) => `| ${cells.join(" | ")} |`),
  ].join("\n");
}

/** The whole Markdown file: a title, the table, and what the target means. */
export function markdownReport(report) {
  return [
    "# kv-server against redis-server",
    "",
    "Generated by `npm run bench:kv` (also part of `npm run bench`). Each kv-server row is divided by the redis-server row with the same `appendfsync` policy and pipeline depth; both servers use `--appendonly yes` (kv-server's log) and no snapshots. The servers of a policy are up together and take turns, test by test (one `redis-benchmark -t TEST` run each, the order rotated from test to test), so that the servers compared in a row were measured within seconds of each other.",
    "",
    markdownTable(report),
    "",
    `Target (issue 14): ${TARGET.text}, SET and GET both. Where a floor row is itself below 0.8x, Node doing the least work in that shape does not reach the target on this machine; the last column holds each kv-server row to what its floor supports: ${FLOOR_TARGET.text}.`,
    "",
    `The \`${FLOOR}\` rows are no kv-server: bench/lib/kv-floor-server.mjs, a bare node:net server with no Eio (RESP arrays parsed, a Map for GET and SET, each SET appended to a log file; as Redis's beforeSleep, one write and, with \`always\`, one fdatasync per event-loop turn before that turn's replies; \`everysec\` fdatasyncs once a second). It runs SET and GET only, under the same load: what Node itself reaches on this machine with the least work, a reference rather than a bound (kv-server's single domain can pass it where its batching does better). The \`${FLOOR_THREAD}\` rows are the same server in kv-server's default shape: the main thread reads the sockets and posts each event-loop turn's commands in one message to a worker thread that owns the Map and the log, which runs every turn queued on its port, writes and fdatasyncs once, and posts each turn's replies back (raw worker messaging, no Eio): the reference of the storage-domain rows, which can pass it (their requests cross as one byte frame per turn, where the floor structured-clones arrays of strings and buffers).`,
    "",
    "## redis-benchmark's suite",
    "",
    suiteTable(report),
  ].join("\n");
}
