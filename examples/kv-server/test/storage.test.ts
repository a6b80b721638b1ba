import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import * as Commands from "../src/commands.js";
import * as Log from "../src/log.js";
import * as Storage from "../src/storage.js";
import * as Table from "../src/table.js";
import { decodeReply } from "./reply.js";
import { assertProperty } from "../../../test/support/fc.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-storage-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

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
  it("replays committed changes after a reopen", () => {
    const dir = tempDir();
    const store = Storage.open(dir);
    run(store, "SET", "a", "1");
    run(store, "INCRBY", "a", "10");
    run(store, "SET", "b", "x", "EX", "100");
    run(store, "MSET", "c", "3", "d", "4");
    run(store, "DEL", "c");
    run(store, "APPEND", "d", "4");
    run(store, "PERSIST", "b");
    expect(Storage.commit(store)).toBeGreaterThan(0);
    expect(Storage.commit(store)).toBe(0);
    const before = dump(store);
    Storage.close(store);
    const reopened = Storage.open(dir);
    expect(dump(reopened)).toEqual(before);
    expect(dump(reopened)).toEqual({ a: ["11", 0], b: ["x", 0], d: ["44", 0] });
    expect(reopened.stats.recovered).toBe(8);
    Storage.close(reopened);
  });

  it("loses only uncommitted changes", () => {
    const dir = tempDir();
    const store = Storage.open(dir);
    run(store, "SET", "kept", "1");
    Storage.commit(store);
    run(store, "SET", "lost", "2");
    Storage.close(store);
    expect(dump(Storage.open(dir))).toEqual({ kept: ["1", 0] });
  });

  it("drops a torn last record, at any cut, and keeps appending after it", () => {
    const dir = tempDir();
    const store = Storage.open(dir);
    run(store, "SET", "a", "1");
    Storage.commit(store);
    const goodLength = Storage.logSize(store);
    run(store, "SET", "b", "2");
    Storage.commit(store);
    Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const full = fs.readFileSync(file);
    for (let cut = goodLength; cut < full.length; cut++) {
      fs.writeFileSync(file, full.subarray(0, cut));
      const reopened = Storage.open(dir);
      expect(dump(reopened)).toEqual({ a: ["1", 0] });
      expect(reopened.stats.droppedBytes).toBe(cut - goodLength);
      run(reopened, "SET", "c", "3");
      Storage.commit(reopened);
      Storage.close(reopened);
      expect(dump(Storage.open(dir))).toEqual({ a: ["1", 0], c: ["3", 0] });
    }
  });

  it("stops at a record whose checksum does not match", () => {
    const dir = tempDir();
    const store = Storage.open(dir);
    run(store, "SET", "a", "1");
    run(store, "SET", "b", "2");
    Storage.commit(store);
    Storage.close(store);
    const file = path.join(dir, Storage.LOG_NAME);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(dump(Storage.open(dir))).toEqual({ a: ["1", 0] });
  });

  it("refuses a file that is not its log", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, Storage.LOG_NAME), "not a log at all");
    expect(() => Storage.open(dir)).toThrow(/does not start with the kv-server header/);
  });

  it("does not bring back expired keys", () => {
    const dir = tempDir();
    const store = Storage.open(dir);
    Table.set(store.table, "old", Buffer.from("v"), Date.now() - 1000);
    Table.set(store.table, "new", Buffer.from("v"), Date.now() + 100_000);
    Storage.commit(store);
    Storage.close(store);
    expect(Object.keys(dump(Storage.open(dir)))).toEqual(["new"]);
  });

  it("compacts the log when it grows, keeping the same table", () => {
    const dir = tempDir();
    const store = Storage.open(dir, { compactBytes: 4096 });
    for (let i = 0; i < 500; i++) {
      run(store, "SET", `key${i % 10}`, `value ${i}`);
      Storage.commit(store);
    }
    expect(store.stats.compactions).toBeGreaterThan(0);
    expect(Storage.logSize(store)).toBeLessThan(4096 * 2);
    expect(fs.statSync(path.join(dir, Storage.LOG_NAME)).size).toBe(Storage.logSize(store));
    const before = dump(store);
    Storage.close(store);
    expect(dump(Storage.open(dir))).toEqual(before);
  });

  it("replays any sequence of records to the table that made them (property)", () => {
    const key = fc.constantFrom("a", "b", "c", "\u0000\u00ff");
    const step = fc.oneof(
      fc.tuple(fc.constant("SET"), key, fc.string()),
      fc.tuple(fc.constant("DEL"), key),
      fc.tuple(fc.constant("APPEND"), key, fc.string()),
      fc.tuple(fc.constant("EXPIRE"), key, fc.integer({ min: 1, max: 10_000 }).map(String)),
      fc.tuple(fc.constant("FLUSHDB")),
    );
    assertProperty(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const table = Table.create();
        for (const s of steps) Commands.execute(table, s.map((a) => Buffer.from(a, "latin1")), Date.now());
        const replayed = Table.create();
        const bytes = Buffer.concat([Log.MAGIC, ...Table.takeJournal(table)]);
        Log.replay(bytes, (r) => Table.apply(replayed, r));
        expect([...replayed.entries]).toEqual([...table.entries]);
      }),
      { numRuns: 200 },
    );
  });
});
