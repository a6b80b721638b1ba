// MULTI, EXEC, DISCARD, WATCH and UNWATCH on the built server, compared reply for reply with
// Debian's redis-server 7.0 started beside it; WATCH as a check-and-set under contention; and
// under strace, one fsync per EXEC, before its reply.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertProperty } from "../../../test/support/fc.js";
import { runScript, type Step } from "./script.js";
import { besideRedis, bothRun, newDir, SHAPES, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

const s = (on: string, ...command: string[]): Step => ({ on, command });

const SCENARIOS: Record<string, Step[]> = {
  "queued replies, errors inside EXEC reported per command, connection commands in the transaction": [
    s("a", "SET", "str", "abc"), s("a", "MULTI"), s("a", "SET", "k", "1"), s("a", "INCR", "k"), s("a", "INCR", "str"),
    s("a", "PING"), s("a", "ECHO", "hi"), s("a", "CLIENT", "SETNAME", "tx"), s("a", "GET", "k"), s("a", "PUBLISH", "ch", "m"),
    s("a", "SET", "k", "v", "BADOPTION"), s("a", "EXEC"), s("a", "CLIENT", "GETNAME"), s("a", "EXEC"),
  ],
  "EXECABORT after an unknown command or a wrong arity; nested MULTI and WATCH inside MULTI are refused without aborting": [
    s("a", "MULTI"), s("a", "MULTI"), s("a", "WATCH", "x"), s("a", "SET", "x", "1"), s("a", "EXEC"), s("a", "GET", "x"),
    s("a", "MULTI"), s("a", "SET", "x", "2"), s("a", "NOSUCHCOMMAND", "arg"), s("a", "SET", "y", "3"), s("a", "EXEC"),
    s("a", "MGET", "x", "y"),
    s("a", "MULTI"), s("a", "GET"), s("a", "EXEC"), s("a", "MULTI"), s("a", "PUBSUB", "NOSUCH"), s("a", "EXEC"),
  ],
  "EXEC and DISCARD without MULTI, an empty transaction, DISCARD, QUIT inside MULTI": [
    s("a", "EXEC"), s("a", "DISCARD"), s("a", "MULTI"), s("a", "EXEC"), s("a", "MULTI"), s("a", "SET", "d", "1"),
    s("a", "DISCARD"), s("a", "GET", "d"), s("a", "MULTI"), s("a", "DISCARD"), s("a", "DISCARD"),
    s("a", "EXEC", "extra"), s("a", "MULTI", "extra"), s("a", "WATCH"), s("a", "UNWATCH", "x"),
  ],
  "WATCH: a key touched by another client, by the watcher itself, by DEL or EXPIRE aborts EXEC with a null array": [
    s("a", "SET", "w", "0"), s("a", "WATCH", "w"), s("b", "SET", "w", "1"), s("a", "MULTI"), s("a", "SET", "w", "2"), s("a", "EXEC"), s("a", "GET", "w"),
    s("a", "WATCH", "w"), s("a", "INCR", "w"), s("a", "MULTI"), s("a", "INCR", "w"), s("a", "EXEC"),
    s("a", "WATCH", "w"), s("b", "DEL", "w"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "SET", "w", "0"), s("a", "WATCH", "w"), s("b", "EXPIRE", "w", "100"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "w"), s("b", "PERSIST", "w"), s("a", "MULTI"), s("a", "EXEC"),
    // Writes that change nothing do not touch: SET NX on an existing key, DEL of a missing key.
    s("a", "WATCH", "w", "nothing"), s("b", "SET", "w", "9", "NX"), s("b", "DEL", "nothing"), s("b", "PERSIST", "w"),
    s("a", "MULTI"), s("a", "GET", "w"), s("a", "EXEC"),
  ],
  "WATCH and the other types: a change touches its key (RENAME both), a write that changes nothing does not": [
    s("a", "HSET", "h", "f", "1"), s("a", "WATCH", "h"), s("b", "HSET", "h", "f", "1"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "h"), s("b", "HDEL", "h", "nofield"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "SADD", "st", "m"), s("a", "WATCH", "st"), s("b", "SADD", "st", "m"), s("b", "SREM", "st", "x"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "st"), s("b", "SPOP", "st"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "RPUSH", "l", "a", "b"), s("a", "WATCH", "l"), s("b", "LREM", "l", "0", "z"), s("b", "LINSERT", "l", "BEFORE", "z", "y"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "l"), s("b", "LTRIM", "l", "0", "-1"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "l"), s("b", "LMOVE", "l", "l2", "LEFT", "LEFT"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "ZADD", "z", "1", "m"), s("a", "WATCH", "z"), s("b", "ZADD", "z", "1", "m"), s("b", "ZREM", "z", "x"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "z"), s("b", "ZINCRBY", "z", "1", "m"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "target"), s("b", "RENAME", "z", "target"), s("a", "MULTI"), s("a", "EXEC"),
  ],
  "WATCH on missing keys, UNWATCH, DISCARD and EXEC unwatch; FLUSHALL touches only keys that exist": [
    s("a", "WATCH", "nokey"), s("b", "SET", "nokey", "1"), s("b", "DEL", "nokey"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "u"), s("a", "UNWATCH"), s("b", "SET", "u", "1"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "u"), s("a", "MULTI"), s("a", "DISCARD"), s("b", "SET", "u", "2"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "u"), s("a", "MULTI"), s("a", "EXEC"), s("b", "SET", "u", "3"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "u"), s("a", "MULTI"), s("a", "NOSUCH"), s("a", "EXEC"), s("b", "SET", "u", "4"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "absent"), s("b", "FLUSHALL"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "SET", "present", "1"), s("a", "WATCH", "present"), s("b", "FLUSHDB"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "WATCH", "x", "y"), s("b", "SET", "x", "1"), s("a", "WATCH", "z"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "MULTI"), s("a", "UNWATCH"), s("a", "EXEC"),
  ],
  "WATCH and expiry: a watched key that expires aborts EXEC; one already expired when watched does not": [
    // Live when watched (a second is ample time for the next step, even on a loaded machine), expired at EXEC.
    s("a", "SET", "e", "1", "PX", "1000"), s("a", "WATCH", "e"), { on: "a", command: ["MULTI"], after: 1100 }, s("a", "GET", "e"), s("a", "EXEC"),
    s("a", "SET", "e", "1", "PX", "20"), { on: "a", command: ["WATCH", "e"], after: 50 }, s("a", "MULTI"), s("a", "GET", "e"), s("a", "EXEC"),
    // Already expired when watched, then removed by a read: no logical change; then set again: a change.
    s("a", "SET", "e", "1", "PX", "20"), { on: "a", command: ["WATCH", "e"], after: 50 }, s("b", "GET", "e"), s("a", "MULTI"), s("a", "EXEC"),
    s("a", "SET", "e", "1", "PX", "20"), { on: "a", command: ["WATCH", "e"], after: 50 }, s("b", "SET", "e", "2"), s("a", "MULTI"), s("a", "EXEC"),
  ],
};

describe.each(SHAPES)("transactions, compared with redis-server 7.0 (kv-server %s)", (_shape, shapeArgs) => {
  const pair = besideRedis(shapeArgs);

  it.each(Object.entries(SCENARIOS))("%s", async (_name, steps) => {
    const [ours, theirs] = await bothRun(pair, [{ on: "z", command: ["FLUSHALL"] }, ...steps]);
    expect(ours).toEqual(theirs);
  });

  it("random sequences of two clients' transactions and writes get redis-server's replies", async () => {
    const key = fc.constantFrom("k1", "k2", "k3");
    const command: fc.Arbitrary<string[]> = fc.oneof(
      { arbitrary: fc.constantFrom<string[]>(["MULTI"], ["EXEC"], ["DISCARD"], ["UNWATCH"]), weight: 6 },
      { arbitrary: fc.array(key, { minLength: 1, maxLength: 2 }).map((keys) => ["WATCH", ...keys]), weight: 3 },
      { arbitrary: fc.tuple(key, fc.constantFrom("1", "7", "x")).map(([k, v]) => ["SET", k, v]), weight: 4 },
      { arbitrary: key.map((k) => ["INCR", k]), weight: 3 },
      { arbitrary: key.map((k) => ["GET", k]), weight: 2 },
      { arbitrary: key.map((k) => ["DEL", k]), weight: 1 },
      { arbitrary: fc.tuple(key, fc.constantFrom("100", "-1")).map(([k, s]) => ["EXPIRE", k, s]), weight: 1 },
      { arbitrary: key.map((k) => ["SET", k, "1", "NX"]), weight: 1 },
      { arbitrary: fc.constantFrom<string[]>(["GET"], ["NOSUCH", "x"], ["PING"], ["FLUSHALL"], ["WATCH"], ["EXEC", "x"]), weight: 1 },
    );
    const steps = fc.array(fc.tuple(fc.constantFrom("a", "b"), command).map(([on, c]): Step => ({ on, command: c })), { minLength: 5, maxLength: 40 });
    await assertProperty(fc.asyncProperty(steps, async (script) => {
      const full = [{ on: "z", command: ["FLUSHALL"] }, ...script];
      const [ours, theirs] = await bothRun(pair, full);
      expect(ours).toEqual(theirs);
    }), { numRuns: 40 });
  }, 120_000);

  it("WATCH is a check-and-set: concurrent optimistic increments from many clients lose none", async () => {
    const clients = Array.from({ length: 8 }, () => new Redis({ host: "127.0.0.1", port: pair.kv.port, maxRetriesPerRequest: 0, retryStrategy: () => null }));
    try {
      await clients[0]!.set("cas", "0");
      let committed = 0;
      let aborted = 0;
      await Promise.all(clients.map(async (redis) => {
        for (let done = 0; done < 25; ) {
          await redis.watch("cas");
          const value = Number(await redis.get("cas"));
          const result = await redis.multi().set("cas", String(value + 1)).exec();
          if (result === null) aborted++;
          else {
            committed++;
            done++;
          }
        }
      }));
      expect(committed).toBe(200);
      expect(await clients[0]!.get("cas")).toBe("200");
      // With 8 clients racing on one key, some transactions must have seen a touched key.
      expect(aborted).toBeGreaterThan(0);
    } finally {
      for (const redis of clients) redis.disconnect();
    }
  }, 60_000);
});

/** strace's `\xNN` spelling of `text`, as -x prints a buffer that holds other bytes than text. */
function hex(text: string): string {
  return [...Buffer.from(text)].map((byte) => `\\x${byte.toString(16).padStart(2, "0")}`).join("");
}

describe.each([["storage domain", []], ["one domain", ["--single-domain"]]] as [string, string[]][])("EXEC under strace -f (%s)", (_shape, args) => {
  it("commits a transaction with one fdatasync of the log, before EXEC's reply, and its records in one write", async () => {
    const dir = newDir();
    const trace = path.join(dir, "strace.out");
    const calls = "trace=write,writev,pwrite64,pwritev,fsync,fdatasync,sendmsg,sendto";
    const server = await startServer(dir, args, ["strace", "-f", "-qq", "-yy", "-x", "-s", "65536", "-e", calls, "-o", trace]);
    const redis = new Redis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await redis.ping();
    const transactions = 10;
    const writes = 5;
    for (let t = 0; t < transactions; t++) {
      const multi = redis.multi();
      for (let w = 0; w < writes; w++) multi.set(`tx${t}-key${w}`, `tx${t}-value${w}`);
      const result = await multi.exec();
      expect(result).toEqual(Array.from({ length: writes }, () => [null, "OK"]));
    }
    redis.disconnect();
    const pid = Number(fs.readFileSync(path.join(dir, "kv.lock"), "latin1").split(" ")[0]);
    process.kill(pid, "SIGTERM");
    expect(await server.exited).toBe(0);

    const lines = fs.readFileSync(trace, "latin1").split("\n");
    const log = `${path.join(dir, "kv.log")}>`;
    const socket = (line: string) => /^\d+\s+(write|writev|sendmsg|sendto)\(\d+/.test(line) && !line.includes(log);
    // (The log and the directory are fsynced once at start: fsync, not fdatasync.)
    const syncStarts = lines.flatMap((line, at) => (/^\d+\s+fdatasync\(/.test(line) ? [at] : []));
    const syncDone = lines.flatMap((line, at) => {
      const done = (/^\d+\s+fdatasync\(\d+<[^>]*kv\.log>\) += 0$/.test(line)) || (/<\.\.\. fdatasync resumed>/.test(line) && / = 0$/.test(line));
      return done ? [at] : [];
    });
    // EXEC's reply: an array of `writes` +OKs.
    const execReply = hex(`*${writes}\r\n${"+OK\r\n".repeat(writes)}`);
    const replies = lines.flatMap((line, at) => (socket(line) && (line.includes(execReply) || line.includes(`*${writes}\\r\\n+OK\\r\\n`)) ? [at] : []));
    expect(replies.length, "EXEC replies seen").toBe(transactions);
    // One fdatasync per EXEC, and none besides (the stop syncs nothing more under always).
    expect(syncStarts.length, lines.filter((line) => /sync/.test(line)).join("\n")).toBe(transactions);
    for (let t = 0; t < transactions; t++) {
      // All of the transaction's records in one write to the log.
      const logWrites = lines.flatMap((line, at) => (line.includes(log) && /^\d+\s+(write|writev|pwrite64|pwritev)\(/.test(line) && line.includes(hex(`tx${t}-value`)) ? [at] : []));
      expect(logWrites.length, `log writes of transaction ${t}`).toBe(1);
      expect(Array.from({ length: writes }, (_, w) => lines[logWrites[0]!]!.includes(hex(`tx${t}-value${w}`)))).toEqual(Array(writes).fill(true));
      const synced = syncDone.find((at) => at > logWrites[0]!);
      expect(synced, `an fdatasync after transaction ${t} was written`).toBeDefined();
      expect(replies[t]!, `EXEC ${t}'s reply comes after the fdatasync that covers it`).toBeGreaterThan(synced!);
    }
  }, 120_000);
});
