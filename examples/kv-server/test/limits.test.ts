// The limits that keep one client from hurting the others, on the built server: the output
// buffer limit (a client that does not read its replies), EMFILE at accept, and KEYS split up.
import * as fs from "node:fs";
import * as net from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import * as FdLimit from "../src/fd-limit.js";
import * as OutputLimit from "../src/output-limit.js";
import { newDir, type RunningServer, startRedis, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

function client(server: RunningServer): Redis {
  return new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Resolves once the server has printed a line matching `pattern`. */
function waitForOutput(server: RunningServer, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(server.output());
      if (match === null) return;
      server.child.stdout!.off("data", check);
      resolve(match[0]);
    };
    server.child.stdout!.on("data", check);
    void server.exited.then((code) => reject(new Error(`kv-server exited (${code}):\n${server.output()}`)));
    check();
  });
}

/** Peak resident memory of a process, in bytes (Linux's VmHWM). */
function peakMemory(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "latin1"));
  return Number(match![1]) * 1024;
}

/** A raw connection that sends `bytes` and reads nothing until told to. */
async function silentClient(port: number, bytes: string): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.pause();
  socket.write(bytes);
  let received = 0;
  const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(received)));
  socket.on("data", (chunk) => (received += chunk.length));
  return { socket, closed };
}

describe("client-output-buffer-limit", () => {
  it("parses and prints Redis's syntax; its errors are Redis's CONFIG SET messages", async () => {
    expect(OutputLimit.format(OutputLimit.parse("normal 0 0 0"))).toBe("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    expect(OutputLimit.parse("NORMAL 10mb 5mb 10 pubsub 1k 1 0")).toEqual({
      normal: { hard: 10485760, soft: 5242880, softSeconds: 10 }, replica: OutputLimit.DEFAULT.replica, pubsub: { hard: 1000, soft: 1, softSeconds: 0 },
    });
    expect(() => OutputLimit.parse("normal 10mb")).toThrow("Wrong number of arguments in buffer limit configuration.");
    expect(() => OutputLimit.parse("bogus 1 2 3")).toThrow("Invalid client class specified in buffer limit configuration.");
    expect(() => OutputLimit.parse("normal 1 2 x")).toThrow("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    // CONFIG GET's answer is redis-server's for the same flag.
    const flag = ["--client-output-buffer-limit", "normal 8mb 2mb 5 pubsub 64mb 16mb 90"];
    const redis = await startRedis(flag);
    const kv = await startServer(newDir(), flag);
    try {
      const [fromRedis, fromKv] = [client(redis), client(kv)];
      expect(await fromKv.config("GET", "client-output-buffer-limit")).toEqual(await fromRedis.config("GET", "client-output-buffer-limit"));
      fromRedis.disconnect();
      fromKv.disconnect();
    } finally {
      await Promise.all([stopServer(redis), stopServer(kv)]);
    }
  });

  it("closes a client that pipelines GETs of a large value and reads nothing, alone, and builds no more than the limit", async () => {
    const kv = await startServer(newDir(), ["--client-output-buffer-limit", "normal 8mb 0 0"]);
    const redis = client(kv);
    try {
      await redis.set("big", Buffer.alloc(1024 * 1024, 120));
      await redis.set("small", "still here");
      const before = peakMemory(kv.child.pid!);
      // 2000 GETs of 1 MiB: 2 GB of replies, were they built.
      const greedy = await silentClient(kv.port, "GET big\r\n".repeat(2000));
      expect(await waitForOutput(kv, /closed for overcoming of output buffer limits \(hard limit of 8388608 bytes\)/)).toBeTruthy();
      // Another client is answered meanwhile and after.
      expect(await redis.get("small")).toBe("still here");
      greedy.socket.resume();
      const received = await greedy.closed;
      expect(received).toBeLessThan(2000 * 1024 * 1024);
      // Without the limit the store would build about 1 GiB of replies for this client.
      expect(peakMemory(kv.child.pid!) - before).toBeLessThan(256 * 1024 * 1024);
      expect(await redis.get("small")).toBe("still here");
    } finally {
      redis.disconnect();
      await stopServer(kv);
    }
  }, 60_000);

  it("closes a client over the soft limit for its seconds; a client that reads is not closed", async () => {
    const kv = await startServer(newDir(), ["--client-output-buffer-limit", "normal 0 1mb 1"]);
    const redis = client(kv);
    try {
      await redis.set("big", Buffer.alloc(1024 * 1024, 121));
      // A reading client gets its 32 MiB of replies in full.
      const reader = await silentClient(kv.port, "GET big\r\n".repeat(32) + "QUIT\r\n");
      reader.socket.resume();
      expect(await reader.closed).toBe(32 * (1024 * 1024 + 12) + 5);
      const sleeper = await silentClient(kv.port, "GET big\r\n".repeat(32));
      await waitForOutput(kv, /closed for overcoming of output buffer limits \(soft limit of 1048576 bytes for 1 s\)/);
      sleeper.socket.resume();
      expect(await sleeper.closed).toBeLessThan(32 * 1024 * 1024);
      expect(await redis.ping()).toBe("PONG");
    } finally {
      redis.disconnect();
      await stopServer(kv);
    }
  }, 60_000);
});

/** A raw connection: `send` writes and waits for the next reply chunk (or the close: ""). */
async function rawClient(port: number) {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  const chunks: string[] = [];
  const waiters: ((chunk: string) => void)[] = [];
  const deliver = (chunk: string): void => {
    const waiter = waiters.shift();
    if (waiter) waiter(chunk);
    else chunks.push(chunk);
  };
  socket.on("data", (data) => deliver(data.toString("latin1")));
  socket.on("close", () => deliver(""));
  await new Promise((resolve) => socket.once("connect", resolve));
  return {
    socket,
    send(text: string): Promise<string> {
      socket.write(text);
      return chunks.length > 0 ? Promise.resolve(chunks.shift()!) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe("a low open-file limit (ulimit -n)", () => {
  it("FdLimit.fit keeps maxclients that fit, lowers one that does not, and refuses a limit with no room", () => {
    expect(FdLimit.fit(100, 1024, 25)).toEqual({ maxclients: 100, warning: null });
    expect(FdLimit.fit(100, null, 25)).toEqual({ maxclients: 100, warning: null });
    expect(FdLimit.fit(10000, 1024, 25).maxclients).toBe(1024 - 25 - 32);
    expect(() => FdLimit.fit(10, 50, 25)).toThrow("your current 'ulimit -n' of 50 is not enough for the server to start. Please increase your open file limit to at least 58. Exiting.");
  });

  it("lowers maxclients to fit, with Redis's warning: clients past it get the maxclients error, and the listener serves again once some leave", async () => {
    const kv = await startServer(newDir(), [], ["sh", "-c", 'ulimit -n 96 && exec "$0" "$@"']);
    const warning = /maxclients has been reduced to (\d+) to compensate for low ulimit\. If you need higher maxclients increase 'ulimit -n'\./.exec(kv.output());
    expect(warning).not.toBeNull();
    const maxclients = Number(warning![1]);
    expect(maxclients).toBeGreaterThan(5);
    expect(maxclients).toBeLessThan(96 - 32);
    const clients = [];
    try {
      for (let i = 0; i < maxclients; i++) {
        const c = await rawClient(kv.port);
        expect(await c.send("PING\r\n")).toBe("+PONG\r\n");
        clients.push(c);
      }
      expect(await clients[0]!.send("CONFIG GET maxclients\r\n")).toBe(`*2\r\n$10\r\nmaxclients\r\n$${String(maxclients).length}\r\n${maxclients}\r\n`);
      // Past the limit, and past the descriptors the server has: refused, never a dead listener.
      for (let i = 0; i < 40; i++) {
        const extra = await rawClient(kv.port);
        expect(["-ERR max number of clients reached\r\n", ""]).toContain(await extra.send("PING\r\n"));
        extra.socket.destroy();
      }
      for (const c of clients.splice(0, 5)) {
        expect(await c.send("QUIT\r\n")).toBe("+OK\r\n");
      }
      const late = await rawClient(kv.port);
      // The server may not have counted the quitters out yet: it answers, one way or the other.
      let reply = await late.send("PING\r\n");
      for (let attempt = 0; reply !== "+PONG\r\n" && attempt < 100; attempt++) reply = await (await rawClient(kv.port)).send("PING\r\n");
      expect(reply).toBe("+PONG\r\n");
      expect(kv.output()).not.toContain("kv-server failed");
    } finally {
      for (const c of clients) c.socket.destroy();
      await stopServer(kv);
    }
  }, 60_000);
});

/** Fills the server with `n` keys `key:0`... through one raw connection, 1000 per MSET. */
async function fill(port: number, n: number): Promise<void> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve) => socket.once("connect", resolve));
  const commands = Math.ceil(n / 1000);
  let oks = 0;
  const finished = new Promise<void>((resolve, reject) => {
    let tail = "";
    socket.on("data", (chunk) => {
      const text = tail + chunk.toString("latin1");
      const lines = text.split("\r\n");
      tail = lines.pop()!;
      for (const line of lines) {
        if (line !== "+OK") reject(new Error(`MSET got ${line}`));
        if (++oks === commands) resolve();
      }
    });
  });
  for (let c = 0; c < commands; c++) {
    const parts = [`*${1 + 2 * 1000}\r\n$4\r\nMSET\r\n`];
    for (let i = c * 1000; i < (c + 1) * 1000; i++) {
      const key = `key:${i}`;
      parts.push(`$${key.length}\r\n${key}\r\n$1\r\nv\r\n`);
    }
    if (!socket.write(parts.join(""))) await new Promise((resolve) => socket.once("drain", resolve));
  }
  await finished;
  socket.destroy();
}

describe("KEYS, split up", () => {
  for (const shape of [[], ["--single-domain"]]) {
    it(`serves other clients while a KEYS over 500k keys runs (${shape.join(" ") || "storage domain"})`, async () => {
      const kv = await startServer(newDir(), ["--appendfsync", "no", ...shape]);
      try {
        await fill(kv.port, 500_000);
        const keys = await rawClient(kv.port);
        const other = await rawClient(kv.port);
        // The KEYS's client asks for the counter right after it, in the same pipeline: the
        // counter says how many of the other client's INCRs ran before the KEYS was done.
        let header = "";
        let tail = "";
        let bulks = 0;
        let done = false;
        const keysDone = new Promise<void>((resolve) => {
          keys.socket.removeAllListeners("data");
          keys.socket.on("data", (chunk: Buffer) => {
            if (header.length < 10) header += chunk.toString("latin1", 0, 10);
            // No key holds a "$": each one is a bulk string's header, and so is GET's reply.
            for (let at = chunk.indexOf(36); at >= 0; at = chunk.indexOf(36, at + 1)) bulks++;
            tail = (tail + chunk.toString("latin1", Math.max(0, chunk.length - 64))).slice(-64);
            if (bulks === 500_001 && /(\$\d+\r\n\d+|\$-1)\r\n$/.test(tail)) {
              done = true;
              resolve();
            }
          });
        });
        await new Promise<void>((resolve) => keys.socket.write("KEYS key:*\r\nGET counter\r\n", () => resolve()));
        let incrs = 0;
        while (!done) {
          expect(await other.send("INCR counter\r\n")).toBe(`:${++incrs}\r\n`);
        }
        await keysDone;
        expect(header.startsWith("*500000\r\n")).toBe(true);
        // Run whole, the KEYS would have kept every INCR sent after it waiting: at most one
        // (sent alongside it) could have run before.
        const counter = Number(/\$\d+\r\n(\d+)\r\n$/.exec(tail)?.[1] ?? 0);
        expect(counter).toBeGreaterThanOrEqual(2);
        keys.socket.destroy();
        other.socket.destroy();
      } finally {
        await stopServer(kv);
      }
    }, 120_000);
  }
});
