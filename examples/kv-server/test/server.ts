// Runs the built server (dist/main.js) as a child process, as users and CI do.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = path.join(PACKAGE_DIR, "dist", "main.js");

/** Builds the server (eio-ts must be built already: the root `npm test` does that first). */
export function buildServer(): void {
  execFileSync("npx", ["tsup", "--silent"], { cwd: PACKAGE_DIR, stdio: "inherit" });
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kv-server-test-"));
}

export interface RunningServer {
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
 * Starts a server on a free port of 127.0.0.1 with its data in `dir`; `prefix` runs it under
 * another program, such as `["strace", "-f"]`.
 */
export async function startServer(dir: string, extraArgs: string[] = [], prefix: string[] = []): Promise<RunningServer> {
  const command = [...prefix, process.execPath, MAIN, "--port", "0", "--dir", dir, ...extraArgs];
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const port = await new Promise<number>((resolve, reject) => {
    const check = (): void => {
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        child.stdout!.off("data", check);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => reject(new Error(`kv-server exited (${code}) before listening:\n${output}`)));
  });
  return { port, child, output: () => output, exited };
}

/** Stops the server with SIGTERM (or kills it) and waits for it to be gone. */
export async function stopServer(server: RunningServer, signal: NodeJS.Signals = "SIGTERM"): Promise<number | string> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  return server.exited;
}

/** True if `command` can be run on this machine. */
export function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
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
  return { port, child, output: () => output, exited };
}
