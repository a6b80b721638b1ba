import * as fs from "node:fs";
import * as path from "node:path";
import * as Eio from "eio-ts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as ClientRequest from "../src/client-request.js";
import * as Commands from "../src/commands.js";
import * as Log from "../src/log.js";
import * as Storage from "../src/storage.js";
import * as Table from "../src/table.js";
import { decodeReply } from "./reply.js";
import { assertProperty } from "../../../test/support/fc.js";
import { key, writeCommand } from "./write-commands.js";
import { tempDirs } from "./temp-dirs.js";

const tempDir = tempDirs("kv-storage-");

// The store's operations run in fibers: each test is one Eio.run, its stores' files in one switch.
let sw!: Eio.Switch.Switch;
let root!: Eio.Path.Path;
function inEio(body: () => Eio.Operation<void>): Promise<void> {
  return Eio.run((env) =>
    Eio.Switch.run(function* (s): Eio.Operation<void> {
      [sw, root] = [s, env.fs];
      yield* body();
    }),
  );
}
function open(dir: string, options?: Storage.OpenOptions): Eio.Operation<Storage.Store> {
  return Storage.open(sw, Eio.Path.join(root, dir), options);
}
/** The error `operation` throws (to check with expect(...).toThrow). */
function* thrown(operation: Eio.Operation<unknown>): Eio.Operation<() => never> {
  try {
    yield* operation;
  } catch (error) {
    return () => {
      throw error;
    };
  }
  throw new Error("expected the operation to throw");
}

function run(store: Storage.Store, ...args: string[]) {
  return decodeReply(Commands.execute(store.table, args.map((a) => Buffer.from(a, "latin1")), Date.now()));
}

function dump(store: Storage.Store): Record<string, [string, number]> {
  const out: Record<string, [string, number]> = {};
  for (const key of Table.keys(store.table, Date.now())) {
    const entry = Table.lookup(store.table, key, Date.now())!;
    out[key] = [entry.value.toString("latin1"), entry.expireAt];
  }
  return out;
}

describe("Storage", () => {
  it("replays committed changes after a reopen", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "a", "1");
    run(store, "INCRBY", "a", "10");
    run(store, "SET", "b", "x", "EX", "100");
    run(store, "MSET", "c", "3", "d", "4");
    run(store, "DEL", "c");
    run(store, "APPEND", "d", "4");
    run(store, "PERSIST", "b");
    expect(yield* Storage.commit(store)).toBeGreaterThan(0);
    expect(yield* Storage.commit(store)).toBe(0);
    const before = dump(store);
    yield* Storage.close(store);
    const reopened = yield* open(dir);
    expect(dump(reopened)).toEqual(before);
    expect(dump(reopened)).toEqual({ a: ["11", 0], b: ["x", 0], d: ["44", 0] });
    expect(reopened.stats.recovered).toBe(8);
    yield* Storage.close(reopened);
  }));

  it("loses only uncommitted changes", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "kept", "1");
    yield* Storage.commit(store);
    run(store, "SET", "lost", "2");
    yield* Storage.close(store);
    const reopened = yield* open(dir);
    expect(dump(reopened)).toEqual({ kept: ["1", 0] });
    yield* Storage.close(reopened);
  }));

  it("drops a torn last record, at any cut, and keeps appending after it", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "a", "1");
    yield* Storage.commit(store);
    const goodLength = Storage.logSize(store);
    run(store, "SET", "b", "2");
    yield* Storage.commit(store);
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const full = fs.readFileSync(file);
    for (let cut = goodLength; cut < full.length; cut++) {
      fs.writeFileSync(file, full.subarray(0, cut));
      const reopened = yield* open(dir);
      expect(dump(reopened)).toEqual({ a: ["1", 0] });
      expect(reopened.stats.droppedBytes).toBe(cut - goodLength);
      run(reopened, "SET", "c", "3");
      yield* Storage.commit(reopened);
      yield* Storage.close(reopened);
      const again = yield* open(dir);
      expect(dump(again)).toEqual({ a: ["1", 0], c: ["3", 0] });
      yield* Storage.close(again);
    }
  }));

  /** Runs `commands` as one EXEC on the store's table (the storage loop's way) and commits them. */
  function* exec(store: Storage.Store, ...commands: string[][]): Eio.Operation<unknown> {
    const state = ClientRequest.createState(store.table);
    const request = { commands: commands.map((args) => args.map((a) => Buffer.from(a, "latin1"))), exec: true };
    const [reply] = ClientRequest.run(state, store.table, request, Date.now());
    yield* Storage.commit(store);
    return decodeReply(reply!);
  }

  /** Everything the transactions below touch, as replies. */
  function txState(store: Storage.Store): unknown {
    const strings = Object.entries(dump(store)).filter(([key]) => key !== "list" && key !== "hash");
    return [Object.fromEntries(strings), run(store, "LRANGE", "list", "0", "-1"), run(store, "HGETALL", "hash")];
  }

  it("a log cut anywhere inside a transaction replays all of it or none of it, and keeps appending after it", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "a", "0");
    run(store, "RPUSH", "list", "x");
    yield* Storage.commit(store);
    const before = txState(store);
    const start = Storage.logSize(store);
    // A large value is framed as parts of its own: the transaction wraps them uncopied.
    const big = "b".repeat(70_000);
    expect(yield* exec(store, ["SET", "a", "1"], ["INCR", "a"], ["RPUSH", "list", "y", "z"], ["HSET", "hash", "f", "v"], ["SET", "big", big], ["DEL", "nothing"]))
      .toEqual(["OK", 2, 3, 1, "OK", 0]);
    const after = txState(store);
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const full = fs.readFileSync(file);
    // One record: the transaction's.
    expect(full.readUInt32LE(start) + 8).toBe(full.length - start);
    const replayed = Log.replay(full, () => {});
    expect([replayed.records, replayed.transactions, replayed.damage]).toEqual([7, 1, null]);
    // Every cut inside, in memory: no record of the transaction is applied, and it is a torn tail at its start.
    for (let cut = start; cut < full.length; cut++) {
      const applied: Log.Record[] = [];
      const result = Log.replay(full.subarray(0, cut), (record) => applied.push(record));
      expect(applied).toHaveLength(2);
      expect(result.validBytes).toBe(start);
      expect(result.damage === null ? cut : [result.damage.torn, result.damage.transaction]).toEqual(cut === start ? start : [true, cut - start >= 9]);
    }
    // Cuts through the opening records, and some through the large value, with the store itself.
    const cuts = [...Array.from({ length: 400 }, (_, i) => start + i), ...Array.from({ length: 70 }, (_, i) => start + 400 + i * 997), full.length - 1, full.length];
    for (const cut of cuts) {
      fs.writeFileSync(file, full.subarray(0, cut));
      const reopened = yield* open(dir, { log: () => {} });
      expect(txState(reopened), `cut at ${cut}`).toEqual(cut === full.length ? after : before);
      expect(reopened.stats.droppedBytes).toBe(cut === full.length ? 0 : cut - start);
      run(reopened, "SET", "c", "3");
      yield* Storage.commit(reopened);
      yield* Storage.close(reopened);
      const again = yield* open(dir);
      expect(dump(again).c).toEqual(["3", 0]);
      yield* Storage.close(again);
    }
    // 472 opens and closes of the store, each with its lock file and its directory's fsync: 25 s
    // in a full npm test on this 2-core machine, near the default timeout of 30 s.
  }), 180_000);

  it("logs an MSET as one transaction record (replayed all or nothing), of the bytes a transaction of its SETs makes; inside EXEC its records join EXEC's", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "a", "0");
    yield* Storage.commit(store);
    const before = dump(store);
    const start = Storage.logSize(store);
    const big = "b".repeat(5000);
    // Small values (one buffer, one CRC), then a large one (its record framed uncopied), then an MSET inside EXEC.
    expect(run(store, "MSET", "a", "1", "b", "2", "a", "3", "\u00ff", "")).toBe("OK");
    expect(run(store, "MSETNX", "c", "4", "d", big)).toBe(1);
    const set = (key: string, value: string) => Log.encodeParts({ op: "set", key: Buffer.from(key, "latin1"), value: Buffer.from(value, "latin1"), expireAt: 0 });
    const expected = [
      ...Log.encodeTransaction([...set("a", "1"), ...set("b", "2"), ...set("a", "3"), ...set("\u00ff", "")]),
      ...Log.encodeTransaction([...set("c", "4"), ...set("d", big)]),
    ];
    expect(Buffer.concat(store.table.journal!)).toEqual(Buffer.concat(expected));
    yield* Storage.commit(store);
    const middle = Storage.logSize(store);
    expect(yield* exec(store, ["MSET", "e", "5", "f", "6"], ["SET", "g", "7"], ["MSET", "h", "8", "i", "9"])).toEqual(["OK", "OK", "OK"]);
    const after = dump(store);
    expect(after).toEqual({ ...before, a: ["3", 0], b: ["2", 0], "\u00ff": ["", 0], c: ["4", 0], d: [big, 0], e: ["5", 0], f: ["6", 0], g: ["7", 0], h: ["8", 0], i: ["9", 0] });
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const full = fs.readFileSync(file);
    expect(full.subarray(middle)).toEqual(Buffer.concat(Log.encodeTransaction([...set("e", "5"), ...set("f", "6"), ...set("g", "7"), ...set("h", "8"), ...set("i", "9")])));
    const replayed = Log.replay(full, () => {});
    expect([replayed.records, replayed.transactions, replayed.damage]).toEqual([12, 3, null]);
    // Every cut inside the first MSET's record: none of its keys comes back.
    const first = start + full.readUInt32LE(start) + 8;
    for (let cut = start; cut < first; cut++) {
      fs.writeFileSync(file, full.subarray(0, cut));
      const reopened = yield* open(dir, { log: () => {} });
      expect(dump(reopened), `cut at ${cut}`).toEqual(before);
      yield* Storage.close(reopened);
    }
    fs.writeFileSync(file, full);
    const reopened = yield* open(dir);
    expect(dump(reopened)).toEqual(after);
    yield* Storage.close(reopened);
  }));

  it("logs a transaction of one change, or none, as plain records; old logs of plain records still load", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    const start = Storage.logSize(store);
    expect(yield* exec(store, ["SET", "a", "1"], ["GET", "a"])).toEqual(["OK", "1"]);
    expect(yield* exec(store, ["GET", "a"])).toEqual(["1"]);
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const written = fs.readFileSync(file);
    expect(written.subarray(start)).toEqual(Log.encode({ op: "set", key: Buffer.from("a"), value: Buffer.from("1"), expireAt: 0 }));
    // A log as older servers wrote it: records of every older kind, no transaction.
    fs.writeFileSync(file, Buffer.concat([
      Log.MAGIC, Log.encode({ op: "set", key: Buffer.from("a"), value: Buffer.from("1"), expireAt: 0 }), Log.encode({ op: "flush" }),
      Log.encode({ op: "set", key: Buffer.from("b"), value: Buffer.from("2"), expireAt: 0 }), Log.encode({ op: "rpush", key: Buffer.from("list"), args: [Buffer.from("q")] }),
    ]));
    const reopened = yield* open(dir);
    expect(txState(reopened)).toEqual([{ b: ["2", 0] }, ["q"], []]);
    yield* Storage.close(reopened);
  }));

  it("skips a damaged transaction whole with --repair-log skip, keeping the records after it", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "a", "0");
    yield* Storage.commit(store);
    const start = Storage.logSize(store);
    yield* exec(store, ["SET", "a", "1"], ["RPUSH", "list", "y"], ["HSET", "hash", "f", "v"], ["SET", "t", "1"]);
    const end = Storage.logSize(store);
    run(store, "SET", "after", "1");
    yield* Storage.commit(store);
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const full = fs.readFileSync(file);
    // A byte flipped in each record inside the transaction, in turn.
    for (let at = start + 9; at < end; at += 7) {
      const bytes = Buffer.from(full);
      bytes[at]! ^= 0x20;
      fs.writeFileSync(file, bytes);
      expect(yield* thrown(open(dir))).toThrow(new RegExp(`damaged at byte ${start} .*valid records follow from byte ${end}`));
      const skipped = yield* open(dir, { repair: "skip", log: () => {} });
      expect(txState(skipped)).toEqual([{ a: ["0", 0], after: ["1", 0] }, [], []]);
      yield* Storage.close(skipped);
    }
  }));

  it("refuses a damaged last record that is whole (not torn), and changes nothing", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "a", "1");
    run(store, "SET", "b", "2");
    yield* Storage.commit(store);
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(yield* thrown(open(dir))).toThrow(Storage.DamagedLogError);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    const repaired = yield* open(dir, { repair: "truncate", log: () => {} });
    expect(dump(repaired)).toEqual({ a: ["1", 0] });
    yield* Storage.close(repaired);
  }));

  /** A log of 300 acknowledged SETs with one byte flipped in record `damaged`; returns its offset. */
  function* damagedLog(dir: string, damaged: number): Eio.Operation<{ file: string; offset: number; bytes: Buffer }> {
    const store = yield* open(dir);
    const offsets: number[] = [];
    for (let i = 0; i < 300; i++) {
      offsets.push(Storage.logSize(store));
      run(store, "SET", `key${i}`, `value ${i}`);
      yield* Storage.commit(store);
    }
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const bytes = fs.readFileSync(file);
    bytes[offsets[damaged]! + 12] ^= 0x40;
    fs.writeFileSync(file, bytes);
    return { file, offset: offsets[damaged]!, bytes };
  }

  it("refuses to start on damage before the end, naming the file, the offset and the repair, and changes nothing", () => inEio(function* () {
    const dir = tempDir();
    const { file, offset, bytes } = yield* damagedLog(dir, 102);
    let error: unknown;
    try {
      yield* open(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Storage.DamagedLogError);
    expect((error as Storage.DamagedLogError).offset).toBe(offset);
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain(`damaged at byte ${offset} `);
    expect(message).toMatch(/valid records follow/);
    expect(message).toMatch(/--repair-log skip .* --repair-log truncate /);
    expect(message).toContain(`truncate -s ${offset} '${file}'`);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.existsSync(path.join(dir, Storage.LOCK_NAME))).toBe(false);
  }));

  it("repairs by skipping only the damaged record, or by truncating as redis-check-aof --fix", () => inEio(function* () {
    for (const damaged of [0, 150, 298]) {
      const dir = tempDir();
      const { file, bytes } = yield* damagedLog(dir, damaged);
      const lines: string[] = [];
      const skipped = yield* open(dir, { repair: "skip", log: (line) => lines.push(line) });
      const expected = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`key${i}`, [`value ${i}`, 0]]));
      delete expected[`key${damaged}`];
      expect(dump(skipped)).toEqual(expected);
      expect(fs.readFileSync(`${file}.damaged`).equals(bytes)).toBe(true);
      expect(lines.join("\n")).toMatch(/repairing it \(skip\)/);
      run(skipped, "SET", "after", "1");
      yield* Storage.commit(skipped);
      yield* Storage.close(skipped);
      const reopened = yield* open(dir);
      expect(Object.keys(dump(reopened))).toHaveLength(300);
      yield* Storage.close(reopened);

      fs.writeFileSync(file, bytes);
      const truncated = yield* open(dir, { repair: "truncate", log: () => {} });
      expect(Object.keys(dump(truncated))).toEqual(Array.from({ length: damaged }, (_, i) => `key${i}`));
      yield* Storage.close(truncated);
    }
  }));

  it("cuts a torn tail of zeros, or one whose torn value holds bytes that look like records", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    run(store, "SET", "a", "1");
    yield* Storage.commit(store);
    const good = Storage.logSize(store);
    // A value that is itself a log: a crash in its append must still read as a torn tail.
    const inner = Buffer.concat([Log.encode({ op: "set", key: Buffer.from("x"), value: Buffer.from("y"), expireAt: 0 }), Buffer.alloc(64, 0xee)]);
    Table.set(store.table, "log", Buffer.concat([inner, inner, inner]), 0);
    yield* Storage.commit(store);
    yield* Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const full = fs.readFileSync(file);
    for (const tail of [full.subarray(good, full.length - 10), Buffer.alloc(4096)]) {
      fs.writeFileSync(file, Buffer.concat([full.subarray(0, good), tail]));
      const reopened = yield* open(dir, { log: () => {} });
      expect(dump(reopened)).toEqual({ a: ["1", 0] });
      expect(reopened.stats.droppedBytes).toBe(tail.length);
      yield* Storage.close(reopened);
      expect(fs.statSync(file).size).toBe(good);
    }
  }));

  it("replays a log larger than its read chunk, with values crossing chunk boundaries", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    const expected: Record<string, [string, number]> = {};
    for (let i = 0; i < 200; i++) {
      const value = String.fromCharCode(97 + (i % 26)).repeat(1 + ((i * 7919) % 3000));
      run(store, "SET", `k${i}`, value);
      expected[`k${i}`] = [value, 0];
    }
    const big = Buffer.alloc(5 * 1024 * 1024 + 3, 7);
    big[12345] = 1;
    Table.set(store.table, "big", big, 0);
    yield* Storage.commit(store);
    yield* Storage.close(store);
    expect(fs.statSync(path.join(dir, Storage.LOG_NAME)).size).toBeGreaterThan(5 * 1024 * 1024);
    for (const readChunkBytes of [4096, 65_536, 1 << 20]) {
      const reopened = yield* open(dir, { readChunkBytes });
      expect(reopened.stats.recovered).toBe(201);
      const { big: stored, ...rest } = dump(reopened);
      expect(rest).toEqual(expected);
      expect((Table.lookup(reopened.table, "big", Date.now())!.value as Buffer).equals(big)).toBe(true);
      yield* Storage.close(reopened);
    }
  }));

  it("locks its directory: a second open fails naming the directory and the pid; a stale lock is taken over", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    expect(yield* thrown(open(dir))).toThrow(new RegExp(`data directory ${dir} is in use by this process \\(${process.pid}\\)`));
    yield* Storage.close(store);
    expect(fs.existsSync(path.join(dir, Storage.LOCK_NAME))).toBe(false);
    // A lock left by a process that is gone (pid 2^22 + 1 is above Linux's pid_max default).
    fs.writeFileSync(path.join(dir, Storage.LOCK_NAME), "4194305 123\n");
    const again = yield* open(dir);
    expect(fs.readFileSync(path.join(dir, Storage.LOCK_NAME), "latin1")).toMatch(new RegExp(`^${process.pid} `));
    yield* Storage.close(again);
    // A live pid whose start time differs is a reused pid: stale too.
    fs.writeFileSync(path.join(dir, Storage.LOCK_NAME), `${process.pid} 1\n`);
    yield* Storage.close(yield* open(dir));
  }));

  it("refuses a file that is not its log", () => inEio(function* () {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, Storage.LOG_NAME), "not a log at all");
    expect(yield* thrown(open(dir))).toThrow(/does not start with the kv-server header/);
  }));

  it("does not bring back expired keys", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    Table.set(store.table, "old", Buffer.from("v"), Date.now() - 1000);
    Table.set(store.table, "new", Buffer.from("v"), Date.now() + 100_000);
    yield* Storage.commit(store);
    yield* Storage.close(store);
    const reopened = yield* open(dir);
    expect(Object.keys(dump(reopened))).toEqual(["new"]);
    yield* Storage.close(reopened);
  }));

  it("compacts the log when it grows, keeping the same table", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir, { compactBytes: 4096 });
    for (let i = 0; i < 500; i++) {
      run(store, "SET", `key${i % 10}`, `value ${i}`);
      yield* Storage.commit(store);
    }
    expect(store.stats.compactions).toBeGreaterThan(0);
    expect(Storage.logSize(store)).toBeLessThan(4096 * 2);
    expect(fs.statSync(path.join(dir, Storage.LOG_NAME)).size).toBe(Storage.logSize(store));
    const before = dump(store);
    yield* Storage.close(store);
    const reopened = yield* open(dir);
    expect(dump(reopened)).toEqual(before);
    yield* Storage.close(reopened);
  }));

  it("a rewrite begun while changes wait in the journal replays each of them once", () => inEio(function* () {
    const dir = tempDir();
    const store = yield* open(dir);
    const run = (...args: string[]) => Commands.execute(store.table, args.map((a) => Buffer.from(a)), Date.now());
    run("RPUSH", "l", "a");
    run("INCR", "n");
    yield* Storage.commit(store);
    // A batch half run (BGREWRITEAOF inside it): its first changes are in the table and the
    // journal, not yet in the log, when the snapshot is taken.
    run("RPUSH", "l", "b");
    run("INCR", "n");
    const rewritten = Eio.Fiber.forkPromise<void>(sw, () => Storage.rewrite(store));
    run("RPUSH", "l", "c");
    yield* Storage.commit(store);
    yield* Eio.Promise.awaitExn(rewritten);
    expect(store.stats.compactions).toBe(1);
    yield* Storage.close(store);
    const reopened = yield* open(dir);
    const read = (...args: string[]) => Commands.execute(reopened.table, args.map((a) => Buffer.from(a)), Date.now()).toString("latin1");
    expect(read("LRANGE", "l", "0", "-1")).toBe("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    expect(read("GET", "n")).toBe("$1\r\n2\r\n");
    yield* Storage.close(reopened);
  }));

  it("replays any sequence of records, of every type, to the table that made them (property)", () => {
    const step = writeCommand(fc.string(), fc.tuple(fc.constant("APPEND"), key, fc.string()));
    // Each live key with its type and the records that make it (its place in SCAN's order may
    // differ: a key set again after it expired is new live, but replaces the old entry on replay).
    const dump = (table: Table.Table, now: number) => [...table.entries]
      .filter(([, e]) => e.expireAt === 0 || e.expireAt > now)
      .map(([k, e]) => [k, Table.typeOf(e.value), [...Table.recordsOf(k, e.value, e.expireAt)].map((r) => Log.encode(r).toString("hex"))])
      .sort(([a], [b]) => (a! < b! ? -1 : 1));
    assertProperty(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const table = Table.create();
        const start = Date.now();
        let now = start;
        for (const s of steps) Commands.execute(table, s.map((a) => Buffer.from(a, "latin1")), now++);
        const replayed = Table.create();
        const bytes = Buffer.concat([Log.MAGIC, ...Table.takeJournal(table)]);
        Log.replay(bytes, (r) => Table.apply(replayed, r));
        expect(dump(replayed, now)).toEqual(dump(table, now));
      }),
      { numRuns: 300 },
    );
  });
});
