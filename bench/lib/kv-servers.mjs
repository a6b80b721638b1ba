// The servers `bench/kv.mjs` compares, each a child process in a temp data dir of its own on
// 127.0.0.1: Debian's redis-server, kv-server (its built dist/main.js) in its two shapes, and the
// floors: a bare node:net server (kv-floor-server.mjs), what Node itself reaches here, alone and with
// a storage thread as kv-server's default shape has (raw worker messaging). A server counts as
// started once it has printed its ready line and answered PING, never after a sleep; stopping
// one waits for its exit and removes its data dir, whatever happened before.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const KV_MAIN = fileURLToPath(new URL("../../examples/kv-server/dist/main.js", import.meta.url));
const FLOOR_MAIN = fileURLToPath(new URL("./kv-floor-server.mjs", import.meta.url));
/** How long a server may take to say it is ready, or to exit after SIGTERM, before it is killed. */
const READY_MS = 20_000;
const STOP_MS = 10_000;

/** The two fsync policies that make the same promise in both servers (as Redis names them). */
export const POLICIES = ["always", "everysec"];

/** The name of the floor's rows: one thread, as kv-server's `--single-domain`. */
export const FLOOR = "floor (bare node:net)";
/** The name of the threaded floor's rows: a storage thread, as kv-server's default shape. */
export const FLOOR_THREAD = "floor (node:net + storage thread)";
/** The rows that are no kv-server but a reference. */
export const FLOORS = [FLOOR, FLOOR_THREAD];

/**
 * The servers, in the order they run: Redis first, the baseline of the other rows. `tests` limits
 * the load to what a server speaks (the floor: SET and GET only); `floor` names the floor of a
 * kv-server's shape (the same shape without Eio).
 */
export const SERVERS = [
  { name: "redis-server", start: (policy) => startRedis(policy) },
  { name: "kv-server (storage domain)", start: (policy) => startKv(policy, []), floor: FLOOR_THREAD },
  { name: "kv-server (single domain)", start: (policy) => startKv(policy, ["--single-domain"]), floor: FLOOR },
  { name: FLOOR, start: (policy) => startFloor(policy, false), tests: ["set", "get"] },
  { name: FLOOR_THREAD, start: (policy) => startFloor(policy, true), tests: ["set", "get"] },
];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** redis-server on a free port; it cannot pick its own (`--port 0` turns TCP off). */
export async function startRedis(policy) {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", policy, "--save", ""];
  return launch("redis-server", "redis-server", (dir) => [...args, "--dir", dir], (output) => (/Ready to accept connections/.test(output) ? port : null));
}

/** kv-server with `--port 0`: it prints the port the kernel gave it. */
export function startKv(policy, shape) {
  const args = ["--port", "0", "--appendfsync", policy, ...shape];
  return launch("kv-server", process.execPath, (dir) => [KV_MAIN, ...args, "--dir", dir], (output) => {
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
    return match ? Number(match[1]) : null;
  });
}

/** The floor server, with `--port 0` and the same ready line as kv-server's; `threaded`: with its storage thread. */
export function startFloor(policy, threaded) {
  const args = ["--port", "0", "--appendfsync", policy, "--storage-thread", threaded ? "yes" : "no"];
  return launch("kv-floor-server", process.execPath, (dir) => [FLOOR_MAIN, ...args, "--dir", dir], (output) => {
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
    return match ? Number(match[1]) : null;
  });
}

/**
 * Spawns `command` in a new temp dir and resolves `{ pid, port, dir, stop }` once `readyPort`
 * finds the port in its output and the server answers PING there. On any failure the process is
 * stopped and the dir removed before the error is thrown.
 */
async function launch(name, command, argsFor, readyPort) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "eio-kv-bench-"));
  const child = spawn(command, argsFor(dir), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} printed no ready line within ${READY_MS / 1000} s: ${tail(output)}`)), READY_MS);
      const onData = (chunk) => {
        // Only the last few KB are kept: the ready line comes first, and error messages quote the tail.
        output = (output + chunk).slice(-8192);
        const port = readyPort(output);
        if (port === null) return;
        clearTimeout(timer);
        resolve(port);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("error", (error) => (clearTimeout(timer), reject(error)));
      exited.then(({ code, signal }) => (clearTimeout(timer), reject(new Error(`${name} exited (${signal ?? code}) before it was ready: ${tail(output)}`))));
    });
    await ping(port);
    return { pid: child.pid, port, dir, stop };
  } catch (error) {
    await stop();
    throw new Error(`${error.message} (stopped it, removed ${dir})`);
  }
}

function tail(output) {
  return JSON.stringify(output.trim().split("\n").slice(-3).join(" / "));
}

/** Sends PING on a new connection and resolves on `+PONG`. */
export function ping(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let reply = "";
    const timer = setTimeout(() => fail(new Error(`no reply to PING on port ${port} within 5 s (got ${JSON.stringify(reply)})`)), 5000);
    const fail = (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.setEncoding("latin1");
    socket.once("error", fail);
    socket.once("connect", () => socket.write("*1\r\n$4\r\nPING\r\n"));
    socket.on("data", (data) => {
      reply += data;
      if (!reply.includes("\r\n")) return;
      if (reply !== "+PONG\r\n") return fail(new Error(`PING on port ${port} got ${JSON.stringify(reply)}, not +PONG`));
      clearTimeout(timer);
      socket.end();
      resolve();
    });
  });
}
