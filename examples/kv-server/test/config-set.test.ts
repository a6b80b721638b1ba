// CONFIG SET, SHUTDOWN, BGREWRITEAOF and protected mode, on the built server; replies compared
// with Debian's redis-server 7.0 where both have the command.
import * as net from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import * as ProtectedMode from "../src/protected-mode.js";
import { Connection } from "./script.js";
import { newDir, type RunningServer, startRedis, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

function client(server: RunningServer, password?: string): Redis {
  return new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null, password });
}

/** A raw connection: sends `bytes`, collects everything until the server closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    socket.write(bytes);
  });
}

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    return `no error: ${JSON.stringify(await promise)}`;
  } catch (error) {
    return (error as Error).message;
  }
}

function infoField(info: string, name: string): number {
  return Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)![1]);
}

describe("CONFIG SET", () => {
  it("answers as redis-server does, errors word for word, and CONFIG GET shows what was set", async () => {
    const session = [
      "CONFIG SET maxclients 0", "CONFIG SET timeout x", "CONFIG SET timeout -1", "CONFIG SET dir /tmp", "CONFIG SET nosuch 1",
      "CONFIG SET appendfsync foo", "CONFIG SET requirepass a b", "CONFIG SET proto-max-bulk-len 10",
      "CONFIG SET client-query-buffer-limit 10", "CONFIG SET timeout 5 timeout 9", "CONFIG SET protected-mode maybe",
      'CONFIG SET client-output-buffer-limit "normal 10mb"', 'CONFIG SET client-output-buffer-limit "bogus 1 2 3"',
      'CONFIG SET client-output-buffer-limit "normal 10mb 5mb 10"', "CONFIG GET client-output-buffer-limit",
      "CONFIG SET timeout 7 maxclients 50", "CONFIG GET timeout", "CONFIG GET maxclients", "CONFIG SET maxclients 0 timeout 8",
      "CONFIG GET timeout", "CONFIG SET appendfsync EVERYSEC", "CONFIG GET appendfsync", "CONFIG SET proto-max-bulk-len 2mb",
      "CONFIG GET proto-max-bulk-len", "CONFIG SET protected-mode no", "CONFIG GET protected-mode",
      "SHUTDOWN foo", "SHUTDOWN NOSAVE SAVE", "QUIT",
    ].map((line) => `${line}\r\n`).join("");
    const redis = await startRedis();
    const kv = await startServer(newDir());
    try {
      const expected = await exchange(redis.port, session);
      expect(expected).toContain("duplicate parameter");
      expect(await exchange(kv.port, session)).toBe(expected);
    } finally {
      await Promise.all([stopServer(redis), stopServer(kv)]);
    }
  });

  it("takes effect at once in every domain: requirepass, maxclients, timeout, appendfsync", async () => {
    const kv = await startServer(newDir(), ["--domains", "1"]);
    const admin = client(kv);
    try {
      expect(await admin.config("SET", "appendfsync", "no")).toBe("OK");
      const before = infoField(await admin.info("persistence"), "aof_fsyncs");
      for (let i = 0; i < 5; i++) await admin.set(`k${i}`, "v");
      expect(infoField(await admin.info("persistence"), "aof_fsyncs")).toBe(before);
      expect(await admin.config("SET", "appendfsync", "always")).toBe("OK");
      for (let i = 0; i < 5; i++) await admin.set(`k${i}`, "w");
      expect(infoField(await admin.info("persistence"), "aof_fsyncs")).toBe(before + 5);
      // Connections in both domains see a new password; the admin, authenticated before, keeps on.
      expect(await admin.config("SET", "requirepass", "s3cret")).toBe("OK");
      for (let i = 0; i < 4; i++) expect(await exchange(kv.port, "GET k1\r\nQUIT\r\n")).toBe("-NOAUTH Authentication required.\r\n+OK\r\n");
      expect(await exchange(kv.port, "AUTH s3cret\r\nGET k1\r\nQUIT\r\n")).toBe("+OK\r\n$1\r\nw\r\n+OK\r\n");
      expect(await admin.get("k1")).toBe("w");
      expect(await admin.config("SET", "requirepass", "")).toBe("OK");
      expect(await exchange(kv.port, "GET k1\r\nQUIT\r\n")).toBe("$1\r\nw\r\n+OK\r\n");
      expect(await admin.config("SET", "maxclients", "1")).toBe("OK");
      for (let i = 0; i < 4; i++) expect(await exchange(kv.port, "PING\r\n")).toBe("-ERR max number of clients reached\r\n");
      expect(await admin.config("SET", "maxclients", "10")).toBe("OK");
      expect(await exchange(kv.port, "PING\r\nQUIT\r\n")).toBe("+PONG\r\n+OK\r\n");
      // An idle client is closed after the new timeout (the closing is what is waited for).
      expect(await admin.config("SET", "timeout", "1")).toBe("OK");
      expect(await exchange(kv.port, "PING\r\n")).toBe("+PONG\r\n");
    } finally {
      admin.disconnect();
      await stopServer(kv);
    }
  });
});

/**
 * Two connections open and served before CONFIG SET lowers the buffer limits: one then sends
 * an argument over the new query-buffer limit, the other asks for a reply over the new output
 * limit. Returns what each had received when the server closed it (the PONG only, or less than
 * the reply), then what a connection gets once the output limit is lifted again.
 */
async function limitsOnOpenConnections(port: number): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const [query, output] = [await Connection.open(port), await Connection.open(port)];
  try {
    for (const connection of [query, output]) connection.send("PING");
    const out: unknown[] = [...(await query.read(1)), ...(await output.read(1))];
    admin.send("SET", "big", "x".repeat(2_000_000));
    admin.send("CONFIG", "SET", "client-query-buffer-limit", "1mb");
    admin.send("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0");
    out.push(...(await admin.read(3)));
    query.socket.write(`*2\r\n$4\r\nECHO\r\n$2000000\r\n${"a".repeat(1_100_000)}`);
    await query.closedByServer();
    output.send("GET", "big");
    await output.closedByServer();
    out.push(query.received, output.received < 2_000_000);
    admin.send("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
    admin.send("STRLEN", "big");
    admin.send("GET", "big");
    const [ok, length, value] = await admin.read(3);
    out.push(ok, length, (value as string).length);
    return out;
  } finally {
    for (const connection of [admin, query, output]) connection.close();
  }
}

describe("CONFIG SET of the buffer limits", () => {
  it("client-query-buffer-limit and client-output-buffer-limit apply to connections already open, as in redis-server", async () => {
    const [kv, redis] = await Promise.all([startServer(newDir(), ["--domains", "1"]), startRedis()]);
    try {
      const ours = await limitsOnOpenConnections(kv.port);
      expect(ours).toEqual(await limitsOnOpenConnections(redis.port));
      expect(ours).toEqual(["PONG", "PONG", "OK", "OK", "OK", 7, true, "OK", 2_000_000, 2_000_000]);
    } finally {
      expect(await stopServer(kv)).toBe(0);
      await stopServer(redis);
    }
  }, 60_000);
});

describe("SHUTDOWN and BGREWRITEAOF", () => {
  it("SHUTDOWN stops the server as SIGTERM does: no reply, exit 0, everything acknowledged kept", async () => {
    const dir = newDir();
    const kv = await startServer(dir, ["--appendfsync", "no"]);
    const redis = client(kv);
    await redis.set("kept", "yes");
    redis.disconnect();
    expect(await exchange(kv.port, "SHUTDOWN NOSAVE\r\n")).toBe("");
    expect(await kv.exited).toBe(0);
    expect(kv.output()).toContain("kv-server: received SHUTDOWN, stopping");
    const again = await startServer(dir);
    const check = client(again);
    try {
      expect(await check.get("kept")).toBe("yes");
    } finally {
      check.disconnect();
      await stopServer(again);
    }
  });

  it("BGREWRITEAOF rewrites the log in the background, with redis-server's replies", async () => {
    // In a dir of its own: redis-server's rewrite writes appendonlydir/ into it.
    const redisServer = await startRedis(["--dir", newDir()]);
    const kv = await startServer(newDir());
    const [redis, kvClient] = [client(redisServer), client(kv)];
    try {
      for (let i = 0; i < 200; i++) await kvClient.set("same", `value ${i}`);
      const before = infoField(await kvClient.info("persistence"), "aof_current_size");
      const reply = await kvClient.bgrewriteaof();
      expect(reply).toBe(await redis.bgrewriteaof());
      expect(reply).toBe("Background append only file rewriting started");
      let info = await kvClient.info("persistence");
      while (infoField(info, "aof_rewrite_in_progress") === 1) info = await kvClient.info("persistence");
      expect(infoField(info, "aof_current_size")).toBeLessThan(before / 10);
      expect(await kvClient.get("same")).toBe("value 199");
      expect(await errorOf(kvClient.call("BGREWRITEAOF", "now"))).toBe(await errorOf(redis.call("BGREWRITEAOF", "now")));
    } finally {
      redis.disconnect();
      kvClient.disconnect();
      await Promise.all([stopServer(redisServer), stopServer(kv)]);
    }
  });
});

describe("protected mode", () => {
  it("refuses clients from other hosts only when it is on and no password is set", () => {
    const remote = { host: "192.0.2.7", port: 50000 };
    expect(ProtectedMode.denies(true, null, remote)).toBe(true);
    expect(ProtectedMode.denies(false, null, remote)).toBe(false);
    expect(ProtectedMode.denies(true, "s3cret", remote)).toBe(false);
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) expect(ProtectedMode.denies(true, null, { host, port: 1 })).toBe(false);
    expect(ProtectedMode.denies(true, null, { path: "/tmp/kv.sock" })).toBe(false);
    expect(ProtectedMode.denies(true, null, { host: "::ffff:10.0.0.1", port: 1 })).toBe(true);
    expect(ProtectedMode.DENIED.toString()).toMatch(/^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. [^\r\n]+\r\n$/);
  });

  it("CONFIG GET protected-mode is yes by default, as in redis-server, and --protected-mode no turns it off", async () => {
    const redisServer = await startRedis();
    const kv = await startServer(newDir());
    const off = await startServer(newDir(), ["--protected-mode", "no"]);
    const [redis, kvClient, offClient] = [client(redisServer), client(kv), client(off)];
    try {
      expect(await kvClient.config("GET", "protected-mode")).toEqual(await redis.config("GET", "protected-mode"));
      expect(await offClient.config("GET", "protected-mode")).toEqual(["protected-mode", "no"]);
    } finally {
      for (const c of [redis, kvClient, offClient]) c.disconnect();
      await Promise.all([stopServer(redisServer), stopServer(kv), stopServer(off)]);
    }
  });
});
