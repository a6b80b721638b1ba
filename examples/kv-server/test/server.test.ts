import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newDir, type RunningServer, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

function client(server: RunningServer): Redis {
  return new Redis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: false });
}

/** Sends raw bytes and collects everything until the server closes the connection. */
function rawExchange(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(bytes);
  });
}

// The server's two shapes: the store in a storage domain with connections in domains too, and
// everything on the main thread.
const MODES: [string, string[]][] = [
  // As in the blog: connections are also served by another domain, on the same socket.
  ["storage domain + 1 connection domain", ["--domains", "1"]],
  ["storage domain", ["--domains", "0"]],
  ["one domain", ["--single-domain"]],
];

describe("CLIENT LIST and CLIENT KILL", () => {
  it("list every client of the domain with its last command; KILL ends another client (a blocked one takes nothing), or the caller after its reply", async () => {
    const server = await startServer(newDir(), ["--domains", "0"]);
    const [a, b, c] = [client(server), client(server), client(server)];
    try {
      const aId = Number(await a.client("ID"));
      const bId = Number(await b.client("ID"));
      const bClosed = new Promise<void>((resolve) => b.once("end", resolve));
      const blocked = b.blpop("q", 10).then(() => "served", () => "closed");
      // Wait for the event, not a time: b shows in the list once its BLPOP is in.
      let list = "";
      for (let round = 0; !(list = String(await a.client("LIST"))).includes(`id=${bId} `) || !list.includes("cmd=blpop"); round++) {
        if (round === 10_000) throw new Error(`b's BLPOP never showed in CLIENT LIST: ${list}`);
      }
      await c.ping();
      list = String(await a.client("LIST"));
      expect(list.trim().split("\n")).toHaveLength(3);
      expect(list).toMatch(new RegExp(`^id=${aId} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${server.port} .* cmd=client\\|list$`, "m"));
      expect(list).toMatch(new RegExp(`^id=${bId} .* cmd=blpop$`, "m"));
      expect(await a.client("KILL", "ID", String(bId))).toBe(1);
      await bClosed;
      expect(await blocked).toBe("closed");
      // The killed client took nothing: the element pushed after it stays.
      expect(await a.lpush("q", "v")).toBe(1);
      expect(await a.llen("q")).toBe(1);
      // The old form, by address; SKIPME (yes by default) spares the caller.
      const cAddr = /addr=(\S+)/.exec(String(await c.client("INFO")))![1]!;
      const cClosed = new Promise<void>((resolve) => c.once("end", resolve));
      expect(await a.client("KILL", cAddr)).toBe("OK");
      await cClosed;
      await expect(a.client("KILL", "1.2.3.4:5")).rejects.toThrow("ERR No such client");
      expect(await a.client("KILL", "ID", String(aId))).toBe(0);
      expect(String(await a.client("LIST")).trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^id=${aId} `))]);
      expect(await a.client("LIST", "ID", "0")).toBe("");
      await expect(a.client("LIST", "ID", "x")).rejects.toThrow("ERR Invalid client ID");
      await expect(a.client("KILL", "ID", "0")).rejects.toThrow("ERR client-id should be greater than 0");
      await expect(a.client("KILL", "SKIPME", "maybe")).rejects.toThrow("ERR syntax error");
      // A client that kills itself gets its reply, then the server closes: the PING after is not answered.
      const self = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port: server.port }, () => {
          socket.write(`CLIENT KILL ADDR 127.0.0.1:${socket.localPort} SKIPME no\r\nPING\r\n`);
        });
        let received = "";
        socket.on("data", (chunk) => (received += chunk.toString("latin1")));
        socket.on("error", reject);
        socket.on("close", () => resolve(received));
      });
      expect(self).toBe(":1\r\n");
      expect(await a.ping()).toBe("PONG");
    } finally {
      for (const redis of [a, b, c]) redis.disconnect();
      expect(await stopServer(server)).toBe(0);
    }
  });
});

describe.each(MODES)("kv-server over TCP (%s)", (_mode, modeArgs) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(newDir(), modeArgs);
  });
  afterAll(async () => {
    expect(await stopServer(server)).toBe(0);
    expect(server.output()).toMatch(/kv-server stopped/);
  });

  it("INFO counts the clients connected (in every domain) and shows the port", async () => {
    const own = await startServer(newDir(), modeArgs);
    const clients = [client(own)];
    try {
      const info = async () => await clients[0]!.info();
      await clients[0]!.ping();
      expect(await info()).toMatch(/\r\nconnected_clients:1\r\n/);
      expect(await info()).toContain(`\r\ntcp_port:${own.port}\r\n`);
      for (let i = 0; i < 4; i++) clients.push(client(own));
      // Each client has had a reply, so the server has counted it.
      await Promise.all(clients.map((redis) => redis.ping()));
      expect(await info()).toMatch(/\r\nconnected_clients:5\r\n/);
    } finally {
      for (const redis of clients) redis.disconnect();
      expect(await stopServer(own)).toBe(0);
    }
  });

  it("serves ioredis: get/set, binary values, errors, pipelines", async () => {
    const redis = client(server);
    try {
      expect(await redis.set("greeting", "hello")).toBe("OK");
      expect(await redis.get("greeting")).toBe("hello");
      const binary = Buffer.from([0, 1, 2, 13, 10, 255]);
      await redis.set(Buffer.from([0xff, 0]), binary);
      expect((await redis.getBuffer(Buffer.from([0xff, 0])))!.equals(binary)).toBe(true);
      expect(await redis.set("k", "v", "EX", 100, "NX")).toBe("OK");
      expect(await redis.ttl("k")).toBe(100);
      await expect(redis.incr("greeting")).rejects.toThrow("ERR value is not an integer or out of range");
      await expect(redis.call("get")).rejects.toThrow("ERR wrong number of arguments for 'get' command");
      const pipeline = redis.pipeline();
      for (let i = 0; i < 1000; i++) pipeline.set(`p${i}`, String(i));
      for (let i = 0; i < 1000; i++) pipeline.get(`p${i}`);
      const results = (await pipeline.exec())!;
      expect(results.slice(0, 1000).every(([error, value]) => error === null && value === "OK")).toBe(true);
      expect(results.slice(1000).map(([, value]) => value)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
      expect(await redis.mget("p1", "nope", "p2")).toEqual(["1", null, "2"]);
      expect((await redis.keys("p99*")).sort()).toEqual(["p99", "p990", "p991", "p992", "p993", "p994", "p995", "p996", "p997", "p998", "p999"]);
    } finally {
      redis.disconnect();
    }
  });

  it("serves concurrent clients without losing an increment", async () => {
    const clients = Array.from({ length: 10 }, () => client(server));
    try {
      await Promise.all(clients.map(async (redis) => {
        for (let i = 0; i < 30; i++) await redis.incr("counter");
      }));
      expect(await clients[0]!.get("counter")).toBe("300");
    } finally {
      for (const redis of clients) redis.disconnect();
    }
  });

  it("answers malformed input with a protocol error, closes, and keeps serving", async () => {
    expect(await rawExchange(server.port, "*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n")).toBe(
      "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n",
    );
    expect(await rawExchange(server.port, 'SET "open\r\n')).toBe("-ERR Protocol error: unbalanced quotes in request\r\n");
    // Random input, checked against redis-server: protocol.test.ts.
    expect(await rawExchange(server.port, "PING\r\nQUIT\r\n")).toBe("+PONG\r\n+OK\r\n");
  });

  it("works with redis-cli", () => {
    const cli = (...args: string[]) => execFileSync("redis-cli", ["-p", String(server.port), ...args], { encoding: "utf8" }).trim();
    expect(cli("PING")).toBe("PONG");
    expect(cli("SET", "cli-key", "a value")).toBe("OK");
    expect(cli("GET", "cli-key")).toBe("a value");
    expect(cli("INCRBY", "cli-n", "5")).toBe("5");
    expect(cli("GET", "nothing")).toBe("");
    expect(cli("CONFIG", "GET", "appendonly")).toBe("appendonly\nyes");
    // Interactive mode asks COMMAND DOCS first; commands on stdin go through it.
    const out = execFileSync("redis-cli", ["-p", String(server.port)], { input: "SET piped 1\nGET piped\n", encoding: "utf8" });
    expect(out.trim().split("\n")).toEqual(["OK", "1"]);
  });

  it("survives redis-benchmark -t set,get -n 10000 -q", () => {
    const out = execFileSync("redis-benchmark", ["-p", String(server.port), "-t", "set,get", "-n", "10000", "-q"], {
      encoding: "utf8",
      timeout: 240_000,
    });
    const final = out.split(/[\r\n]/).filter((line) => /requests per second/.test(line));
    expect(final.map((line) => line.split(":")[0]!.trim())).toEqual(["SET", "GET"]);
    expect(out).not.toMatch(/ERR|Error/);
  }, 300_000);
});

describe.each(MODES)("durability (%s)", (_mode, modeArgs) => {
  it("keeps every acknowledged write across kill -9", async () => {
    const dir = newDir();
    let server = await startServer(dir, modeArgs);
    const acknowledged = new Map<string, string>();
    const clients = Array.from({ length: 4 }, () => client(server));
    let killed = false;
    let enough: () => void = () => {};
    const acknowledged300 = new Promise<void>((resolve) => (enough = resolve));
    const writers = clients.map(async (redis, c) => {
      for (let i = 0; !killed; i++) {
        const key = `c${c}:${i}`;
        try {
          if ((await redis.set(key, `value ${i}`)) === "OK") acknowledged.set(key, `value ${i}`);
          if (i % 10 === 0 && (await redis.incr(`counter${c}`)) > 0) acknowledged.set(`counter${c}`, String(i / 10 + 1));
        } catch {
          return;
        }
        if (acknowledged.size >= 300) enough();
      }
    });
    await acknowledged300;
    server.child.kill("SIGKILL");
    killed = true;
    expect(await server.exited).toBe("SIGKILL");
    await Promise.all(writers);
    for (const redis of clients) redis.disconnect();

    server = await startServer(dir, modeArgs);
    const redis = client(server);
    try {
      const keys = [...acknowledged.keys()];
      const values = await redis.mget(...keys);
      const missing = keys.filter((key, i) => values[i] !== acknowledged.get(key) && !key.startsWith("counter"));
      expect(missing).toEqual([]);
      for (const key of keys.filter((k) => k.startsWith("counter"))) {
        expect(Number(await redis.get(key))).toBeGreaterThanOrEqual(Number(acknowledged.get(key)));
      }
    } finally {
      redis.disconnect();
      expect(await stopServer(server)).toBe(0);
    }
  }, 120_000);

  it("SIGTERM stops it cleanly: it says so, releases kv.lock, and a restart has every acknowledged write", async () => {
    const dir = newDir();
    let server = await startServer(dir, modeArgs);
    const acknowledged = new Map<string, string>();
    const clients = Array.from({ length: 4 }, () => client(server));
    let enough: () => void = () => {};
    const acknowledged200 = new Promise<void>((resolve) => (enough = resolve));
    // Each writer goes on until the stopping server closes its connection.
    const writers = clients.map(async (redis, c) => {
      for (let i = 0; ; i++) {
        const key = `t${c}:${i}`;
        try {
          if ((await redis.set(key, `value ${i}`)) === "OK") acknowledged.set(key, `value ${i}`);
        } catch {
          return;
        }
        if (acknowledged.size >= 200) enough();
      }
    });
    await acknowledged200;
    expect(await stopServer(server, "SIGTERM")).toBe(0);
    await Promise.all(writers);
    for (const redis of clients) redis.disconnect();
    expect(fs.existsSync(`${dir}/kv.lock`), "kv.lock after the stop").toBe(false);
    expect(server.output()).toMatch(/kv-server: received SIGTERM, stopping\n(?:.*\n)*kv-server stopped\n/);

    server = await startServer(dir, modeArgs);
    const redis = client(server);
    try {
      expect(Number(/(\d+) log records replayed/.exec(server.output())![1])).toBeGreaterThanOrEqual(acknowledged.size);
      const keys = [...acknowledged.keys()];
      const values = await redis.mget(...keys);
      expect(keys.filter((key, i) => values[i] !== acknowledged.get(key))).toEqual([]);
    } finally {
      redis.disconnect();
      expect(await stopServer(server)).toBe(0);
    }
  }, 120_000);

  it("recovers after a torn last record", async () => {
    const dir = newDir();
    let server = await startServer(dir, modeArgs);
    let redis = client(server);
    await redis.set("before", "1");
    redis.disconnect();
    await stopServer(server);
    fs.appendFileSync(`${dir}/kv.log`, Buffer.from([40, 0, 0, 0, 1, 2, 3]));
    server = await startServer(dir, modeArgs);
    redis = client(server);
    try {
      expect(await redis.get("before")).toBe("1");
      expect(await redis.set("after", "2")).toBe("OK");
    } finally {
      redis.disconnect();
      await stopServer(server);
    }
  });
});
