// --log-open-flags on the real server: each flag keeps what was acknowledged across a clean stop
// and a kill -9 (O_DIRECT's zero padding after the last record cut either way), and O_DIRECT on
// a file system without direct I/O (ramfs, mounted in a mount namespace of the server's own) is
// refused at start with a message naming the flag, while the same start on the test's own file
// system works.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { MAIN, newDir, type RunningServer, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

function client(server: RunningServer): Redis {
  return new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

const probe = newDir();
const canMount = spawnSync("unshare", ["-m", "sh", "-c", `mount -t ramfs ramfs '${probe}'`]).status === 0;

describe.each(["none", "dsync", "direct", "direct,dsync"])("--log-open-flags %s", (flags) => {
  it("keeps every acknowledged write across a stop and a kill -9, and the log holds only records after a stop", async () => {
    const dir = newDir();
    const first = await startServer(dir, ["--log-open-flags", flags]);
    const redis = client(first);
    try {
      expect(await redis.config("GET", "log-open-flags")).toEqual(["log-open-flags", flags]);
      // Values of many lengths: records that end anywhere in a 512-byte block.
      for (let i = 0; i < 40; i++) expect(await redis.set(`k${i}`, "v".repeat(i * 37))).toBe("OK");
      expect(await redis.rpush("list", "a", "b", "c")).toBe(3);
    } finally {
      redis.disconnect();
    }
    expect(await stopServer(first)).toBe(0);
    // A clean stop leaves no padding: the log ends with its last record.
    const log = fs.readFileSync(path.join(dir, "kv.log"));
    let at = 8;
    while (at + 8 <= log.length) at += 8 + log.readUInt32LE(at);
    expect(at).toBe(log.length);

    const second = await startServer(dir, ["--log-open-flags", flags]);
    const again = client(second);
    try {
      expect(second.output()).toContain("41 log records replayed");
      expect(second.output()).not.toContain("torn tail");
      for (let i = 0; i < 40; i++) expect(await again.get(`k${i}`)).toBe("v".repeat(i * 37));
      for (let i = 0; i < 10; i++) expect(await again.set(`after${i}`, "w".repeat(i * 61))).toBe("OK");
    } finally {
      again.disconnect();
    }
    expect(await stopServer(second, "SIGKILL")).toBe("SIGKILL");
    // After a kill, O_DIRECT's last block is on disk whole: zeros after the last record.
    const killed = fs.readFileSync(path.join(dir, "kv.log"));
    let end = 8;
    while (end + 8 <= killed.length && killed.readUInt32LE(end) !== 0) end += 8 + killed.readUInt32LE(end);
    const padding = killed.length - end;
    expect(killed.subarray(end).every((byte) => byte === 0)).toBe(true);
    if (flags.includes("direct")) expect(killed.length % 512).toBe(0);
    else expect(padding).toBe(0);
    const third = await startServer(dir);
    const check = client(third);
    try {
      expect(await check.lrange("list", 0, -1)).toEqual(["a", "b", "c"]);
      for (let i = 0; i < 10; i++) expect(await check.get(`after${i}`)).toBe("w".repeat(i * 61));
      // The padding is cut at start as a torn tail of zeros (never acknowledged bytes).
      expect(third.output().includes(`cut a torn tail of ${padding} bytes`)).toBe(padding > 0);
    } finally {
      check.disconnect();
      expect(await stopServer(third)).toBe(0);
    }
  }, 60_000);
});

describe.skipIf(!canMount)("--log-open-flags direct where the file system has no direct I/O", () => {
  /** Runs the server with `args` on a fresh ramfs; resolves with its exit code and output once it exits, or is listening (then stopped). */
  function runOnRamfs(args: string[]): Promise<{ code: number | null; output: string }> {
    const mount = newDir();
    const script = `mount -t ramfs ramfs '${mount}' && exec "$0" "$@"`;
    const child = spawn("unshare", ["-m", "sh", "-c", script, process.execPath, MAIN, "--port", "0", "--dir", path.join(mount, "data"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let stopped = false;
    return new Promise((resolve) => {
      const read = (chunk: Buffer): void => {
        output += chunk;
        // Once: a second signal ends the server at once.
        if (!stopped && /listening on/.test(output)) stopped = child.kill("SIGTERM");
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      child.on("close", (code) => resolve({ code, output }));
    });
  }

  it("is refused at start with a message naming O_DIRECT, the log and the flag; without it the same start works", async () => {
    const refused = await runOnRamfs(["--log-open-flags", "direct"]);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).not.toContain("listening on");
    expect(refused.output).toMatch(/O_DIRECT \(\{ direct: true \}\) refused: the file system of <fs:[^>]*\/data\/kv\.log> does not support direct I\/O/);
    expect(refused.output).toContain("opening the log with --log-open-flags direct");
    const plain = await runOnRamfs(["--log-open-flags", "dsync"]);
    expect(plain.output).toContain("listening on");
    expect(plain.code, plain.output).toBe(0);
  }, 60_000);
});
