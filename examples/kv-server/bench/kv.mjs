#!/usr/bin/env node
// Compares kv-server with redis-server using redis-benchmark, on this machine, now.
//
//   npm run build && node examples/kv-server/bench/kv.mjs [--requests 20000] [--clients 50]
//                                                          [--pipeline 1] [--tests set,get]
//
// Servers: kv-server in its two shapes (the store in a storage domain, connections in the main
// domain and `--domains` more; or everything in one domain), both fsyncing before every reply
// with group commit; redis-server with `--appendonly yes --appendfsync always` (the same
// promise); and redis-server with no persistence at all (the ceiling). Prints a table and writes bench/results/kv-server.json.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const requests = Number(option("requests", "20000"));
const clients = Number(option("clients", "50"));
const pipeline = Number(option("pipeline", "1"));
const tests = option("tests", "set,get");
const domains = option("domains", undefined);

for (const tool of ["redis-benchmark", "redis-server"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    console.error(`bench/kv.mjs needs ${tool} (apt-get install -y redis-tools redis-server)`);
    process.exit(2);
  }
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const attempt = () => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => {
        socket.end();
        resolve();
      });
      socket.on("error", () => (Date.now() > deadline ? reject(new Error(`nothing listens on ${port}`)) : setTimeout(attempt, 50)));
    };
    attempt();
  });
}

async function startRedis(dir, persistence) {
  const port = await freePort();
  const flags = persistence ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...flags], { stdio: "ignore" });
  await waitForPort(port);
  return { port, child };
}

async function startKv(dir, shapeArgs) {
  const port = await freePort();
  const extra = [...(domains === undefined ? [] : ["--domains", domains]), ...shapeArgs];
  const child = spawn(process.execPath, [path.join(here, "..", "dist", "main.js"), "--port", String(port), "--dir", dir, ...extra], { stdio: "ignore" });
  await waitForPort(port);
  return { port, child };
}

function benchmark(port) {
  const out = execFileSync("redis-benchmark", ["-p", String(port), "-t", tests, "-n", String(requests), "-c", String(clients), "-P", String(pipeline), "-q"], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const results = {};
  for (const line of out.split(/[\r\n]/)) {
    const match = /^\s*(\w+): ([\d.]+) requests per second, p50=([\d.]+) msec/.exec(line);
    if (match) results[match[1]] = { rps: Number(match[2]), p50: Number(match[3]) };
  }
  return results;
}

const servers = [
  ["kv-server, storage domain (fsync, group commit)", (dir) => startKv(dir, [])],
  ["kv-server, one domain (fsync, group commit)", (dir) => startKv(dir, ["--single-domain"])],
  ["redis-server appendfsync always", (dir) => startRedis(dir, true)],
  ["redis-server no persistence", (dir) => startRedis(dir, false)],
];
const rows = [];
for (const [name, start] of servers) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-bench-"));
  const server = await start(dir);
  try {
    rows.push({ name, results: benchmark(server.port) });
  } finally {
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server.child.once("exit", resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const names = tests.toUpperCase().split(",");
const baseline = rows.find((row) => row.name.includes("always")).results;
console.log(`redis-benchmark -n ${requests} -c ${clients} -P ${pipeline} -t ${tests}; Node ${process.version}, ${os.cpus().length} cores`);
console.log(["server".padEnd(50), ...names.map((t) => `${t} req/s   p50 ms   vs aof`.padEnd(30))].join(""));
for (const { name, results } of rows) {
  const cells = names.map((t) => {
    const r = results[t];
    if (r === undefined) return "(none)".padEnd(30);
    const ratio = baseline[t] ? (r.rps / baseline[t].rps).toFixed(2) : "-";
    return `${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${ratio.padStart(8)}x`.padEnd(30);
  });
  console.log([name.padEnd(50), ...cells].join(""));
}
fs.mkdirSync(path.join(here, "results"), { recursive: true });
const file = path.join(here, "results", "kv-server.json");
fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: os.cpus().length, loadavg: os.loadavg(), requests, clients, pipeline, tests, rows }, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
