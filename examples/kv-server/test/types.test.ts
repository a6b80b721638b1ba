// Edge cases of the hash, list, set and sorted-set commands and of the string commands that
// came with them, each reply as redis-server 7.0.15 gave it (checked with redis-cli); the
// differential test (differential.test.ts) covers random sequences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertProperty } from "../../../test/support/fc.js";
import * as Commands from "../src/commands.js";
import * as Log from "../src/log.js";
import { formatDouble, formatLongDouble, parseDouble, parseLongDouble } from "../src/numbers.js";
import * as Session from "../src/session.js";
import * as Table from "../src/table.js";
import { decodeReply, type Reply } from "./reply.js";

function makeClient() {
  const table = Table.create();
  const session = Session.create({ port: 6380, dir: "/tmp/kv", startedAt: 0 });
  const run = (...args: string[]): Reply => {
    const bytes = args.map((a) => Buffer.from(a, "latin1"));
    return decodeReply(Session.handle(session, bytes) ?? Commands.execute(table, bytes, 1_700_000_000_000));
  };
  return { table, run };
}

const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };

describe("floats as Redis 7.0 reads and writes them", () => {
  it("INCRBYFLOAT computes in long double and writes %.17Lf without trailing zeros", () => {
    const { run } = makeClient();
    expect(run("INCRBYFLOAT", "a", "10.5")).toBe("10.5");
    expect(run("INCRBYFLOAT", "a", "0.1")).toBe("10.6");
    run("SET", "b", "1.1");
    // In doubles this would be 3.3000000000000003.
    expect(run("INCRBYFLOAT", "b", "2.2")).toBe("3.3");
    expect(run("INCRBYFLOAT", "c", "5.0e3")).toBe("5000");
    expect(run("INCRBYFLOAT", "c", "1e5000")).toEqual({ error: "ERR value is not a valid float" });
    expect(run("INCRBYFLOAT", "c", "inf")).toEqual({ error: "ERR increment would produce NaN or Infinity" });
    expect(run("INCRBYFLOAT", "d", "0x10")).toBe("16");
    expect(run("OBJECT", "ENCODING", "d")).toBe("embstr");
  });

  it("HINCRBYFLOAT checks the increment first, then the field", () => {
    const { run } = makeClient();
    run("HSET", "h", "f", "v", "n", "1.5");
    expect(run("HINCRBYFLOAT", "h", "f", "1")).toEqual({ error: "ERR hash value is not a float" });
    expect(run("HINCRBYFLOAT", "h", "n", "0.1")).toBe("1.6");
    expect(run("HINCRBYFLOAT", "h", "n", "inf")).toEqual({ error: "ERR value is NaN or Infinity" });
  });

  it("scores are replied as %.17g, infinities included", () => {
    const { run } = makeClient();
    expect(run("ZADD", "z", "1.1", "a", "inf", "b", "-inf", "c")).toBe(3);
    expect(run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(["c", "-inf", "a", "1.1000000000000001", "b", "inf"]);
    run("ZADD", "y", "1e-5", "a", "1e21", "b", "123456789012345678", "c", "0.0001", "d");
    expect(run("ZRANGE", "y", "0", "-1", "WITHSCORES")).toEqual(["a", "1.0000000000000001e-05", "d", "0.0001", "c", "1.2345678901234568e+17", "b", "1e+21"]);
    expect(formatDouble(-0)).toBe("-0");
    expect(parseDouble(Buffer.from("1e400"))).toBe(null);
    expect(parseDouble(Buffer.from(" 1"))).toBe(null);
    expect(formatLongDouble(parseLongDouble(Buffer.from("-0.0"))!)).toBe("0");
  });

  it("ZADD with NaN, INCR to infinity and exclusive score ranges", () => {
    const { run } = makeClient();
    expect(run("ZADD", "z", "nan", "a")).toEqual({ error: "ERR value is not a valid float" });
    run("ZADD", "z", "1", "a");
    expect(run("ZADD", "z", "INCR", "inf", "a")).toBe("inf");
    expect(run("ZADD", "z", "INCR", "-inf", "a")).toEqual({ error: "ERR resulting score is not a number (NaN)" });
    expect(run("ZINCRBY", "z", "1", "a")).toBe("inf");
    run("ZADD", "w", "1.1", "a", "inf", "b", "-inf", "c");
    expect(run("ZRANGEBYSCORE", "w", "(1.1", "inf")).toEqual(["b"]);
    expect(run("ZRANGEBYSCORE", "w", "-inf", "(inf")).toEqual(["c", "a"]);
    expect(run("ZCOUNT", "w", "(-inf", "(inf")).toBe(1);
  });
});

describe("negative indexes and ranges", () => {
  it("lists count from the tail", () => {
    const { run } = makeClient();
    run("RPUSH", "l", "a", "b", "c", "d");
    expect(run("LRANGE", "l", "-2", "-1")).toEqual(["c", "d"]);
    expect(run("LINDEX", "l", "-1")).toBe("d");
    expect(run("LINDEX", "l", "-5")).toBe(null);
    expect(run("LPOP", "l", "0")).toEqual([]);
    expect(run("RPOP", "l", "2")).toEqual(["d", "c"]);
    expect(run("LPOP", "l", "5")).toEqual(["a", "b"]);
    expect(run("LPOP", "l", "1")).toBe(null);
    expect(run("LSET", "nope", "0", "x")).toEqual({ error: "ERR no such key" });
  });

  it("LPOS with RANK, COUNT and MAXLEN; LINSERT; LMOVE on one list rotates it", () => {
    const { run } = makeClient();
    expect(run("LPOS", "lst", "a", "COUNT", "0")).toEqual([]);
    run("RPUSH", "lst", "a", "b", "a", "c", "a");
    expect(run("LPOS", "lst", "a", "COUNT", "0")).toEqual([0, 2, 4]);
    expect(run("LPOS", "lst", "a", "RANK", "-1", "COUNT", "2")).toEqual([4, 2]);
    expect(run("LPOS", "lst", "a", "MAXLEN", "2", "COUNT", "0")).toEqual([0]);
    expect(run("LINSERT", "lst", "BEFORE", "zz", "x")).toBe(-1);
    expect(run("LINSERT", "lst", "AFTER", "c", "d")).toBe(6);
    expect(run("LMOVE", "lst", "lst", "LEFT", "RIGHT")).toBe("a");
    expect(run("LRANGE", "lst", "0", "-1")).toEqual(["b", "a", "c", "d", "a", "a"]);
  });

  it("lexicographic ranges, reversed and limited", () => {
    const { run } = makeClient();
    run("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d");
    expect(run("ZRANGE", "z", "(a", "[c", "BYLEX")).toEqual(["b", "c"]);
    expect(run("ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2")).toEqual(["c", "b"]);
    expect(run("ZRANGE", "z", "[c", "(a", "BYLEX", "REV")).toEqual(["c", "b"]);
    expect(run("ZADD", "z", "GT", "NX", "1", "a")).toEqual({ error: "ERR GT, LT, and/or NX options at the same time are not compatible" });
    expect(run("ZADD", "z", "XX", "CH", "GT", "5", "a", "-1", "b")).toBe(1);
    expect(run("ZREVRANK", "z", "a")).toBe(0);
  });

  it("lexicographic ranges over members of different scores answer as Redis's listpack walk: empty when the last is below min or the first above max", () => {
    const { run } = makeClient();
    // The differential test's counterexample; each answer is redis-server 7.0's to the same commands.
    run("ZADD", "z", "0", "a", "1000", "2");
    expect(run("ZRANGE", "z", "[a", "(c", "BYLEX")).toEqual([]);
    expect(run("ZRANGE", "z", "(c", "[a", "BYLEX", "REV")).toEqual([]);
    expect(run("ZRANGE", "z", "-", "[a", "BYLEX")).toEqual(["a", "2"]);
    expect(run("ZRANGE", "z", "[1", "+", "BYLEX")).toEqual(["a", "2"]);
    expect(run("ZRANGE", "z", "(a", "(a", "BYLEX")).toEqual([]);
  });
});

describe("removing ranges of a sorted set", () => {
  it("ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZREMRANGEBYLEX and ZLEXCOUNT answer as redis-server 7.0 does, and the key goes with its last member", () => {
    const { run } = makeClient();
    // Each answer is redis-server 7.0's to the same commands.
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    expect(run("ZREMRANGEBYSCORE", "z", "(1", "2")).toBe(1);
    expect(run("ZRANGE", "z", "0", "-1")).toEqual(["a", "c", "d", "e"]);
    expect(run("ZREMRANGEBYRANK", "z", "-2", "-1")).toBe(2);
    expect(run("ZRANGE", "z", "0", "-1")).toEqual(["a", "c"]);
    expect(run("ZREMRANGEBYRANK", "z", "5", "10")).toBe(0);
    expect(run("ZREMRANGEBYRANK", "z", "x", "1")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(run("ZREMRANGEBYSCORE", "z", "a", "1")).toEqual({ error: "ERR min or max is not a float" });
    expect(run("ZREMRANGEBYSCORE", "z", "-inf", "+inf")).toBe(2);
    expect(run("EXISTS", "z")).toBe(0);
    run("ZADD", "y", "0", "a", "0", "b", "0", "c", "0", "d");
    expect(run("ZLEXCOUNT", "y", "-", "+")).toBe(4);
    expect(run("ZLEXCOUNT", "y", "(a", "[c")).toBe(2);
    expect(run("ZLEXCOUNT", "y", "a", "b")).toEqual({ error: "ERR min or max not valid string range item" });
    expect(run("ZREMRANGEBYLEX", "y", "[b", "(d")).toBe(2);
    expect(run("ZRANGE", "y", "0", "-1")).toEqual(["a", "d"]);
    expect(run("ZREMRANGEBYLEX", "y", "-", "+")).toBe(2);
    expect(run("EXISTS", "y")).toBe(0);
    run("SET", "s", "x");
    expect(run("ZREMRANGEBYRANK", "s", "0", "1")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    expect(run("ZLEXCOUNT", "s", "-", "+")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    expect(run("ZREMRANGEBYLEX", "nokey", "-", "+")).toBe(0);
    // The range is checked before the key: a bad range wins over a wrong type.
    expect(run("ZREMRANGEBYLEX", "s", "x", "y")).toEqual({ error: "ERR min or max not valid string range item" });
  });
});

describe("ZUNION, ZINTER and ZDIFF, their STORE forms, and ZINTERCARD", () => {
  it("answer as redis-server 7.0 does: sets count at score 1, WEIGHTS and AGGREGATE, inf sums, errors in Redis's order", () => {
    const { run } = makeClient();
    // Each answer is redis-server 7.0's to the same commands.
    run("ZADD", "z1", "1", "a", "2", "b", "3", "c");
    run("ZADD", "z2", "10", "b", "20", "c", "30", "d");
    run("SADD", "s1", "a", "d", "x");
    run("SET", "str", "v");
    expect(run("ZUNION", "2", "z1", "z2", "WITHSCORES")).toEqual(["a", "1", "b", "12", "c", "23", "d", "30"]);
    expect(run("ZINTER", "2", "z1", "z2", "WITHSCORES")).toEqual(["b", "12", "c", "23"]);
    expect(run("ZDIFF", "2", "z1", "z2", "WITHSCORES")).toEqual(["a", "1"]);
    expect(run("ZUNION", "3", "z1", "z2", "s1", "WITHSCORES")).toEqual(["x", "1", "a", "2", "b", "12", "c", "23", "d", "31"]);
    expect(run("ZINTER", "2", "z1", "s1", "WITHSCORES")).toEqual(["a", "2"]);
    expect(run("ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES")).toEqual(["a", "2", "b", "5", "c", "10", "d", "15"]);
    expect(run("ZINTER", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES")).toEqual(["b", "2", "c", "3"]);
    expect(run("ZUNIONSTORE", "d", "2", "z1", "z2")).toBe(4);
    expect(run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["a", "1", "b", "12", "c", "23", "d", "30"]);
    expect(run("ZINTERSTORE", "d", "2", "z1", "nokey")).toBe(0);
    expect(run("EXISTS", "d")).toBe(0);
    expect(run("ZDIFFSTORE", "d", "1", "z1")).toBe(3);
    expect(run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["a", "1", "b", "2", "c", "3"]);
    expect(run("ZINTERCARD", "2", "z1", "z2")).toBe(2);
    expect(run("ZINTERCARD", "2", "z1", "z2", "LIMIT", "1")).toBe(1);
    expect(run("ZINTERCARD", "0", "z1")).toEqual({ error: "ERR at least 1 input key is needed for 'zintercard' command" });
    expect(run("ZINTERCARD", "x", "z1")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(run("ZINTERCARD", "3", "z1", "z2")).toEqual({ error: "ERR syntax error" });
    expect(run("ZINTERCARD", "2", "z1", "z2", "LIMIT", "-1")).toEqual({ error: "ERR LIMIT can't be negative" });
    expect(run("ZINTERCARD", "2", "z1", "z2", "WEIGHTS", "1", "1")).toEqual({ error: "ERR syntax error" });
    expect(run("ZUNION", "0", "z1")).toEqual({ error: "ERR at least 1 input key is needed for 'zunion' command" });
    expect(run("ZUNIONSTORE", "d", "0", "z1")).toEqual({ error: "ERR at least 1 input key is needed for 'zunionstore' command" });
    expect(run("ZUNION", "2", "z1", "str")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    // The keys are read before the options: a wrong type wins over a bad weight.
    expect(run("ZUNION", "2", "str", "z1", "WEIGHTS", "x")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    expect(run("ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x")).toEqual({ error: "ERR weight value is not a float" });
    for (const options of [["WEIGHTS", "1"], ["AGGREGATE", "avg"], ["AGGREGATE"]]) expect(run("ZUNION", "2", "z1", "z2", ...options)).toEqual({ error: "ERR syntax error" });
    expect(run("ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "1")).toEqual({ error: "ERR syntax error" });
    expect(run("ZUNIONSTORE", "d", "2", "z1", "z2", "WITHSCORES")).toEqual({ error: "ERR syntax error" });
    run("ZADD", "i1", "inf", "a");
    run("ZADD", "i2", "-inf", "a");
    expect(run("ZUNION", "2", "i1", "i2", "WITHSCORES")).toEqual(["a", "0"]);
    expect(run("ZINTER", "2", "i1", "i2", "WEIGHTS", "0", "1", "WITHSCORES")).toEqual(["a", "-inf"]);
    expect(run("ZUNION", "1", "z1", "WEIGHTS", "inf", "WITHSCORES")).toEqual(["a", "inf", "b", "inf", "c", "inf"]);
    expect(run("ZINTER", "2", "z1", "z1", "WITHSCORES")).toEqual(["a", "2", "b", "4", "c", "6"]);
    expect(run("ZUNIONSTORE", "z1", "2", "z1", "z2")).toBe(4);
    expect(run("ZRANGE", "z1", "0", "-1", "WITHSCORES")).toEqual(["a", "1", "b", "12", "c", "23", "d", "30"]);
    expect(run("ZDIFF", "1", "nokey")).toEqual([]);
    expect(run("ZINTER", "1", "s1", "WITHSCORES")).toEqual(["a", "1", "d", "1", "x", "1"]);
  });
});

describe("bitmaps", () => {
  it("SETBIT, GETBIT, BITCOUNT and BITPOS answer as redis-server 7.0 does, BYTE and BIT ranges and errors included", () => {
    const { run } = makeClient();
    // Each answer is redis-server 7.0's to the same commands.
    expect(run("SETBIT", "b", "7", "1")).toBe(0);
    expect(run("GET", "b")).toBe("\u0001");
    expect(run("SETBIT", "b", "7", "0")).toBe(1);
    expect(run("SETBIT", "b", "100", "1")).toBe(0);
    expect(run("STRLEN", "b")).toBe(13);
    expect(run("GETBIT", "b", "100")).toBe(1);
    expect(run("GETBIT", "b", "1000")).toBe(0);
    expect(run("GETBIT", "nokey", "3")).toBe(0);
    for (const offset of ["-1", "x", "4294967296"]) expect(run("SETBIT", "b", offset, "1")).toEqual({ error: "ERR bit offset is not an integer or out of range" });
    for (const bit of ["2", "x"]) expect(run("SETBIT", "b", "1", bit)).toEqual({ error: "ERR bit is not an integer or out of range" });
    expect(run("SETBIT", "b", "4294967295", "x")).toEqual({ error: "ERR bit is not an integer or out of range" });
    expect(run("GETBIT", "b", "-1")).toEqual({ error: "ERR bit offset is not an integer or out of range" });
    expect(run("OBJECT", "ENCODING", "b")).toBe("raw");
    run("SET", "s", "foobar");
    expect(run("BITCOUNT", "s")).toBe(26);
    expect(run("BITCOUNT", "s", "0", "0")).toBe(4);
    expect(run("BITCOUNT", "s", "1", "1", "BYTE")).toBe(6);
    expect(run("BITCOUNT", "s", "5", "30", "BIT")).toBe(17);
    expect(run("BITCOUNT", "s", "-2", "-1")).toBe(7);
    expect(run("BITCOUNT", "s", "-1", "-2")).toBe(0);
    expect(run("BITCOUNT", "s", "-1", "-2", "FOO")).toBe(0);
    expect(run("BITCOUNT", "s", "0")).toEqual({ error: "ERR syntax error" });
    expect(run("BITCOUNT", "s", "x", "1")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(run("BITCOUNT", "nokey", "x", "y")).toBe(0);
    expect(run("BITCOUNT", "s", "0", "-1", "FOO")).toEqual({ error: "ERR syntax error" });
    expect(run("BITPOS", "s", "1")).toBe(1);
    expect(run("BITPOS", "s", "0")).toBe(0);
    expect(run("BITPOS", "s", "1", "2")).toBe(17);
    expect(run("BITPOS", "s", "0", "-1")).toBe(40);
    expect(run("BITPOS", "s", "1", "2", "-1", "BYTE")).toBe(17);
    expect(run("BITPOS", "s", "1", "7", "15", "BIT")).toBe(9);
    expect(run("BITPOS", "nokey", "0")).toBe(0);
    expect(run("BITPOS", "nokey", "1")).toBe(-1);
    expect(run("BITPOS", "s", "2")).toEqual({ error: "ERR The bit argument must be 1 or 0." });
    expect(run("BITPOS", "s", "x")).toEqual({ error: "ERR value is not an integer or out of range" });
    run("SET", "ones", "\u00ff\u00ff");
    // Looking for a 0 past the string: without an end the zero padding counts, with one it does not.
    expect(run("BITPOS", "ones", "0")).toBe(16);
    expect(run("BITPOS", "ones", "0", "0", "-1")).toBe(-1);
    run("LPUSH", "l", "a");
    for (const command of [["BITCOUNT", "l"], ["GETBIT", "l", "0"], ["SETBIT", "l", "0", "1"], ["BITPOS", "l", "1"]]) {
      expect(run(...(command as [string, ...string[]]))).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    }
  });
});

describe("ZRANDMEMBER", () => {
  it("picks as Redis does: distinct members for a positive count, repeats for a negative one, with its errors", () => {
    const { run } = makeClient();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c");
    expect(["a", "b", "c"]).toContain(run("ZRANDMEMBER", "z"));
    expect(run("ZRANDMEMBER", "nokey")).toBe(null);
    expect(run("ZRANDMEMBER", "nokey", "2")).toEqual([]);
    expect(run("ZRANDMEMBER", "z", "0")).toEqual([]);
    const all = run("ZRANDMEMBER", "z", "5", "WITHSCORES") as string[];
    const pairsOf = (reply: string[]) => Array.from({ length: reply.length / 2 }, (_, i) => `${reply[2 * i]}=${reply[2 * i + 1]}`);
    expect(pairsOf(all).sort()).toEqual(["a=1", "b=2", "c=3"]);
    const two = run("ZRANDMEMBER", "z", "2") as string[];
    expect(new Set(two).size).toBe(2);
    const repeats = run("ZRANDMEMBER", "z", "-30", "WITHSCORES") as string[];
    expect(repeats).toHaveLength(60);
    for (const pair of pairsOf(repeats)) expect(["a=1", "b=2", "c=3"]).toContain(pair);
    // redis-server 7.0's errors for the same commands.
    expect(run("ZRANDMEMBER", "z", "x")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(run("ZRANDMEMBER", "z", "1", "FOO")).toEqual({ error: "ERR syntax error" });
    expect(run("ZRANDMEMBER", "z", "1", "WITHSCORES", "x")).toEqual({ error: "ERR syntax error" });
    expect(run("ZRANDMEMBER", "z", "-9223372036854775808")).toEqual({ error: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807" });
    expect(run("ZRANDMEMBER", "z", "-4611686018427387905", "WITHSCORES")).toEqual({ error: "ERR value is out of range" });
    run("SET", "s", "x");
    expect(run("ZRANDMEMBER", "s")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
  });
});

describe("ZRANGESTORE", () => {
  it("stores a ZRANGE's items with their scores, as redis-server 7.0 does", () => {
    const { run } = makeClient();
    // Each answer is redis-server 7.0's to the same commands.
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
    run("ZADD", "y", "0", "a", "0", "b", "0", "c");
    expect(run("ZRANGESTORE", "d", "z", "1", "2")).toBe(2);
    expect(run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["b", "2", "c", "3"]);
    expect(run("ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2")).toBe(2);
    expect(run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["c", "3", "d", "4"]);
    expect(run("ZRANGESTORE", "d", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "1")).toBe(1);
    expect(run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["d", "4"]);
    expect(run("ZRANGESTORE", "d", "y", "[b", "+", "BYLEX")).toBe(2);
    expect(run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["b", "0", "c", "0"]);
    expect(run("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES")).toEqual({ error: "ERR syntax error" });
    expect(run("ZRANGESTORE", "d", "nokey", "0", "-1")).toBe(0);
    expect(run("EXISTS", "d")).toBe(0);
    run("SET", "s", "x");
    expect(run("ZRANGESTORE", "d", "s", "0", "-1")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    expect(run("ZRANGESTORE", "s", "z", "0", "0")).toBe(1);
    expect(run("TYPE", "s")).toBe("zset");
    expect(run("ZRANGESTORE", "d", "z", "0", "-1", "LIMIT", "0", "1")).toEqual({ error: "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX" });
    expect(run("ZRANGESTORE", "d", "z", "0")).toEqual({ error: "ERR wrong number of arguments for 'zrangestore' command" });
    run("ZRANGESTORE", "d", "z", "0", "0");
    expect(run("ZRANGESTORE", "d", "z", "5", "10")).toBe(0);
    expect(run("EXISTS", "d")).toBe(0);
  });
});

describe("Redis 7.0's SINTERCARD, EXPIRETIME and PEXPIRETIME", () => {
  it("answer as redis-server 7.0 does, errors included", () => {
    const { run } = makeClient();
    // Each answer is redis-server 7.0's to the same commands.
    run("SADD", "a", "1", "2", "3", "4");
    run("SADD", "b", "2", "3", "4", "5");
    expect(run("SINTERCARD", "2", "a", "b")).toBe(3);
    expect(run("SINTERCARD", "2", "a", "b", "LIMIT", "2")).toBe(2);
    expect(run("SINTERCARD", "2", "a", "b", "LIMIT", "0")).toBe(3);
    expect(run("SINTERCARD", "2", "a", "b", "LIMIT", "10")).toBe(3);
    expect(run("SINTERCARD", "1", "a")).toBe(4);
    expect(run("SINTERCARD", "2", "a", "nokey")).toBe(0);
    run("SET", "s", "x");
    expect(run("SINTERCARD", "2", "nokey", "s")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    for (const numkeys of ["0", "x", "-1"]) expect(run("SINTERCARD", numkeys, "a")).toEqual({ error: "ERR numkeys should be greater than 0" });
    expect(run("SINTERCARD", "3", "a", "b")).toEqual({ error: "ERR Number of keys can't be greater than number of args" });
    for (const limit of ["-1", "x"]) expect(run("SINTERCARD", "2", "a", "b", "LIMIT", limit)).toEqual({ error: "ERR LIMIT can't be negative" });
    expect(run("SINTERCARD", "2", "a", "b", "LIMIT")).toEqual({ error: "ERR syntax error" });
    expect(run("SINTERCARD", "2", "a", "b", "FOO", "1")).toEqual({ error: "ERR syntax error" });
    expect(run("SINTERCARD", "1", "a", "b")).toEqual({ error: "ERR syntax error" });
    expect(run("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "2")).toBe(2);
    expect(run("EXPIRETIME", "nokey")).toBe(-2);
    expect(run("EXPIRETIME", "a")).toBe(-1);
    expect(run("PEXPIREAT", "a", "1800000000499")).toBe(1);
    expect(run("EXPIRETIME", "a")).toBe(1800000000);
    expect(run("PEXPIRETIME", "a")).toBe(1800000000499);
    expect(run("PEXPIREAT", "a", "1800000000500")).toBe(1);
    expect(run("EXPIRETIME", "a")).toBe(1800000001);
    expect(run("EXPIRETIME", "a", "b")).toEqual({ error: "ERR wrong number of arguments for 'expiretime' command" });
  });
});

describe("keys and types", () => {
  it("a collection's key is deleted with its last element", () => {
    const { run } = makeClient();
    run("HSET", "h", "f", "v");
    expect(run("HDEL", "h", "f")).toBe(1);
    run("SADD", "s", "a");
    expect(run("SPOP", "s")).toBe("a");
    run("ZADD", "z", "1", "a");
    expect(run("ZPOPMIN", "z")).toEqual(["a", "1"]);
    run("LPUSH", "l", "x");
    expect(run("LTRIM", "l", "1", "0")).toBe("OK");
    expect(run("EXISTS", "h", "s", "z", "l")).toBe(0);
  });

  it("WRONGTYPE, TYPE, and SET replacing any type", () => {
    const { run } = makeClient();
    run("SET", "k", "v", "EX", "100");
    expect(run("LPUSH", "k", "x")).toEqual(WRONGTYPE);
    expect(run("HGET", "k", "f")).toEqual(WRONGTYPE);
    run("RPUSH", "q", "a");
    expect(run("GET", "q")).toEqual(WRONGTYPE);
    expect(run("TYPE", "q")).toBe("list");
    expect(run("SET", "q", "v")).toBe("OK");
    expect(run("TYPE", "q")).toBe("string");
    for (const [create, type] of [[["HSET", "t1", "f", "v"], "hash"], [["SADD", "t2", "m"], "set"], [["ZADD", "t3", "1", "m"], "zset"]] as const) {
      run(...create);
      expect(run("TYPE", create[1])).toBe(type);
    }
  });

  it("RENAME keeps the expiry; COPY refuses the same key; OBJECT ENCODING follows Redis's conversions", () => {
    const { run } = makeClient();
    run("SET", "k", "v", "EX", "100");
    expect(run("RENAME", "k", "k2")).toBe("OK");
    expect(run("TTL", "k2")).toBe(100);
    expect(run("RENAME", "k", "k3")).toEqual({ error: "ERR no such key" });
    expect(run("COPY", "k2", "k2")).toEqual({ error: "ERR source and destination objects are the same" });
    run("SET", "n", "12");
    expect(run("OBJECT", "ENCODING", "n")).toBe("int");
    run("APPEND", "n", "3");
    expect(run("OBJECT", "ENCODING", "n")).toBe("raw");
    run("SETRANGE", "g", "0", "ab");
    expect(run("OBJECT", "ENCODING", "g")).toBe("raw");
    run("SADD", "s", "1", "2");
    expect(run("OBJECT", "ENCODING", "s")).toBe("intset");
    run("SADD", "s", "x");
    run("SREM", "s", "x");
    expect(run("OBJECT", "ENCODING", "s")).toBe("hashtable");
    run("RPUSH", "l", "a");
    expect(run("OBJECT", "ENCODING", "l")).toBe("quicklist");
    for (let i = 0; i < 128; i++) run("HSET", "h", `f${i}`, "v");
    expect(run("OBJECT", "ENCODING", "h")).toBe("listpack");
    run("HSET", "h", "f128", "v");
    expect(run("OBJECT", "ENCODING", "h")).toBe("hashtable");
    run("ZADD", "z", "1", "a");
    expect(run("OBJECT", "ENCODING", "z")).toBe("listpack");
    run("ZADD", "z", "1", "x".repeat(65));
    expect(run("OBJECT", "ENCODING", "z")).toBe("skiplist");
  });
});

describe("HSCAN, SSCAN and ZSCAN of large collections", () => {
  it("return every element present for the whole scan, whatever changes between steps (property)", () => {
    assertProperty(
      fc.property(fc.constantFrom("SSCAN", "HSCAN", "ZSCAN"), fc.integer({ min: 1, max: 50 }), fc.array(fc.nat(599), { maxLength: 200 }), (scan, count, churn) => {
        const { run } = makeClient();
        const add = (i: number) => (scan === "SSCAN" ? run("SADD", "c", `m${i}`) : scan === "HSCAN" ? run("HSET", "c", `m${i}`, "v") : run("ZADD", "c", String(i), `m${i}`));
        const remove = (i: number) => run(scan === "SSCAN" ? "SREM" : scan === "HSCAN" ? "HDEL" : "ZREM", "c", `m${i}`);
        for (let i = 0; i < 300; i++) add(i);
        const seen = new Set<string>();
        let cursor = "0";
        let steps = 0;
        do {
          const [next, items] = run(scan, "c", cursor, "COUNT", String(count)) as [string, string[]];
          for (let i = 0; i < items.length; i += scan === "SSCAN" ? 1 : 2) seen.add(items[i]!);
          cursor = next;
          // Elements from 300 on come and go; those below 300 whose number is never churned stay.
          const i = churn[steps++ % Math.max(1, churn.length)] ?? 0;
          if (i >= 300) add(i);
          else if (churn.length > 0) remove(i);
        } while (cursor !== "0" && steps < 10_000);
        const kept = Array.from({ length: 300 }, (_, i) => i).filter((i) => !churn.includes(i)).map((i) => `m${i}`);
        expect(kept.filter((m) => !seen.has(m))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe("the log of the new types", () => {
  it("a collection made on a key whose string expired replays to the collection alone", () => {
    const table = Table.create();
    const run = (now: number, ...args: string[]) => Commands.execute(table, args.map((a) => Buffer.from(a)), now);
    run(1000, "SET", "k", "v", "PX", "10");
    run(2000, "RPUSH", "k", "a");
    const replayed = Table.create();
    Log.replay(Buffer.concat([Log.MAGIC, ...Table.takeJournal(table)]), (r) => Table.apply(replayed, r));
    const value = replayed.entries.get("k")!;
    expect(Table.typeOf(value.value)).toBe("list");
    expect(value.expireAt).toBe(0);
  });

  it("logs of the first four record kinds still load, and new kinds are framed the same way", () => {
    const old = Buffer.concat([
      Log.MAGIC,
      Log.encode({ op: "set", key: Buffer.from("k"), value: Buffer.from("v"), expireAt: 0 }),
      Log.encode({ op: "del", key: Buffer.from("gone") }),
    ]);
    const table = Table.create();
    expect(Log.replay(old, (r) => Table.apply(table, r)).damage).toBe(null);
    const record: Log.Record = { op: "zadd", key: Buffer.from("z"), args: [Buffer.alloc(8), Buffer.from("m")] };
    const bytes = Buffer.concat([Log.MAGIC, Log.encode(record)]);
    const seen: Log.Record[] = [];
    expect(Log.replay(bytes, (r) => seen.push(r)).damage).toBe(null);
    expect(seen).toEqual([record]);
    // A torn tail of a new kind is recognised as one.
    expect(Log.replay(bytes.subarray(0, bytes.length - 3), () => {}).damage?.torn).toBe(true);
  });
});
