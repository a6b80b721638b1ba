// Durability at any size, checked on the real server process: damaged logs, the directory
// lock, fsync before the reply (seen from outside with strace), rewrites that fail, and values
// of hundreds of megabytes while other clients are served.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { newDir, type RunningServer, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

function client(server: RunningServer): Redis {
  return new Redis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** The offsets of the log's records, read from their frames. */
function recordOffsets(file: string): number[] {
  const bytes = fs.readFileSync(file);
  const offsets: number[] = [];
  for (let at = 8; at + 8 <= bytes.length; at += 8 + bytes.readUInt32LE(at)) offsets.push(at);
  return offsets;
}

const SHAPES: [string, string[]][] = [["storage domain", []], ["one domain", ["--single-domain"]]];

describe.each(SHAPES)("a damaged log (%s)", (_shape, args) => {
  it("refuses to start on a bad record before the end, naming the file, the offset and the repair; changes nothing", async () => {
    const dir = newDir();
    const server = await startServer(dir, args);
    const redis = client(server);
    for (let i = 0; i < 300; i++) expect(await redis.set(`key${i}`, `value ${i}`)).toBe("OK");
    redis.disconnect();
    expect(await stopServer(server)).toBe(0);
    const file = path.join(dir, "kv.log");
    const offset = recordOffsets(file)[102]!;
    const bytes = fs.readFileSync(file);
    bytes[offset + 14] ^= 0x01;
    fs.writeFileSync(file, bytes);

    const failed = startServer(dir, args);
    await expect(failed).rejects.toThrow(new RegExp(`the log ${file} is damaged at byte ${offset} `));
    await expect(failed).rejects.toThrow(/exited \(1\)/);
    await expect(failed).rejects.toThrow(/--repair-log skip/);
    // Only the message: no stack under it.
    await expect(failed).rejects.not.toThrow(/\n\s+at /);
    await expect(failed).rejects.toThrow(new RegExp(`truncate -s ${offset} '${file}'`));
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.existsSync(path.join(dir, "kv.lock"))).toBe(false);

    // --repair-log skip drops only the damaged record, keeping a copy of the damaged log.
    const repaired = await startServer(dir, [...args, "--repair-log", "skip"]);
    const check = client(repaired);
    try {
      const values = await check.mget(...Array.from({ length: 300 }, (_, i) => `key${i}`));
      expect(values.flatMap((value, i) => (value === `value ${i}` ? [] : [i]))).toEqual([102]);
      expect(fs.readFileSync(`${file}.damaged`).equals(bytes)).toBe(true);
    } finally {
      check.disconnect();
      expect(await stopServer(repaired)).toBe(0);
    }
  }, 60_000);

  it("cuts a torn tail with a log line and keeps every whole record", async () => {
    const dir = newDir();
    let server = await startServer(dir, args);
    let redis = client(server);
    for (let i = 0; i < 50; i++) await redis.set(`key${i}`, `value ${i}`);
    redis.disconnect();
    await stopServer(server);
    const file = path.join(dir, "kv.log");
    const whole = fs.statSync(file).size;
    // The start of a 300-byte record whose append was cut short by a crash.
    fs.appendFileSync(file, Buffer.concat([Buffer.from([44, 1, 0, 0, 1, 2, 3, 4, 1]), Buffer.alloc(40, 9)]));
    server = await startServer(dir, args);
    expect(server.output()).toMatch(new RegExp(`cut a torn tail of 49 bytes at byte ${whole} of ${file}`));
    redis = client(server);
    try {
      expect(await redis.mget(...Array.from({ length: 50 }, (_, i) => `key${i}`))).toEqual(Array.from({ length: 50 }, (_, i) => `value ${i}`));
    } finally {
      redis.disconnect();
      await stopServer(server);
    }
  }, 60_000);
});

describe("the data directory lock", () => {
  it("a second server on the same dir exits non-zero naming the dir and the first one's pid; after a kill -9 the lock is stale", async () => {
    const dir = newDir();
    const first = await startServer(dir);
    // In both shapes, the message alone on one line: no stack, no "failed:" around it.
    for (const args of [[], ["--single-domain"]]) {
      const second = startServer(dir, args);
      await expect(second).rejects.toThrow(new RegExp(`exited \\(1\\) before listening:\n` +
        `kv-server: the data directory ${dir} is in use by process ${first.child.pid}: [^\n]*--dir\\.\n$`));
    }
    // The first one still serves.
    const redis = client(first);
    expect(await redis.set("k", "v")).toBe("OK");
    redis.disconnect();
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    expect(fs.readFileSync(path.join(dir, "kv.lock"), "latin1")).toMatch(new RegExp(`^${first.child.pid} `));
    const third = await startServer(dir);
    const again = client(third);
    try {
      expect(await again.get("k")).toBe("v");
    } finally {
      again.disconnect();
      expect(await stopServer(third)).toBe(0);
    }
  }, 60_000);
});

/** strace's `\xNN` spelling of `text`, as -x prints a buffer that holds other bytes than text. */
function hex(text: string): string {
  return [...Buffer.from(text)].map((byte) => `\\x${byte.toString(16).padStart(2, "0")}`).join("");
}

/**
 * The shapes and the log's open flags: with O_DSYNC a write to the log is durable when it
 * returns (no fdatasync follows it), otherwise an fdatasync that returns after it makes it so.
 */
const TRACED: [string, string[], { open: RegExp; dsync: boolean }][] = [
  ["storage domain", [], { open: /O_APPEND/, dsync: false }],
  ["one domain", ["--single-domain"], { open: /O_APPEND/, dsync: false }],
  ["--log-open-flags dsync", ["--log-open-flags", "dsync"], { open: /O_DSYNC/, dsync: true }],
  ["--log-open-flags direct", ["--log-open-flags", "direct"], { open: /O_DIRECT/, dsync: false }],
];

describe.each(TRACED)("the log durable before the reply, seen with strace -f (%s)", (_shape, args, expected) => {
  it("every +OK to a SET is written to the client after the log write that holds the SET is durable", async () => {
    const dir = newDir();
    const trace = path.join(dir, "strace.out");
    const calls = "trace=openat,write,writev,pwrite64,pwritev,fsync,fdatasync,sendmsg,sendto";
    const server = await startServer(dir, args, ["strace", "-f", "-qq", "-yy", "-x", "-s", "4096", "-e", calls, "-o", trace]);
    const redis = client(server);
    const values = Array.from({ length: 20 }, (_, i) => `strace-value-${i}-${"x".repeat(i)}`);
    await redis.ping();
    for (const [i, value] of values.entries()) expect(await redis.set(`strace-key-${i}`, value)).toBe("OK");
    redis.disconnect();
    // The node process is strace's child: stop it, strace ends with it.
    const pid = Number(fs.readFileSync(path.join(dir, "kv.lock"), "latin1").split(" ")[0]);
    process.kill(pid, "SIGTERM");
    expect(await server.exited).toBe(0);

    const lines = fs.readFileSync(trace, "latin1").split("\n");
    const logPath = path.join(dir, "kv.log");
    const log = `${logPath}>`;
    // The log opened for the appends, through eio-ts (O_RDWR), with the flags asked for.
    const opened = lines.filter((line) => /^\d+\s+openat\(/.test(line) && line.includes(`"${logPath}"`) && line.includes("O_RDWR"));
    expect(opened.length, lines.filter((line) => line.includes("openat")).join("\n")).toBe(1);
    expect(opened[0]).toMatch(expected.open);
    expect(/O_DSYNC/.test(opened[0]!)).toBe(expected.dsync);
    // A write to the client: any write that is not to the log (the server has no other client,
    // and prints no "+OK" elsewhere). strace pads the pid column when pids differ in width
    // ("3403  write(..."), so every pattern allows more than one space after the pid: with one,
    // the test found no reply at all whenever a thread of the server had a longer pid.
    const socket = { test: (line: string) => /^\d+\s+(write|writev|sendmsg|sendto)\(\d+/.test(line) && !line.includes(log) };
    // Where each call on the log returned: its own line, or its "resumed" line.
    const returned = (at: number): number => {
      if (!lines[at]!.includes("<unfinished ...>")) return at;
      const pidOf = lines[at]!.split(" ")[0]!;
      const call = /^\d+\s+(\w+)\(/.exec(lines[at]!)![1]!;
      return lines.findIndex((line, i) => i > at && line.startsWith(`${pidOf} `) && line.includes(`<... ${call} resumed>`));
    };
    const syncDone: number[] = [];
    lines.forEach((line, at) => {
      if (/^\d+\s+f(data)?sync\(\d+</.test(line) && line.includes(log)) {
        const done = returned(at);
        if (done > 0 && / = 0$/.test(lines[done]!)) syncDone.push(done);
      }
    });
    // ioredis's own commands on connect (CLIENT SETINFO) get +OK too: count from the PING's reply.
    const pong = lines.findIndex((line) => socket.test(line) && line.includes("+PONG"));
    expect(pong, "the reply to PING").toBeGreaterThan(0);
    const replies = lines.flatMap((line, at) => (at > pong && socket.test(line) && line.includes('"+OK\\r\\n"') ? [at] : []));
    expect(replies.length, lines.filter((line) => socket.test(line)).join("\n")).toBe(values.length);
    for (const [i, value] of values.entries()) {
      const written = lines.findIndex((line) => line.includes(log) && /^\d+\s+(write|writev|pwrite64|pwritev)\(/.test(line) && line.includes(hex(value)));
      expect(written, `the log write of SET ${i}`).toBeGreaterThan(0);
      const writeDone = returned(written);
      expect(writeDone, `the log write of SET ${i} returned`).toBeGreaterThan(0);
      // O_DSYNC: durable once the write returns; else once an fdatasync after it returns.
      const durable = expected.dsync ? writeDone : syncDone.find((at) => at > writeDone);
      expect(durable, `the log write of SET ${i} made durable`).toBeDefined();
      expect(replies[i]!, `the +OK of SET ${i} comes after the log holds it durably`).toBeGreaterThan(durable!);
    }
  }, 120_000);
});

describe("rewrites", () => {
  it("a rewrite that fails fails no client, and the server goes on with the old log until one succeeds", async () => {
    const dir = newDir();
    const server = await startServer(dir, ["--compact-bytes", "20000"]);
    // The rewrite's file cannot be created: a directory is in its place.
    fs.mkdirSync(path.join(dir, "kv.log.rewrite"));
    const redis = client(server);
    try {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 400; i++) pipeline.set(`key${i % 50}`, `value ${i} ${"x".repeat(100)}`);
      const results = (await pipeline.exec())!;
      expect(results.filter(([error, value]) => error !== null || value !== "OK")).toEqual([]);
      for (let i = 0; i < 200; i++) expect(await redis.set(`more${i % 20}`, "y".repeat(200))).toBe("OK");
      const info = await redis.info("persistence");
      expect(info).toMatch(/aof_last_bgrewrite_status:err/);
      expect(info).toMatch(/aof_rewrites:0/);
      expect(server.output()).toMatch(/the log rewrite failed, the server goes on with the old log: EISDIR/);
      fs.rmdirSync(path.join(dir, "kv.log.rewrite"));
      // Once the log has doubled again, a rewrite runs and succeeds.
      let rewritten = "";
      for (let i = 0; !/aof_rewrites:[1-9]/.test(rewritten); i++) {
        expect(await redis.set(`again${i % 20}`, "z".repeat(500))).toBe("OK");
        rewritten = await redis.info("persistence");
      }
      expect(rewritten).toMatch(/aof_last_bgrewrite_status:ok/);
    } finally {
      redis.disconnect();
    }
    expect(await stopServer(server)).toBe(0);
    const reopened = await startServer(dir);
    const check = client(reopened);
    try {
      expect(await check.get("key49")).toBe(`value 399 ${"x".repeat(100)}`);
      expect(await check.get("more19")).toBe("y".repeat(200));
    } finally {
      check.disconnect();
      await stopServer(reopened);
    }
  }, 120_000);

  it("keeps every acknowledged write across kill -9 at random moments, rewrites included", async () => {
    const dir = newDir();
    const acknowledged = new Map<string, string>();
    // The SET each writer had in flight when the server was killed: it may or may not have been applied.
    const inFlight = new Map<string, string>();
    let rewrites = 0;
    for (let round = 0; round < 20; round++) {
      const server = await startServer(dir, ["--compact-bytes", "20000"]);
      const redis = client(server);
      const missing = [];
      const keys = [...acknowledged.keys()];
      const stored = keys.length === 0 ? [] : await redis.mget(...keys);
      for (const [i, key] of keys.entries()) {
        if (stored[i] === acknowledged.get(key)) continue;
        if (stored[i] === inFlight.get(key)) acknowledged.set(key, stored[i]!);
        else missing.push(key);
      }
      inFlight.clear();
      expect(missing, `after round ${round - 1}`).toEqual([]);
      const writers = Array.from({ length: 3 }, () => client(server));
      const target = 50 + Math.floor(Math.random() * 300);
      let done = 0;
      let killed = false;
      await Promise.all(writers.map(async (writer, w) => {
        for (let i = 0; !killed; i++) {
          const key = `r${w}:${i % 40}`;
          const value = `${round}:${i}:${"v".repeat((i * 37) % 2000)}`;
          try {
            if ((await writer.set(key, value)) === "OK") acknowledged.set(key, value);
          } catch {
            inFlight.set(key, value);
            return;
          }
          if (++done === target) {
            killed = true;
            const info = await redis.info("persistence");
            if (/aof_rewrites:[1-9]|aof_rewrite_in_progress:1/.test(info)) rewrites++;
            server.child.kill("SIGKILL");
          }
        }
      }));
      expect(await server.exited).toBe("SIGKILL");
      for (const writer of [redis, ...writers]) writer.disconnect();
    }
    expect(rewrites).toBeGreaterThan(0);
  }, 300_000);
});

/**
 * One writer's keys of every type, as acknowledged: each step is a command and the state it
 * leaves (computed before it is sent), so that after a kill the state on disk must be the one
 * acknowledged or, for the one command in flight, the one it would have made.
 */
interface TypedModel {
  hash: Record<string, string>;
  list: string[];
  set: string[];
  zset: Record<string, number>;
  counter: number;
}

function typedStep(w: number, i: number, round: number, model: TypedModel): { command: string[]; key: string; after: TypedModel } {
  const after: TypedModel = structuredClone(model);
  const value = `${round}:${i}:${"v".repeat((i * 37) % 300)}`;
  switch (i % 8) {
    case 0: case 1:
      after.hash[`f${i % 20}`] = value;
      return { command: ["HSET", `h${w}`, `f${i % 20}`, value], key: `h${w}`, after };
    case 2:
      after.list.push(value);
      return { command: ["RPUSH", `l${w}`, value], key: `l${w}`, after };
    case 3:
      after.list.shift();
      return { command: ["LPOP", `l${w}`], key: `l${w}`, after };
    case 4:
      if (!after.set.includes(`m${i % 30}`)) after.set.push(`m${i % 30}`);
      return { command: ["SADD", `s${w}`, `m${i % 30}`], key: `s${w}`, after };
    case 5:
      after.set = after.set.filter((m) => m !== `m${(i + 8) % 30}`);
      return { command: ["SREM", `s${w}`, `m${(i + 8) % 30}`], key: `s${w}`, after };
    case 6:
      after.zset[`m${i % 25}`] = (after.zset[`m${i % 25}`] ?? 0) + 0.5;
      return { command: ["ZINCRBY", `z${w}`, "0.5", `m${i % 25}`], key: `z${w}`, after };
    default:
      after.counter++;
      return { command: ["INCR", `c${w}`], key: `c${w}`, after };
  }
}

/** The part of a model that `key` holds, as the server shows it (order taken out where Redis leaves it open). */
function typedView(model: TypedModel, key: string): unknown {
  switch (key[0]) {
    case "h": return Object.entries(model.hash).sort();
    case "l": return model.list;
    case "s": return [...model.set].sort();
    case "z": return Object.entries(model.zset).sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1)).map(([m, s]) => [m, String(s)]);
    default: return model.counter === 0 ? null : String(model.counter);
  }
}

async function typedRead(redis: Redis, key: string): Promise<unknown> {
  switch (key[0]) {
    case "h": return Object.entries(await redis.hgetall(key)).sort();
    case "l": return redis.lrange(key, 0, -1);
    case "s": return (await redis.smembers(key)).sort();
    case "z": {
      const flat = await redis.zrange(key, 0, -1, "WITHSCORES");
      return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
    }
    default: return redis.get(key);
  }
}

describe.each(SHAPES)("every type across kill -9 (%s)", (_shape, args) => {
  it("keeps every acknowledged write to hashes, lists, sets, sorted sets and counters, rewrites included", async () => {
    const dir = newDir();
    const writers = 3;
    const models: TypedModel[] = Array.from({ length: writers }, () => ({ hash: {}, list: [], set: [], zset: {}, counter: 0 }));
    // The command each writer had in flight when the server was killed: it may or may not have been applied.
    const inFlight: ({ key: string; after: TypedModel } | null)[] = Array.from({ length: writers }, () => null);
    let rewrites = 0;
    let steps = 0;
    for (let round = 0; ; round++) {
      const server = await startServer(dir, [...args, "--compact-bytes", "20000"]);
      const redis = client(server);
      for (let w = 0; w < writers; w++) {
        for (const key of ["h", "l", "s", "z", "c"].map((k) => `${k}${w}`)) {
          const stored = await typedRead(redis, key);
          const pending = inFlight[w];
          if (pending?.key === key && JSON.stringify(stored) === JSON.stringify(typedView(pending.after, key))) {
            models[w] = pending.after;
            continue;
          }
          const inFlightText = pending === null ? "none" : `${JSON.stringify(typedView(pending.after, pending.key))} for ${pending.key}`;
          expect(stored, `${key} after round ${round - 1} (in flight at the kill: ${inFlightText})`).toEqual(typedView(models[w]!, key));
        }
      }
      if (round === 8) {
        redis.disconnect();
        expect(await stopServer(server)).toBe(0);
        break;
      }
      const clients = Array.from({ length: writers }, () => client(server));
      const target = 100 + Math.floor(Math.random() * 300);
      let done = 0;
      let killed = false;
      await Promise.all(clients.map(async (writer, w) => {
        for (let i = steps; !killed; i++) {
          const step = typedStep(w, i, round, models[w]!);
          inFlight[w] = step;
          try {
            await writer.call(step.command[0]!, ...step.command.slice(1));
          } catch {
            return;
          }
          models[w] = step.after;
          inFlight[w] = null;
          // Every other round asks for a rewrite halfway, so kills land during and after one
          // whatever size the log had reached (--compact-bytes alone left some runs without any).
          if (++done === target >> 1 && round % 2 === 1) {
            await redis.call("BGREWRITEAOF").catch((error: Error) => expect(error.message).toMatch(/rewriting already in progress/));
          }
          if (done === target) {
            killed = true;
            const info = await redis.info("persistence");
            if (/aof_rewrites:[1-9]|aof_rewrite_in_progress:1/.test(info)) rewrites++;
            server.child.kill("SIGKILL");
          }
        }
      }));
      steps += 1000;
      expect(await server.exited).toBe("SIGKILL");
      for (const c of [redis, ...clients]) c.disconnect();
    }
    expect(rewrites).toBeGreaterThan(0);
  }, 300_000);
});

describe.each(SHAPES)("transactions across kill -9 (%s)", (_shape, args) => {
  it("a stream of EXECs, each of several records with a value written apart, is never seen in part after a restart", async () => {
    const dir = newDir();
    const writers = 3;
    // Per writer: the transactions acknowledged, and whether one was in flight at the kill.
    const acknowledged = Array.from({ length: writers }, () => 0);
    const inFlight = Array.from({ length: writers }, () => false);
    // Over 64 KiB: the storage loop writes it alone, between the transaction's other records.
    const filler = "x".repeat(70_000);
    // Each write returns 2 ms late (strace's fault injection), so that the kill, sent at any
    // moment, often falls between two writes of one commit: inside a transaction's bytes.
    const slowWrites = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=write,writev", "-e", "inject=write,writev:delay_exit=2000"];
    let rewrites = 0;
    for (let round = 0; ; round++) {
      const server = await startServer(dir, [...args, "--compact-bytes", "2000000"], slowWrites);
      const redis = client(server);
      for (let w = 0; w < writers; w++) {
        const [[, a], [, big], [, length], [, last], [, field]] = (await redis.multi()
          .get(`tx${w}:a`).get(`tx${w}:big`).llen(`tx${w}:l`).lindex(`tx${w}:l`, -1).hget(`tx${w}:h`, "n").exec())! as [unknown, string | number | null][];
        const applied = length as number;
        expect(applied === acknowledged[w] || (inFlight[w] && applied === acknowledged[w]! + 1), `writer ${w} after round ${round - 1}: ${applied} transactions, ${acknowledged[w]} acknowledged`).toBe(true);
        acknowledged[w] = applied;
        // All of the last transaction, or (none applied yet) none of it.
        const id = applied === 0 ? null : `${w}:${applied}`;
        expect([a, big === null ? null : (big as string).slice(0, -filler.length), last, field], `writer ${w} after round ${round - 1}`).toEqual([id, id, id, id]);
      }
      inFlight.fill(false);
      if (round === 6) {
        redis.disconnect();
        process.kill(Number(fs.readFileSync(path.join(dir, "kv.lock"), "latin1").split(" ")[0]), "SIGTERM");
        expect(await server.exited).toBe(0);
        break;
      }
      const clients = Array.from({ length: writers }, () => client(server));
      const target = 30 + Math.floor(Math.random() * 120);
      let done = 0;
      let killed = false;
      await Promise.all(clients.map(async (writer, w) => {
        while (!killed) {
          const id = `${w}:${acknowledged[w]! + 1}`;
          inFlight[w] = true;
          let results: [Error | null, unknown][] | null;
          try {
            results = await writer.multi().set(`tx${w}:a`, id).set(`tx${w}:big`, id + filler).rpush(`tx${w}:l`, id).hset(`tx${w}:h`, "n", id).exec();
          } catch {
            return;
          }
          expect(results?.map(([error]) => error)).toEqual([null, null, null, null]);
          inFlight[w] = false;
          acknowledged[w]!++;
          if (++done === target) {
            if (/aof_rewrites:[1-9]|aof_rewrite_in_progress:1/.test(await redis.info("persistence"))) rewrites++;
            // At a random moment of the writes that go on (right after INFO's reply, the loop
            // would be between two commits), the server, not strace: strace ends as it did.
            const pid = Number(fs.readFileSync(path.join(dir, "kv.lock"), "latin1").split(" ")[0]);
            setTimeout(() => {
              killed = true;
              process.kill(pid, "SIGKILL");
            }, Math.random() * 40);
          }
        }
      }));
      expect([137, "SIGKILL"]).toContain(await server.exited);
      for (const c of [redis, ...clients]) c.disconnect();
    }
    expect(rewrites).toBeGreaterThan(0);
  }, 300_000);
});

describe("large values in the storage domain", () => {
  it("stores and serves a 300 MB value while another client is answered, and APPEND past 140 MB", async () => {
    const dir = newDir();
    const server = await startServer(dir);
    const big = client(server);
    const other = client(server);
    try {
      const value = Buffer.alloc(300 * 1024 * 1024, 0x61);
      value.write("start", 0);
      value.write("end", value.length - 3);
      let answeredMeanwhile = 0;
      let finished = false;
      const set = big.set("big", value).finally(() => (finished = true));
      for (let i = 0; !finished; i++) {
        expect(await other.set(`small${i}`, String(i))).toBe("OK");
        if (!finished) answeredMeanwhile++;
      }
      expect(await set).toBe("OK");
      expect(answeredMeanwhile).toBeGreaterThan(0);
      finished = false;
      answeredMeanwhile = 0;
      const get = big.getBuffer("big").finally(() => (finished = true));
      while (!finished) {
        expect(await other.get("small0")).toBe("0");
        if (!finished) answeredMeanwhile++;
      }
      const got = (await get)!;
      expect(got.length).toBe(value.length);
      expect(got.equals(value)).toBe(true);
      expect(answeredMeanwhile).toBeGreaterThan(0);
      await big.del("big");

      const piece = Buffer.alloc(10 * 1024 * 1024, 0x62);
      for (let i = 1; i <= 15; i++) expect(await big.append("grown", piece)).toBe(i * piece.length);
      expect(await big.strlen("grown")).toBe(150 * 1024 * 1024);
      expect((await big.getBuffer("grown"))!.length).toBe(150 * 1024 * 1024);
      expect(await other.ping()).toBe("PONG");
    } finally {
      big.disconnect();
      other.disconnect();
    }
    expect(await stopServer(server)).toBe(0);
  }, 300_000);
});

describe("the damaged-log message", () => {
  it("the message's manual repair works: cp and truncate as printed, then the server starts", async () => {
    const dir = newDir();
    const server = await startServer(dir);
    const redis = client(server);
    for (let i = 0; i < 10; i++) await redis.set(`k${i}`, "v");
    redis.disconnect();
    await stopServer(server);
    const file = path.join(dir, "kv.log");
    const offset = recordOffsets(file)[5]!;
    const bytes = fs.readFileSync(file);
    bytes[offset + 9] ^= 0x10;
    fs.writeFileSync(file, bytes);
    const error = await startServer(dir).then(() => "", (e: Error) => e.message);
    const command = /By hand, with the server stopped: (.*)\.\s*$/m.exec(error)?.[1];
    expect(command).toContain("truncate -s");
    execFileSync("sh", ["-c", command!]);
    const repaired = await startServer(dir);
    const check = client(repaired);
    try {
      expect(await check.dbsize()).toBe(5);
    } finally {
      check.disconnect();
      await stopServer(repaired);
    }
  }, 60_000);
});
