import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Commands from "../src/commands.js";
import * as Session from "../src/session.js";
import * as Table from "../src/table.js";
import { decodeReply, type Reply } from "./reply.js";

const NOW = 1_700_000_000_000;

/** Runs one command as the server would: connection side first, then the store. */
function makeClient(now = () => NOW) {
  const table = Table.create();
  const session = Session.create({ port: 6380, dir: "/tmp/kv", startedAt: NOW });
  const run = (...args: string[]): Reply => {
    const bytes = args.map((a) => Buffer.from(a, "latin1"));
    const reply = Session.handle(session, bytes) ?? Commands.execute(table, bytes, now());
    return decodeReply(reply);
  };
  return { table, session, run };
}

const error = (message: string) => ({ error: message });

describe("string commands", () => {
  it("GET and SET a value", () => {
    const { run } = makeClient();
    expect(run("GET", "k")).toBe(null);
    expect(run("SET", "k", "v")).toBe("OK");
    expect(run("GET", "k")).toBe("v");
    expect(run("TYPE", "k")).toBe("string");
    expect(run("TYPE", "nope")).toBe("none");
  });

  it("SET NX / XX / GET follow Redis", () => {
    const { run } = makeClient();
    expect(run("SET", "k", "1", "XX")).toBe(null);
    expect(run("SET", "k", "1", "NX")).toBe("OK");
    expect(run("SET", "k", "2", "NX")).toBe(null);
    expect(run("SET", "k", "3", "XX", "GET")).toBe("1");
    expect(run("SET", "k", "4", "NX", "GET")).toBe("3");
    expect(run("GET", "k")).toBe("3");
    expect(run("SET", "k", "v", "NX", "XX")).toEqual(error("ERR syntax error"));
    expect(run("SET", "k", "v", "EX")).toEqual(error("ERR syntax error"));
    expect(run("SET", "k", "v", "EX", "10", "PX", "5")).toEqual(error("ERR syntax error"));
    expect(run("SET", "k", "v", "EX", "ten")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("SET", "k", "v", "EX", "0")).toEqual(error("ERR invalid expire time in 'set' command"));
  });

  it("SET EX/PX set an expiry that TTL/PTTL report and time ends", () => {
    let now = NOW;
    const { run } = makeClient(() => now);
    expect(run("SET", "k", "v", "EX", "10")).toBe("OK");
    expect(run("TTL", "k")).toBe(10);
    expect(run("PTTL", "k")).toBe(10_000);
    now += 9_999;
    expect(run("GET", "k")).toBe("v");
    now += 1;
    expect(run("GET", "k")).toBe(null);
    expect(run("TTL", "k")).toBe(-2);
    expect(run("SET", "k", "v", "PX", "500")).toBe("OK");
    expect(run("SET", "k", "w", "KEEPTTL")).toBe("OK");
    expect(run("PTTL", "k")).toBe(500);
    expect(run("SET", "k", "w")).toBe("OK");
    expect(run("TTL", "k")).toBe(-1);
  });

  it("EXPIRE, PEXPIRE and PERSIST", () => {
    const { run } = makeClient();
    expect(run("EXPIRE", "k", "10")).toBe(0);
    run("SET", "k", "v");
    expect(run("EXPIRE", "k", "10")).toBe(1);
    expect(run("EXPIRE", "k", "5", "GT")).toBe(0);
    expect(run("EXPIRE", "k", "5", "LT")).toBe(1);
    expect(run("TTL", "k")).toBe(5);
    expect(run("PERSIST", "k")).toBe(1);
    expect(run("PERSIST", "k")).toBe(0);
    expect(run("PEXPIRE", "k", "1500")).toBe(1);
    expect(run("PTTL", "k")).toBe(1500);
    expect(run("EXPIRE", "k", "x")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("EXPIRE", "k", "1", "NX", "XX")).toEqual(error("ERR NX and XX, GT or LT options at the same time are not compatible"));
    expect(run("EXPIRE", "k", "-1")).toBe(1);
    expect(run("EXISTS", "k")).toBe(0);
  });

  it("INCR family works on integers and refuses the rest with Redis's messages", () => {
    const { run } = makeClient();
    expect(run("INCR", "n")).toBe(1);
    expect(run("INCRBY", "n", "41")).toBe(42);
    expect(run("DECR", "n")).toBe(41);
    expect(run("DECRBY", "n", "50")).toBe(-9);
    expect(run("INCRBY", "n", "x")).toEqual(error("ERR value is not an integer or out of range"));
    run("SET", "s", "abc");
    expect(run("INCR", "s")).toEqual(error("ERR value is not an integer or out of range"));
    run("SET", "s", "007");
    expect(run("INCR", "s")).toEqual(error("ERR value is not an integer or out of range"));
    run("SET", "big", "9223372036854775807");
    expect(run("INCR", "big")).toEqual(error("ERR increment or decrement would overflow"));
    expect(run("DECRBY", "n", "-9223372036854775808")).toEqual(error("ERR decrement would overflow"));
    // Plain numbers and BigInts meet: no "-0" stored, 15 and 16 digits, the 64-bit edge.
    expect(run("DECRBY", "z", "0")).toBe(0);
    expect(run("GET", "z")).toBe("0");
    expect(run("DECRBY", "n", "-999999999999999")).toBe(999999999999990);
    expect(run("INCRBY", "n", "9000000000000000")).toBe(9999999999999990);
    expect(run("GET", "n")).toBe("9999999999999990");
    expect(run("INCRBY", "n", "-19999999999999980")).toBe(-9999999999999990);
    expect(run("DECRBY", "big", "-0")).toEqual(error("ERR value is not an integer or out of range"));
    run("DECRBY", "big", "1");
    expect(run("GET", "big")).toBe("9223372036854775806");
  });

  it("APPEND, STRLEN, MSET, MGET, DEL, EXISTS, DBSIZE, FLUSHDB", () => {
    const { run } = makeClient();
    expect(run("APPEND", "k", "Hello")).toBe(5);
    expect(run("APPEND", "k", " World")).toBe(11);
    expect(run("STRLEN", "k")).toBe(11);
    expect(run("STRLEN", "none")).toBe(0);
    expect(run("MSET", "a", "1", "b", "2")).toBe("OK");
    expect(run("MSET", "a", "1", "b")).toEqual(error("ERR wrong number of arguments for 'mset' command"));
    expect(run("MGET", "a", "x", "b")).toEqual(["1", null, "2"]);
    expect(run("EXISTS", "a", "a", "x")).toBe(2);
    expect(run("DBSIZE")).toBe(3);
    expect(run("DEL", "a", "x")).toBe(1);
    expect(run("FLUSHDB", "LATER")).toEqual(error("ERR syntax error"));
    expect(run("FLUSHALL")).toBe("OK");
    expect(run("DBSIZE")).toBe(0);
  });

  it("KEYS matches globs", () => {
    const { run } = makeClient();
    run("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5", "h*llo", "6");
    const keys = (pattern: string) => (run("KEYS", pattern) as string[]).sort();
    expect(keys("h?llo")).toEqual(["h*llo", "hallo", "hello", "hxllo"]);
    expect(keys("h*llo")).toEqual(["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]);
    expect(keys("h[ae]llo")).toEqual(["hallo", "hello"]);
    expect(keys("h[^e]llo")).toEqual(["h*llo", "hallo", "hxllo"]);
    expect(keys("h[a-b]llo")).toEqual(["hallo"]);
    expect(keys("h\\*llo")).toEqual(["h*llo"]);
    expect(keys("*")).toHaveLength(6);
  });
});

describe("errors and connection commands", () => {
  it("answers unknown commands and wrong arity with Redis's messages", () => {
    const { run } = makeClient();
    expect(run("FOO", "a", "b")).toEqual(error("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "));
    expect(run("GET")).toEqual(error("ERR wrong number of arguments for 'get' command"));
    expect(run("Set", "k")).toEqual(error("ERR wrong number of arguments for 'set' command"));
    expect(run("CLIENT", "SETNAME")).toEqual(error("ERR wrong number of arguments for 'client|setname' command"));
    expect(run("CLIENT", "WHAT")).toEqual(error("ERR unknown subcommand 'WHAT'. Try CLIENT HELP."));
  });

  it("PING, ECHO, TIME, SELECT, HELLO, CLIENT, CONFIG GET, COMMAND, QUIT", () => {
    const { run, session } = makeClient();
    expect(run("PING")).toBe("PONG");
    expect(run("PING", "hi")).toBe("hi");
    expect(run("ECHO", "x y")).toBe("x y");
    const before = Date.now();
    const [seconds, micros] = run("TIME") as string[];
    const at = Number(seconds) * 1000 + Number(micros) / 1000;
    expect([seconds, micros]).toEqual([expect.stringMatching(/^\d{10}$/), expect.stringMatching(/^\d{1,6}$/)]);
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now() + 1);
    expect(run("TIME", "x")).toEqual(error("ERR wrong number of arguments for 'time' command"));
    expect(Session.time(1_700_000_000_123.4567).toString()).toBe("*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n");
    expect(Session.time(1_700_000_000_999.9995).toString()).toBe("*2\r\n$10\r\n1700000000\r\n$6\r\n999999\r\n");
    expect(Session.time(5_000).toString()).toBe("*2\r\n$1\r\n5\r\n$1\r\n0\r\n");
    expect(run("SELECT", "0")).toBe("OK");
    expect(run("SELECT", "1")).toEqual(error("ERR DB index is out of range"));
    expect(run("HELLO", "3")).toEqual(error("NOPROTO unsupported protocol version"));
    const hello = run("HELLO", "2", "SETNAME", "me") as Reply[];
    expect(hello.slice(0, 6)).toEqual(["server", "redis", "version", "7.0.0", "proto", 2]);
    expect(run("CLIENT", "GETNAME")).toBe("me");
    expect(run("CLIENT", "SETNAME", "a b")).toEqual(error("ERR Client names cannot contain spaces, newlines or special characters."));
    expect(run("CLIENT", "INFO")).toMatch(/^id=\d+ .*name=me /);
    expect(run("CONFIG", "GET", "save")).toEqual(["save", ""]);
    expect(run("CONFIG", "GET", "appendonly")).toEqual(["appendonly", "yes"]);
    expect(run("CONFIG", "GET", "nothing")).toEqual([]);
    expect(run("COMMAND")).toEqual([]);
    expect(run("COMMAND", "DOCS")).toEqual([]);
    // INFO goes to the store, which knows the numbers (see store.test.ts).
    expect(Session.handle(session, [Buffer.from("INFO")])).toBe(null);
    expect(session.closing).toBe(false);
    expect(run("QUIT")).toBe("OK");
    expect(session.closing).toBe(true);
  });
});

describe("SCAN", () => {
  /** Every key a full SCAN returns, with the arguments after the cursor. */
  function scanAll(run: (...args: string[]) => Reply, ...options: string[]): string[] {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = run("SCAN", cursor, ...options) as [string, string[]];
      keys.push(...found);
      cursor = next;
    } while (cursor !== "0");
    return keys;
  }

  it("returns every key once over a whole scan, with MATCH, COUNT and TYPE", () => {
    const { run } = makeClient();
    for (let i = 0; i < 100; i++) run("SET", `key:${i}`, "v");
    run("SET", "other", "v");
    expect(scanAll(run).sort()).toEqual([...Array.from({ length: 100 }, (_, i) => `key:${i}`), "other"].sort());
    expect(scanAll(run, "COUNT", "7")).toHaveLength(101);
    expect(scanAll(run, "MATCH", "key:1?").sort()).toEqual(Array.from({ length: 10 }, (_, i) => `key:1${i}`));
    expect(scanAll(run, "TYPE", "string")).toHaveLength(101);
    expect(scanAll(run, "TYPE", "list")).toEqual([]);
    const [cursor, first] = run("SCAN", "0", "COUNT", "10") as [string, string[]];
    expect(first).toHaveLength(10);
    expect(cursor).not.toBe("0");
    expect(run("SCAN", "0", "COUNT", "1000")).toEqual(["0", expect.any(Array)]);
  });

  it("keeps its cursor's meaning when removed keys are compacted away mid-scan", () => {
    const { run } = makeClient();
    for (let i = 0; i < 3000; i++) run("SET", `k${i}`, "v");
    const seen = new Set<string>();
    let [cursor, found] = run("SCAN", "0", "COUNT", "1500") as [string, string[]];
    for (const key of found) seen.add(key);
    // Two thousand holes behind and ahead of the cursor: the table compacts its order.
    for (let i = 0; i < 3000; i++) if (i % 3 !== 0) run("DEL", `k${i}`);
    while (cursor !== "0") {
      [cursor, found] = run("SCAN", cursor, "COUNT", "100") as [string, string[]];
      for (const key of found) seen.add(key);
    }
    for (let i = 0; i < 3000; i += 3) expect(seen.has(`k${i}`), `k${i}`).toBe(true);
  });

  it("answers bad arguments with Redis's errors", () => {
    const { run } = makeClient();
    expect(run("SCAN", "x")).toEqual(error("ERR invalid cursor"));
    expect(run("SCAN", "99999999999999999999")).toEqual(error("ERR invalid cursor"));
    expect(run("SCAN", "-1")).toEqual(["0", []]);
    expect(run("SCAN", "0", "COUNT", "0")).toEqual(error("ERR syntax error"));
    expect(run("SCAN", "0", "COUNT", "x")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("SCAN", "0", "MATCH")).toEqual(error("ERR syntax error"));
    expect(run("SCAN", "0", "FOO", "1")).toEqual(error("ERR syntax error"));
    expect(run("SCAN", "18446744073709551615")).toEqual(["0", []]);
  });

  it("returns every key present for the whole scan, whatever changes between steps (property)", () => {
    const op = fc.oneof(
      fc.tuple(fc.constant("SET"), fc.integer({ min: 0, max: 60 })),
      fc.tuple(fc.constant("DEL"), fc.integer({ min: 0, max: 60 })),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 60 }), fc.array(fc.array(op, { maxLength: 8 }), { maxLength: 40 }), fc.integer({ min: 1, max: 9 }), (initial, changes, count) => {
        const { run } = makeClient();
        for (const k of initial) run("SET", `k${k}`, "v");
        const present = new Set(initial.map((k) => `k${k}`));
        const seen = new Set<string>();
        let cursor = "0";
        let step = 0;
        do {
          const [next, found] = run("SCAN", cursor, "COUNT", String(count)) as [string, string[]];
          for (const key of found) seen.add(key);
          cursor = next;
          // Keys touched during the scan are not "present for the whole scan".
          for (const [name, k] of changes[step++] ?? []) {
            present.delete(`k${k}`);
            run(name, `k${k}`, "v");
          }
        } while (cursor !== "0");
        for (const key of present) expect(seen.has(key)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
