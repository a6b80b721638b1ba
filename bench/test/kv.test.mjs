import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseCsv, TooFast } from "../lib/kv-load.mjs";
import { compare } from "../lib/kv-report.mjs";
import net from "node:net";
import { FLOOR, FLOOR_THREAD, ping, startFloor, startKv, startRedis } from "../lib/kv-servers.mjs";

// The kv suite as `npm run bench` runs it (bench/run.mjs starts bench/kv.mjs, the code of
// `npm run bench:kv`), against the built kv-server (npm test builds it). No timing is checked.
const run = promisify(execFile);
const script = new URL("../run.mjs", import.meta.url).pathname;
const results = mkdtempSync(path.join(os.tmpdir(), "eio-bench-kv-"));
afterAll(() => rmSync(results, { recursive: true, force: true }));

const SERVERS = ["redis-server", "kv-server (storage domain)", "kv-server (single domain)", "floor (bare node:net)", "floor (node:net + storage thread)"];

/** True while `pid` is a live process (a reused pid of another program does not count). */
function serverAlive(pid) {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    return /redis-server|kv-server|kv-floor-server/.test(cmdline);
  } catch {
    return false;
  }
}

describe("npm run bench:kv", () => {
  it("runs every server on both fsync policies and both depths, prints every row with its ratio, and leaves no server or data dir behind", async () => {
    const { stdout } = await run(process.execPath, [script, "kv", "--quick", "--results", results], { timeout: 170_000, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toMatch(/== suite kv: numbers from a \d+-core machine .*, load average [\d. ]+ at the start of the suite; its cores are shared with the load generator/);
    for (const policy of ["always", "everysec"]) {
      for (const server of SERVERS) {
        for (const depth of [1, 16]) {
          expect(stdout).toMatch(new RegExp(`\\] ${server.replace(/[()+]/g, "\\$&")}, appendfsync ${policy}, -P ${depth}: SET \\d+ req/s, GET \\d+ req/s`));
        }
      }
    }

    // Every server that started was stopped and its data dir removed.
    const started = [...stdout.matchAll(/: pid (\d+) on 127\.0\.0\.1:\d+, data in (\S+)/g)].map((m) => ({ pid: Number(m[1]), dir: m[2] }));
    expect(started).toHaveLength(10);
    for (const { pid, dir } of started) {
      expect(stdout).toContain(`stopped pid ${pid}, removed ${dir}`);
      expect({ pid, alive: serverAlive(pid), dirLeft: existsSync(dir) }).toEqual({ pid, alive: false, dirLeft: false });
    }

    // The printed Markdown table: 20 rows, each kv-server row with both ratios and the target, the floor's with its ratios.
    const table = stdout.split("\n").filter((line) => /^\| (always|everysec) \| (1|16) \| /.test(line));
    expect(table).toHaveLength(20);
    for (const line of table) {
      const [, policy, depth, server, setRps, setRatio, getRps, getRatio, target, vsFloor] = line.split("|").map((c) => c.trim());
      expect(vsFloor).toMatch(server.startsWith("kv-server") ? /^(met|not met) \(SET \d+\.\d\dx, GET \d+\.\d\dx\)$/ : /^—$/);
      expect(SERVERS).toContain(server);
      expect([policy, depth]).toEqual([expect.stringMatching(/^(always|everysec)$/), expect.stringMatching(/^(1|16)$/)]);
      expect(Number(setRps)).toBeGreaterThan(0);
      expect(Number(getRps)).toBeGreaterThan(0);
      if (server === "redis-server") {
        expect([setRatio, getRatio, target]).toEqual(["1.00x", "1.00x", "baseline"]);
      } else {
        expect(setRatio).toMatch(/^\d+\.\d\dx$/);
        expect(getRatio).toMatch(/^\d+\.\d\dx$/);
        expect(target).toMatch(server.startsWith("floor") ? /^floor$/ : /^(met|not met)$/);
      }
    }
    expect(stdout.match(/^ {2}(met|not met) {2,}appendfsync \w+, -P \d+, kv-server .*: kv-server at least 0\.8x Redis \(SET [\d.]+x, GET [\d.]+x\)$/gm)).toHaveLength(8);
    expect(stdout.match(/^ {2}(met|not met) {2,}appendfsync \w+, -P \d+, kv-server .*: at least 0\.8x the floor of its shape \(SET [\d.]+x, GET [\d.]+x\)$/gm)).toHaveLength(8);

    const report = JSON.parse(readFileSync(path.join(results, "kv.json"), "utf8"));
    expect(report.machine.cores).toBe(os.cpus().length);
    expect(report.rows).toHaveLength(20);
    for (const row of report.rows) {
      expect(row.failed).toBeUndefined();
      expect(row.results.SET.rps).toBeGreaterThan(0);
      if (row.server !== "redis-server") {
        const redis = report.rows.find((r) => r.server === "redis-server" && r.appendfsync === row.appendfsync && r.pipeline === row.pipeline);
        expect(row.vsRedis.GET).toBeCloseTo(row.results.GET.rps / redis.results.GET.rps, 10);
      }
    }
    // Each depth runs its measured requests after an unmeasured pass, both named in the report.
    expect(report.passes).toEqual({ 1: { warmup: 200, measured: 1000 }, 16: { warmup: 1000, measured: 5000 } });
    for (const row of report.rows) expect(row.requests).toBe(row.pipeline === 1 ? 1000 : 5000);
    expect(stdout).toMatch(/-P 16: SET \d+ req\/s, GET \d+ req\/s \([\d.]+ s, after 1000 unmeasured\)/);
    const markdown = readFileSync(path.join(results, "kv.md"), "utf8");
    expect(markdown).toContain("at `-P 1 -n 1000` (after an unmeasured pass of 200) and `-P 16 -n 5000` (after an unmeasured pass of 1000)");
    for (const line of table) expect(markdown).toContain(line);
  }, 180_000);
});

describe("bench/kv.mjs when the load fails", () => {
  it("fails every row, says why, still stops every server and removes its data dir, and exits 1", async () => {
    // A redis-benchmark that cannot connect, first on the PATH: the servers are the real ones.
    const bin = mkdtempSync(path.join(os.tmpdir(), "eio-bench-kv-bin-"));
    const out = mkdtempSync(path.join(os.tmpdir(), "eio-bench-kv-out-"));
    try {
      writeFileSync(path.join(bin, "redis-benchmark"), "#!/bin/sh\necho 'Could not connect to Redis' >&2\nexit 1\n");
      chmodSync(path.join(bin, "redis-benchmark"), 0o755);
      const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
      const kv = new URL("../kv.mjs", import.meta.url).pathname;
      const error = await run(process.execPath, [kv, "--quick", "--results", out], { env, timeout: 170_000 }).catch((e) => e);
      expect(error.code).toBe(1);
      expect(error.stdout.match(/-P (1|16): failed: redis-benchmark exited with 1: Could not connect to Redis$/gm)).toHaveLength(20);
      const started = [...error.stdout.matchAll(/: pid (\d+) on 127\.0\.0\.1:\d+, data in (\S+)/g)].map((m) => ({ pid: Number(m[1]), dir: m[2] }));
      expect(started).toHaveLength(10);
      for (const { pid, dir } of started) {
        expect(error.stdout).toContain(`stopped pid ${pid}, removed ${dir}`);
        expect({ pid, alive: serverAlive(pid), dirLeft: existsSync(dir) }).toEqual({ pid, alive: false, dirLeft: false });
      }
      const report = JSON.parse(readFileSync(path.join(out, "kv.json"), "utf8"));
      for (const row of report.rows.filter((r) => r.server !== "redis-server")) expect(row.target.status).toBe("n/a");
    } finally {
      rmSync(bin, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);

  it("rejects a bad --requests with its value", async () => {
    const kv = new URL("../kv.mjs", import.meta.url).pathname;
    const error = await run(process.execPath, [kv, "--requests", "ten"]).catch((e) => e);
    expect(error.code).toBe(2);
    expect(error.stderr).toContain('--requests needs a positive integer, got "ten"');
  });
});

describe("redis-benchmark's --csv output", () => {
  const header = '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"';
  it("gives requests/s and the median latency per test", () => {
    const out = `${header}\n"SET","3039.51","228.613","77.312","200.831","336.383","336.383","336.383"\n"GET","3937.01","126.679","15.016","185.343","258.687","283.647","283.903"\n`;
    expect(parseCsv(out)).toEqual({ SET: { rps: 3039.51, p50Ms: 200.831 }, GET: { rps: 3937.01, p50Ms: 185.343 } });
  });

  it("names a suite test by its label's first word, and leaves out the LPUSH that only fills LRANGE's list", () => {
    const line = (name, rps) => `"${name}","${rps}","1","1","2","1","1","1"`;
    const out = [header, line("SET", 1), line("GET", 2), line("LPUSH", 3), line("LPUSH (needed to benchmark LRANGE)", 4), line("LRANGE_100 (first 100 elements)", 5), line("MSET (10 keys)", 6)].join("\n");
    const rates = Object.fromEntries(Object.entries(parseCsv(out)).map(([test, r]) => [test, r.rps]));
    expect(rates).toEqual({ SET: 1, GET: 2, LPUSH: 3, LRANGE_100: 5, MSET: 6 });
  });

  it("throws, quoting the output, when a test is missing", () => {
    expect(() => parseCsv(`${header}\n"SET","3039.51","1","1","1","1","1","1"\n`)).toThrow(/no requests\/s for GET in ".*SET/);
    expect(() => parseCsv("Could not connect to Redis at 127.0.0.1:1: Connection refused\n")).toThrow(/no header with "rps" in "Could not connect/);
  });

  it("says when a run was too short to be timed (requests/s \"inf\"), so that it is run again longer", () => {
    const out = `${header}\n"SET","251999.98","1.8","0.4","2.1","2.3","2.3","2.3"\n"GET","inf","0.4","0.2","0.4","0.5","0.6","0.6"\n`;
    expect(() => parseCsv(out)).toThrow(TooFast);
  });
});

describe("the 0.8x target", () => {
  const rates = (set, get) => ({ SET: { rps: set, p50Ms: 1 }, GET: { rps: get, p50Ms: 1 } });
  const row = (server, results, failed) => ({ appendfsync: "always", pipeline: 1, server, results, failed });

  it("is met only when both SET and GET reach 0.8x the Redis row of the same policy and depth", () => {
    const rows = compare([
      row("redis-server", rates(1000, 2000)),
      row("kv-server (storage domain)", rates(800, 1600)),
      row("kv-server (single domain)", rates(900, 1599)),
      { ...row("kv-server (storage domain)", rates(1, 1)), appendfsync: "everysec" },
    ]);
    expect(rows[1].target).toEqual({ status: "met", value: "SET 0.80x, GET 0.80x" });
    expect(rows[2].target.status).toBe("not met");
    expect(rows[3].target).toEqual({ status: "n/a", value: "redis-server: not run" });
  });

  it("is n/a, with the reason, when a row failed", () => {
    const rows = compare([row("redis-server", undefined, "did not start: boom"), row("kv-server (single domain)", rates(1, 1))]);
    expect(rows[1].target).toEqual({ status: "n/a", value: "redis-server: did not start: boom" });
  });

  it("holds each kv-server row to 0.8x the floor of its own shape, of the same policy and depth", () => {
    const rows = compare([
      row("redis-server", rates(1000, 2000)),
      row("kv-server (storage domain)", rates(400, 800)),
      row("kv-server (single domain)", rates(480, 900)),
      row(FLOOR_THREAD, rates(500, 1000)),
      row(FLOOR, rates(600, 1000)),
      { ...row("kv-server (single domain)", rates(1, 1)), pipeline: 16 },
    ]);
    // The storage domain against the threaded floor: 0.80x both; the single domain against the bare one: GET 0.90x, SET 0.80x.
    expect(rows[1].floorTarget).toEqual({ status: "met", value: "SET 0.80x, GET 0.80x" });
    expect(rows[2].floorTarget).toEqual({ status: "met", value: "SET 0.80x, GET 0.90x" });
    expect(rows[1].target.status).toBe("not met");
    expect(rows[3].floorTarget).toBeUndefined();
    expect(rows[5].floorTarget).toEqual({ status: "n/a", value: `${FLOOR}: not run` });
    rows[2].results.SET.rps = 479;
    expect(compare(rows)[2].floorTarget.status).toBe("not met");
  });
});

describe("the servers of the kv suite", () => {
  it("start on a port that answers PING, and stop with their data dir removed", async () => {
    for (const server of [await startRedis("everysec"), await startKv("everysec", ["--single-domain"])]) {
      await ping(server.port);
      expect([serverAlive(server.pid), existsSync(server.dir)]).toEqual([true, true]);
      await server.stop();
      expect([serverAlive(server.pid), existsSync(server.dir)]).toEqual([false, false]);
    }
  });

  it("include floors, alone and with a storage thread, that answer a pipeline in order and log each SET before its reply", async () => {
    const commands = [["SET", "k1", "v1"], ["GET", "k1"], ["SET", "k2", "v22"], ["GET", "k2"], ["GET", "nope"], ["PING"]];
    const resp = (args) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
    const request = commands.map(resp).join("");
    const expected = "+OK\r\n$2\r\nv1\r\n+OK\r\n$3\r\nv22\r\n$-1\r\n+PONG\r\n";
    for (const threaded of [false, true]) {
      const server = await startFloor("always", threaded);
      try {
        const socket = net.connect(server.port, "127.0.0.1");
        // Byte by byte: the commands reach the server split across reads (and turns).
        socket.on("connect", () => {
          for (const byte of Buffer.from(request)) socket.write(Buffer.of(byte));
        });
        let got = "";
        await new Promise((resolve, reject) => {
          socket.on("data", (chunk) => {
            got += chunk.toString("latin1");
            if (got.length >= expected.length) resolve();
          });
          socket.on("error", reject);
        });
        socket.destroy();
        expect({ threaded, got }).toEqual({ threaded, got: expected });
        // `always`: both SETs were written (and synced) before their replies went out.
        expect(readFileSync(path.join(server.dir, "floor.log"), "latin1")).toBe(commands.filter((args) => args[0] === "SET").map(resp).join(""));
      } finally {
        await server.stop();
      }
    }
  });

  it("fail to start with the server's own words, stopped and its data dir removed", async () => {
    const error = await startKv("always", ["--no-such-flag"]).catch((e) => e);
    expect(error.message).toMatch(/kv-server exited \(\d+\) before it was ready: ".*no-such-flag.*" \(stopped it, removed (\S+)\)$/);
    expect(existsSync(/removed (\S+)\)$/.exec(error.message)[1])).toBe(false);
  });
});
