// Runs the built server (dist/main.js) as a child process, as users and CI do.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
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

/** Starts a server on a free port of 127.0.0.1 with its data in `dir`. */
export async function startServer(dir: string, extraArgs: string[] = []): Promise<RunningServer> {
  const child = spawn(process.execPath, [MAIN, "--port", "0", "--dir", dir, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
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

