// Runs the built server (dist/main.js) as a child process, as users and CI do. The tests'
// global setup (test/setup/ensure-built.ts) has built it.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "vitest";
import { runScript, type Step } from "./script.js";

export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MAIN = path.join(PACKAGE_DIR, "dist", "main.js");

const dirs: string[] = [];

/** A fresh data dir that {@link stopAllAndClean} removes. */
export function newDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

/** Stops every server started here and removes the dirs made by {@link newDir}. */
export async function stopAllAndClean(): Promise<void> {
  await stopAll();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kv-server-test-"));
}

export interface RunningServer {
  host: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();
// A test that fails half-way must not leave a server behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Kills every server still running (for afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => new Promise((resolve) => {
    child.once("exit", resolve);
    child.kill("SIGKILL");
  })));
}

/**
 * Starts a server on a free port of 127.0.0.1 (unless `extraArgs` has a `--bind`) with its
 * data in `dir`; `prefix` runs it under another program, such as `["strace", "-f"]`.
 */
export async function startServer(dir: string, extraArgs: string[] = [], prefix: string[] = []): Promise<RunningServer> {
  const command = [...prefix, process.execPath, MAIN, "--port", "0", "--dir", dir, ...extraArgs];
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  // "close", not "exit": by then all of its output has been read.
  const exited = new Promise<number | string>((resolve) => child.on("close", (code, signal) => resolve(code ?? signal ?? -1)));
  const [host, port] = await new Promise<[string, number]>((resolve, reject) => {
    const check = (): void => {
      const match = /listening on ([\d.]+):(\d+)/.exec(output);
      if (match) {
        child.stdout!.off("data", check);
        resolve([match[1]!, Number(match[2])]);
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => reject(new Error(`kv-server exited (${code}) before listening:\n${output}`)));
  });
  return { host, port, child, output: () => output, exited };
}

/** Stops the server with SIGTERM (or kills it) and waits for it to be gone. */
export async function stopServer(server: RunningServer, signal: NodeJS.Signals = "SIGTERM"): Promise<number | string> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  return server.exited;
}

/** A port that was free a moment ago on 127.0.0.1 (for redis-server, whose port 0 means none). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts Debian's redis-server on 127.0.0.1, without persistence, to compare replies with; it
 * is stopped with {@link stopServer} (or {@link stopAll}).
 */
export async function startRedis(extraArgs: string[] = []): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.stderr!.on("data", (chunk) => (output += chunk));
    void exited.then((code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
  return { host: "127.0.0.1", port, child, output: () => output, exited };
}

/**
 * kv-server's two shapes, for `describe.each`: the connections in the main domain and one more
 * with the store in a domain of its own (the blog's); and everything on the main thread.
 */
export const SHAPES: [string, string[]][] = [["--domains 1", ["--domains", "1"]], ["--single-domain", ["--single-domain"]]];

/** A kv-server and a redis-server side by side, set once the describe block's beforeAll has run. */
export interface Pair {
  kv: RunningServer;
  redis: RunningServer;
}

/**
 * In a describe block: starts kv-server (in `shapeArgs`, a {@link SHAPES} entry's, plus
 * `kvArgs`) and redis-server (with `redisArgs`) before its tests, and stops both after them,
 * kv-server cleanly (exit 0).
 */
export function besideRedis(shapeArgs: string[], options: { kvArgs?: string[]; redisArgs?: string[] } = {}): Pair {
  const pair = {} as Pair;
  beforeAll(async () => {
    [pair.kv, pair.redis] = await Promise.all([startServer(newDir(), [...shapeArgs, ...(options.kvArgs ?? [])]), startRedis(options.redisArgs)]);
  });
  afterAll(async () => {
    expect(await stopServer(pair.kv)).toBe(0);
    await stopServer(pair.redis);
  });
  return pair;
}

/** Runs `steps` on both servers of `pair` at once: kv-server's outputs, then redis-server's. */
export async function bothRun(pair: Pair, steps: Step[]): Promise<[string[], string[]]> {
  return Promise.all([runScript(pair.kv.port, steps), runScript(pair.redis.port, steps)]);
}
