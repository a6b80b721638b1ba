// A full disk, for real: the server runs in a mount namespace of its own (`unshare -m`) with its
// data dir on a small tmpfs, and the test fills and frees that tmpfs from inside the namespace
// (`nsenter`). Skipped where mount namespaces are not allowed (not root).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { Connection } from "./script.js";
import { newDir, type RunningServer, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

const probe = newDir();
const canMount = spawnSync("unshare", ["-m", "sh", "-c", `mount -t tmpfs -o size=1m tmpfs '${probe}'`]).status === 0
  && spawnSync("nsenter", ["--version"]).status === 0;

function client(server: RunningServer): Redis {
  return new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

function waitForOutput(server: RunningServer, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!pattern.test(server.output())) return;
      server.child.stdout!.off("data", check);
      resolve();
    };
    server.child.stdout!.on("data", check);
    void server.exited.then((code) => reject(new Error(`kv-server exited (${code}):\n${server.output()}`)));
    check();
  });
}

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return (error as Error).message;
  }
}

describe.skipIf(!canMount)("a full disk", () => {
  it.each(["always", "everysec"])("--appendfsync %s: refuses writes with Redis's MISCONF error, serves reads, loses nothing acknowledged, and takes writes again once there is room", async (appendfsync) => {
    const mount = newDir();
    const out = newDir();
    const data = path.join(mount, "data");
    // sh stays as the parent: once the server has stopped it copies the data dir out of the tmpfs.
    const script = `mount -t tmpfs -o size=4m tmpfs '${mount}' && "$0" "$@"; status=$?; cp -a '${data}/.' '${out}/'; exit $status`;
    const kv = await startServer(data, ["--appendfsync", appendfsync], ["unshare", "-m", "sh", "-c", script]);
    const redis = client(kv);
    const pid = Number(/process_id:(\d+)/.exec(await redis.info("server"))![1]);
    const inside = (command: string): number => spawnSync("nsenter", ["-t", String(pid), "-m", "sh", "-c", command]).status ?? -1;
    try {
      for (let i = 0; i < 50; i++) expect(await redis.set(`k${i}`, `v${i}`)).toBe("OK");
      // Fill the tmpfs: dd stops at ENOSPC.
      expect(inside(`dd if=/dev/zero of='${mount}/filler' bs=64k 2>/dev/null`)).not.toBe(0);
      const misconf = "MISCONF Errors writing to the AOF file: No space left on device";
      expect(await errorOf(redis.set("big", "x".repeat(256 * 1024)))).toBe(misconf);
      // The failed batch left no trace in memory: no reader sees a write whose client got an error.
      expect(await redis.exists("big")).toBe(0);
      // Refused from then on, even a write that would fit, and not run.
      expect(await errorOf(redis.set("small", "1"))).toBe(misconf);
      expect(await errorOf(redis.incr("k1"))).toBe(misconf);
      expect(await redis.exists("small")).toBe(0);
      // Reads go on.
      expect(await redis.get("k1")).toBe("v1");
      expect(await redis.mget("k0", "k49")).toEqual(["v0", "v49"]);
      expect(await redis.dbsize()).toBe(50);
      expect(await redis.info("persistence")).toContain("aof_last_write_status:err");
      // PING is refused too, as Redis 7.0's processCommand does (a health check sees the state),
      // inside MULTI (dooming the transaction) and from a subscriber, whatever domain serves it.
      expect(await errorOf(redis.ping())).toBe(misconf);
      const raw = await Connection.open(kv.port);
      for (const command of [["MULTI"], ["PING"], ["GET", "k1"], ["EXEC"], ["SUBSCRIBE", "c"], ["PING"]]) raw.send(...command);
      expect(await raw.read(6)).toEqual([
        "OK", { error: misconf }, "QUEUED", { error: "EXECABORT Transaction discarded because of previous errors." }, ["subscribe", "c", 1], { error: misconf },
      ]);
      raw.close();
      // Room again: the server rewrites its log from memory, then takes writes.
      expect(inside(`rm '${mount}/filler'`)).toBe(0);
      await waitForOutput(kv, /the log can be written again/);
      expect(await redis.set("after", "yes")).toBe("OK");
      expect(await redis.ping()).toBe("PONG");
      expect(await redis.info("persistence")).toContain("aof_last_write_status:ok");
      redis.disconnect();
      process.kill(pid, "SIGTERM");
      expect(await kv.exited).toBe(0);
    } finally {
      redis.disconnect();
      await stopServer(kv, "SIGKILL");
    }
    // Everything acknowledged is in the log that was on the tmpfs.
    expect(fs.existsSync(path.join(out, "kv.log"))).toBe(true);
    const again = await startServer(out);
    const check = client(again);
    try {
      for (let i = 0; i < 50; i++) expect(await check.get(`k${i}`)).toBe(`v${i}`);
      expect(await check.get("after")).toBe("yes");
      expect(await check.exists("small")).toBe(0);
    } finally {
      check.disconnect();
      await stopServer(again);
    }
  }, 60_000);
});
