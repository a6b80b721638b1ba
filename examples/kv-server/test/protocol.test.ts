// kv-server against Debian's redis-server 7.0, on the wire: random input must get well-formed
// RESP replies (or a protocol error, then the close) and leave the server answering PING; the
// same commands must get the same bytes back from both; SCAN and INFO read as Redis's do.
// (Random junk is not compared byte for byte: Redis waits for a whole line before it finds a
// protocol error, and splits inline commands on fewer characters.)
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeReplies, encodeCommand } from "./reply.js";
import { newDir, type RunningServer, startRedis, startServer, stopAllAndClean, stopServer } from "./server.js";

let kv: RunningServer;
let redis: RunningServer;
const dir = newDir();

beforeAll(async () => {
  [kv, redis] = await Promise.all([startServer(dir), startRedis()]);
}, 120_000);
afterAll(async () => {
  expect(await stopServer(kv)).toBe(0);
  await stopServer(redis);
  await stopAllAndClean();
});

/** Sends `input`, half-closes, and returns every byte received until the server closes. */
function exchange(port: number, input: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const received: Buffer[] = [];
    socket.on("data", (chunk) => received.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" || error.code === "EPIPE" ? undefined : reject(error)));
    socket.on("close", () => resolve(Buffer.concat(received)));
    socket.end(input);
  });
}

/** Input a fuzzer finds interesting: RESP and inline fragments, command names and raw bytes. */
const junk = fc
  .array(
    fc.oneof(
      fc.constantFrom("*", "$", "*1\r\n", "*2\r\n", "*-1\r\n", "$-1\r\n", "$0\r\n", "$3\r\n", "\r\n", "\n", "\r", " ", '"', "'", "\\x41", "\\", "0", "-", "99999999999"),
      fc.constantFrom("GET", "SET", "PING", "ECHO", "INCR", "DEL", "MGET", "APPEND", "EXISTS", "SCAN", "nosuch", "k", "v", "EX", "NX"),
      fc.uint8Array({ minLength: 1, maxLength: 12 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
    ),
    { minLength: 1, maxLength: 20 },
  )
  .map((parts) => Buffer.from(parts.join(""), "latin1"));

/** The replies in `bytes`, which must all be whole; a protocol error may only come last. */
function wellFormed(bytes: Buffer): unknown[] {
  const { replies, rest } = decodeReplies(bytes);
  expect(rest.toString("latin1")).toBe("");
  const protocolError = replies.findIndex((reply) => typeof reply === "object" && reply !== null && "error" in reply && reply.error.startsWith("ERR Protocol error"));
  if (protocolError >= 0) expect(protocolError).toBe(replies.length - 1);
  return replies;
}

describe("random input", () => {
  it("10,000 inputs get well-formed replies (or a protocol error, last), and PING is answered after each batch", async () => {
    const ping = Buffer.concat([encodeCommand("PING"), encodeCommand("QUIT")]);
    let inputs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { minLength: 100, maxLength: 100 }), async (batch) => {
        await Promise.all(batch.map(async (input) => {
          wellFormed(await exchange(kv.port, input));
          inputs++;
        }));
        expect((await exchange(kv.port, ping)).toString()).toBe("+PONG\r\n+OK\r\n");
      }),
      { numRuns: 100 },
    );
    expect(inputs).toBe(10_000);
  }, 600_000);
});

/** Commands whose replies are the same bytes on any Redis-compatible server, given the same history. */
const key = fc.constantFrom("a", "b", "n", "\u00ff\u0000");
const command = fc.oneof(
  fc.tuple(fc.constant("SET"), key, fc.string({ maxLength: 5 })),
  fc.tuple(fc.constant("SET"), key, fc.constantFrom("1", "x"), fc.constantFrom("NX", "XX", "GET", "KEEPTTL", "EX", "PX")),
  fc.tuple(fc.constant("SET"), key, fc.constant("v"), fc.constantFrom("EX", "PX"), fc.constantFrom("100", "0", "-1", "x", "99999999999999999")),
  fc.tuple(fc.constantFrom("GET", "DEL", "EXISTS", "INCR", "DECR", "STRLEN", "TYPE", "PERSIST"), key),
  fc.tuple(fc.constantFrom("INCRBY", "DECRBY", "APPEND"), key, fc.constantFrom("1", "-5", "9223372036854775807", "x", "")),
  fc.tuple(fc.constantFrom("EXPIRE", "PEXPIRE"), key, fc.constantFrom("100", "-1", "x"), fc.constantFrom("NX", "XX", "GT", "LT", "ZZ")),
  fc.tuple(fc.constantFrom("MGET", "DEL", "EXISTS"), key, key),
  fc.tuple(fc.constant("MSET"), key, fc.constant("1"), key),
  // SCAN's keys come in hash-table order in Redis: only its errors are the same bytes.
  fc.constantFrom(["SCAN", "x"], ["SCAN", "18446744073709551616", "COUNT", "5"], ["SCAN", "0", "COUNT", "0"], ["SCAN", "0", "COUNT", "x"], ["SCAN", "0", "FOO", "1"], ["SCAN", "0", "MATCH"]),
  fc.tuple(fc.constantFrom("GET", "INCRBY", "SET", "NOSUCH", "DBSIZE")),
);

describe("the same commands", () => {
  it("get the same bytes back from kv-server and redis-server (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
        const bytes = Buffer.concat([encodeCommand("FLUSHALL"), ...commands.map((args) => encodeCommand(...args.map((a) => Buffer.from(a, "latin1"))))]);
        const [ours, theirs] = await Promise.all([exchange(kv.port, bytes), exchange(redis.port, bytes)]);
        expect(ours.toString("latin1")).toBe(theirs.toString("latin1"));
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});

describe("SCAN and INFO as clients use them", () => {
  it("ioredis's scanStream returns every key, and redis-cli --scan with a pattern", async () => {
    const client = new Redis({ port: kv.port, host: "127.0.0.1" });
    try {
      await client.flushall();
      const pipeline = client.pipeline();
      for (let i = 0; i < 1000; i++) pipeline.set(`scan:${i}`, "v");
      await pipeline.exec();
      const keys: string[] = [];
      for await (const found of client.scanStream({ match: "scan:*", count: 50 })) keys.push(...(found as string[]));
      expect(new Set(keys).size).toBe(1000);
      const cli = execFileSync("redis-cli", ["-p", String(kv.port), "--scan", "--pattern", "scan:99*"], { encoding: "utf8" });
      expect(cli.trim().split("\n").sort()).toEqual(["scan:99", "scan:990", "scan:991", "scan:992", "scan:993", "scan:994", "scan:995", "scan:996", "scan:997", "scan:998", "scan:999"]);
    } finally {
      client.disconnect();
    }
  });

  it("INFO has Redis's sections and the fields tools read, in Redis's format, with true numbers", async () => {
    const info = async (port: number, ...section: string[]) => execFileSync("redis-cli", ["-p", String(port), "INFO", ...section], { encoding: "utf8" });
    const fields = (text: string) => new Map(text.split(/\r?\n/).filter((line) => /^[a-z_0-9]+:/.test(line)).map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]));
    const sections = (text: string) => text.split(/\r?\n/).filter((line) => line.startsWith("# "));
    const ours = await info(kv.port);
    const theirs = await info(redis.port);
    const expectedSections = ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"];
    expect(sections(ours)).toEqual(expectedSections);
    expect(expectedSections.every((section) => sections(theirs).includes(section))).toBe(true);
    const ourFields = fields(ours);
    for (const name of fields(theirs).keys()) {
      if (["redis_version", "redis_mode", "role", "tcp_port", "process_id", "run_id", "uptime_in_seconds", "used_memory", "loading",
        "rdb_changes_since_last_save", "aof_enabled", "aof_rewrite_in_progress", "aof_last_bgrewrite_status", "aof_last_write_status",
        "total_commands_processed", "instantaneous_ops_per_sec", "keyspace_hits", "keyspace_misses", "connected_slaves", "cluster_enabled",
        "connected_clients", "maxmemory", "used_cpu_sys"].includes(name)) {
        expect(ourFields.has(name), name).toBe(true);
      }
    }
    expect(ourFields.get("process_id")).toBe(fs.readFileSync(`${dir}/kv.lock`, "latin1").split(" ")[0]);

    // The same history on both: the same keyspace line and the same count of changes.
    for (const port of [kv.port, redis.port]) {
      const client = new Redis({ port, host: "127.0.0.1" });
      try {
        await client.flushall();
        await client.set("a", "1");
        await client.set("b", "2", "EX", 1000);
        await client.incr("a");
        await client.get("a");
        await client.get("missing");
      } finally {
        client.disconnect();
      }
    }
    const [ourKeyspace, theirKeyspace] = [await info(kv.port, "keyspace"), await info(redis.port, "keyspace")];
    // avg_ttl is Redis's estimate, made by its expiry cycle: 0 until that has run.
    expect(ourKeyspace.replace(/avg_ttl=\d+/, "avg_ttl=_")).toBe(theirKeyspace.replace(/avg_ttl=\d+/, "avg_ttl=_"));
    expect(ourKeyspace).toMatch(/^# Keyspace\r?\ndb0:keys=2,expires=1,avg_ttl=\d+\r?\n/);
    const after = fields(await info(kv.port, "persistence"));
    const changes = Number(after.get("rdb_changes_since_last_save"));
    // FLUSHALL, two SETs and an INCR since the last INFO: at least 4 more than 0.
    expect(changes).toBeGreaterThanOrEqual(4);
    const stats = fields(await info(kv.port, "stats"));
    expect(Number(stats.get("keyspace_misses"))).toBeGreaterThanOrEqual(1);
    expect(Number(stats.get("keyspace_hits"))).toBeGreaterThanOrEqual(1);
  });
});
