// kv-server's options, each checked end to end on the built server; where Redis has the same
// option, the replies are compared byte for byte with Debian's redis-server 7.0.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { MAIN, newDir, PACKAGE_DIR, type RunningServer, startRedis, startServer, stopAllAndClean, stopServer } from "./server.js";

const ROOT = path.resolve(PACKAGE_DIR, "..", "..");
afterAll(stopAllAndClean);

function client(server: RunningServer, options: { password?: string } = {}): Redis {
  return new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null, ...options });
}

/** A raw connection: sends `bytes`, collects everything until the server closes it. */
function exchange(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    // A server that closes on a client still sending makes the client's write fail: expected.
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    socket.write(bytes);
  });
}

/** A raw connection that stays open: `reply()` waits for the next chunk the server sends. */
async function connection(port: number) {
  const socket = net.connect({ host: "127.0.0.1", port });
  const chunks: string[] = [];
  const waiters: ((chunk: string) => void)[] = [];
  socket.on("data", (data) => {
    const waiter = waiters.shift();
    if (waiter) waiter(data.toString("latin1"));
    else chunks.push(data.toString("latin1"));
  });
  socket.on("error", () => {});
  const closed = new Promise<string>((resolve) => socket.on("close", () => resolve(chunks.join(""))));
  await new Promise((resolve) => socket.once("connect", resolve));
  return {
    socket,
    closed,
    send: (text: string): Promise<string> => {
      socket.write(text);
      return chunks.length > 0 ? Promise.resolve(chunks.shift()!) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Stops a server by its own pid (from INFO: under strace or npm, the child is not the server). */
async function stopByInfo(redis: Redis): Promise<void> {
  const pid = Number(/process_id:(\d+)/.exec(await redis.info("server"))![1]);
  redis.disconnect();
  process.kill(pid, "SIGTERM");
}

describe("kv-server --help and bad values", () => {
  it("--help prints every option and exits 0", () => {
    const result = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8" });
    expect(result.status).toBe(0);
    for (const option of ["--port N", "--bind ADDR", "--dir PATH", "--maxclients N", "--requirepass PASSWORD", "--appendfsync always|everysec|no", "--timeout SECONDS", "--proto-max-bulk-len SIZE", "--client-query-buffer-limit SIZE"]) {
      expect(result.stdout).toContain(`  ${option} `);
    }
  });

  it("a bad value exits 2 with a message naming the flag and the value", () => {
    for (const [args, message] of [
      [["--appendfsync", "sometimes"], '--appendfsync must be one of always, everysec, no, got "sometimes"'],
      [["--maxclients", "0"], '--maxclients must be an integer from 1 to 4294967295, got "0"'],
      [["--proto-max-bulk-len", "1.5mb"], '--proto-max-bulk-len must be a size of at least 1048576 bytes'],
      [["--port", "7000", "7001"], 'unknown argument "7001"'],
    ] as const) {
      const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });

  it("npm start -- <flags> at the repository root passes them to the server", async () => {
    const dir = newDir();
    const npm = spawn("npm", ["start", "--", "--port", "0", "--dir", dir, "--single-domain", "--requirepass", "from-npm"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    npm.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => npm.on("exit", resolve));
    const port = await new Promise<number>((resolve, reject) => {
      npm.stdout.on("data", (chunk) => {
        output += chunk;
        const match = /listening on 127\.0\.0\.1:(\d+) \(one domain; data in (.*), /.exec(output);
        if (match) resolve(Number(match[1]));
      });
      void exited.then((code) => reject(new Error(`npm start exited (${code}) before the server listened:\n${output}`)));
    });
    expect(output).toContain(`data in ${dir}`);
    const redis = new Redis({ port, password: "from-npm", maxRetriesPerRequest: 0, retryStrategy: () => null });
    expect(await redis.ping()).toBe("PONG");
    await stopByInfo(redis);
    expect(await exited).toBe(0);
    expect(output).toContain("kv-server stopped");
  }, 120_000);
});

describe("kv-server options, end to end", () => {
  it("--bind (or --host) chooses the address it listens on", async () => {
    const server = await startServer(newDir(), ["--bind", "127.0.0.2"]);
    const redis = client(server);
    try {
      expect(server.host).toBe("127.0.0.2");
      expect(await redis.ping()).toBe("PONG");
      expect(await redis.config("GET", "bind")).toEqual(["bind", "127.0.0.2"]);
      const refused = await new Promise<string>((resolve) => {
        net.connect({ host: "127.0.0.1", port: server.port }).on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "")).on("connect", () => resolve("connected"));
      });
      expect(refused).toBe("ECONNREFUSED");
    } finally {
      redis.disconnect();
      await stopServer(server);
    }
    const aliased = await startServer(newDir(), ["--host", "127.0.0.3"]);
    expect(aliased.host).toBe("127.0.0.3");
    await stopServer(aliased);
  });

  it("--dir holds the log, and the default data dir is git-ignored", async () => {
    const dir = newDir();
    const server = await startServer(dir);
    const redis = client(server);
    await redis.set("kept-in-dir", "value");
    redis.disconnect();
    expect(await stopServer(server)).toBe(0);
    expect(fs.readFileSync(path.join(dir, "kv.log")).includes("kept-in-dir")).toBe(true);
    // Exits 0 when git ignores the path, 1 when it does not.
    expect(() => execFileSync("git", ["check-ignore", "-q", "examples/kv-server/data/kv.log"], { cwd: ROOT })).not.toThrow();
  });

  it("--requirepass: AUTH, HELLO AUTH and the NOAUTH errors are redis-server's, word for word", async () => {
    // An unknown command and a wrong arity come first; a failed AUTH after a good one keeps the
    // client authenticated; QUIT is allowed before AUTH.
    const session = [
      "GET k", "NOPE x", "GET", "PING", "CLIENT SETNAME a", "CONFIG GET port", "AUTH", "AUTH wrong", "AUTH default wrong",
      "AUTH bob secret", "AUTH a b c", "HELLO 2", "HELLO", "HELLO 2 AUTH default wrong", "HELLO 2 AUTH default",
      "AUTH secret", "GET k", "AUTH wrong", "GET k", "AUTH default secret", "QUIT",
    ].map((line) => `${line}\r\n`).join("");
    const noPassword = ["AUTH x", "AUTH default x", "AUTH a b c", "HELLO 2 AUTH default", "PING", "QUIT"].map((line) => `${line}\r\n`).join("");
    const redis = await startRedis(["--requirepass", "secret"]);
    const redisOpen = await startRedis();
    const kv = await startServer(newDir(), ["--requirepass", "secret"]);
    const kvOpen = await startServer(newDir());
    try {
      const expected = await exchange(redis.port, session);
      expect(expected).toContain("-NOAUTH Authentication required.\r\n");
      expect(await exchange(kv.port, session)).toBe(expected);
      // Before AUTH, Redis's smaller limits: 10 arguments, 16 KB in one.
      for (const request of ["QUIT\r\n", "*11\r\n", "*2\r\n$3\r\nGET\r\n$16385\r\n", `*2\r\n$3\r\nGET\r\n$16384\r\n${"a".repeat(16384)}\r\nQUIT\r\n`]) {
        expect(await exchange(kv.port, request), request).toBe(await exchange(redis.port, request));
      }
      expect(await exchange(kvOpen.port, noPassword)).toBe(await exchange(redisOpen.port, noPassword));
      // Clients that know the password: ioredis (AUTH on connect), redis-cli -a, HELLO 2 AUTH.
      const withPassword = client(kv, { password: "secret" });
      expect(await withPassword.set("k", "v")).toBe("OK");
      expect(await withPassword.config("GET", "requirepass")).toEqual(["requirepass", "secret"]);
      withPassword.disconnect();
      expect(execFileSync("redis-cli", ["-p", String(kv.port), "-a", "secret", "--no-auth-warning", "GET", "k"], { encoding: "utf8" })).toBe("v\n");
      expect(await exchange(kv.port, "HELLO 2 AUTH default secret\r\nGET k\r\nQUIT\r\n")).toMatch(/^\*14\r\n[^]*\$1\r\nv\r\n\+OK\r\n$/);
    } finally {
      await Promise.all([redis, redisOpen, kv, kvOpen].map((server) => stopServer(server)));
    }
  });

  it("--maxclients N: client N+1 gets redis-server's error and is closed, across connection domains", async () => {
    const redis = await startRedis(["--maxclients", "2"]);
    const kv = await startServer(newDir(), ["--maxclients", "2", "--domains", "1"]);
    try {
      const replies: string[] = [];
      for (const server of [redis, kv]) {
        const first = await connection(server.port);
        const second = await connection(server.port);
        expect(await first.send("PING\r\n")).toBe("+PONG\r\n");
        expect(await second.send("PING\r\n")).toBe("+PONG\r\n");
        replies.push(await exchange(server.port, "PING\r\n"));
        // Once a client has gone, there is room again.
        await first.send("QUIT\r\n");
        await first.closed;
        if (server === kv) expect(await exchange(server.port, "PING\r\nQUIT\r\n")).toBe("+PONG\r\n+OK\r\n");
        second.socket.destroy();
      }
      expect(replies[0]).toBe("-ERR max number of clients reached\r\n");
      expect(replies[1]).toBe(replies[0]);
    } finally {
      await Promise.all([stopServer(redis), stopServer(kv)]);
    }
  });

  it("--timeout N closes a client idle for N seconds", async () => {
    const kv = await startServer(newDir(), ["--timeout", "1"]);
    try {
      const idle = await connection(kv.port);
      expect(await idle.send("PING\r\n")).toBe("+PONG\r\n");
      const since = Date.now();
      expect(await idle.closed).toBe("");
      expect(Date.now() - since).toBeGreaterThanOrEqual(900);
      const redis = client(kv);
      expect(await redis.config("GET", "timeout")).toEqual(["timeout", "1"]);
      redis.disconnect();
    } finally {
      await stopServer(kv);
    }
  });

  it("--proto-max-bulk-len and --client-query-buffer-limit refuse and close as redis-server does", async () => {
    const echo = (length: number, sent = length) => Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${length}\r\n`), Buffer.alloc(sent, 97), Buffer.from(sent === length ? "\r\nQUIT\r\n" : "")]);
    for (const [limits, requests] of [
      // A bulk string one byte too long is a protocol error; one of the limit is served.
      [["--proto-max-bulk-len", "1mb"], [echo(1048577, 0), echo(1048576)]],
      // A client with more than the limit of one unfinished argument buffered is closed.
      [["--client-query-buffer-limit", "1mb"], [echo(2_000_000, 1_100_000), echo(900_000)]],
    ] as const) {
      const redis = await startRedis([...limits]);
      const kv = await startServer(newDir(), [...limits]);
      try {
        const replies: string[] = [];
        for (const request of requests) {
          const expected = await exchange(redis.port, request);
          expect(await exchange(kv.port, request)).toBe(expected);
          replies.push(expected);
        }
        const redisClient = client(kv);
        expect(await redisClient.config("GET", limits[0].slice(2))).toEqual([limits[0].slice(2), "1048576"]);
        redisClient.disconnect();
        if (limits[0] === "--proto-max-bulk-len") expect(replies[0]).toBe("-ERR Protocol error: invalid bulk length\r\n");
        else expect(replies[0]).toBe("");
        expect(replies[1]!.endsWith("aaa\r\n+OK\r\n")).toBe(true);
      } finally {
        await Promise.all([stopServer(redis), stopServer(kv)]);
      }
    }
  });
});

describe("--appendfsync, seen from outside with strace", () => {
  /** Runs a server under strace, makes 20 SETs one after another, stops it; counts fdatasync calls. */
  async function fdatasyncs(policy: string, waitForSync: boolean): Promise<number> {
    const kv = await startServer(newDir(), ["--appendfsync", policy, "--single-domain"], ["strace", "-f", "-qq", "-e", "trace=fdatasync", "-e", "signal=none"]);
    const closed = new Promise((resolve) => kv.child.once("close", resolve));
    // `[pid N] fdatasync(fd` from a thread, `fdatasync(fd` from the main one; an interrupted call
    // goes on in a `<... fdatasync resumed>` line, which this does not count again.
    const count = () => kv.output().match(/^(?:\[pid +\d+\] )?fdatasync\(/gm)?.length ?? 0;
    const redis = client(kv);
    for (let i = 0; i < 20; i++) expect(await redis.set(`k${i}`, "v")).toBe("OK");
    // everysec: the sync a second later, seen when strace reports it.
    if (waitForSync) {
      await new Promise<void>((resolve) => {
        const check = () => count() > 0 && (kv.child.stderr!.off("data", check), resolve());
        kv.child.stderr!.on("data", check);
        check();
      });
    }
    await stopByInfo(redis);
    await closed;
    return count();
  }

  it("always syncs before every reply; everysec once a second; no only when the server stops", async () => {
    expect(await fdatasyncs("always", false)).toBeGreaterThanOrEqual(20);
    const start = Date.now();
    const everysec = await fdatasyncs("everysec", true);
    expect(everysec).toBeGreaterThanOrEqual(1);
    // At most one a second, and the last one on the way out.
    expect(everysec).toBeLessThanOrEqual(Math.ceil((Date.now() - start) / 1000) + 1);
    // Nothing while serving; the one sync is the server's last act, as redis-server's is.
    expect(await fdatasyncs("no", false)).toBe(1);
  }, 60_000);
});
