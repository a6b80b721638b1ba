// Random write commands of every type over a few keys, for the properties that replay or undo
// them (storage.test.ts's replay, rollback.test.ts's undo): small key and member sets so that
// commands meet each other's keys, types and elements.
import fc from "fast-check";

const key = fc.constantFrom("a", "b", "c", "\u0000\u00ff");
const member = fc.constantFrom("x", "y", "z", "1", "2");
const int = fc.integer({ min: -3, max: 3 }).map(String);

/** The keys the commands touch. */
export { key };

/** Write commands of every type, with `value` for string values; `extra` adds more kinds. */
export function writeCommand(value: fc.Arbitrary<string>, ...extra: fc.Arbitrary<string[]>[]): fc.Arbitrary<string[]> {
  const kinds: fc.Arbitrary<string[]>[] = [
    fc.tuple(fc.constant("SET"), key, value),
    fc.tuple(fc.constantFrom("MSET", "MSETNX"), key, value, key, value),
    fc.tuple(fc.constant("DEL"), key),
    fc.tuple(fc.constant("SETRANGE"), key, fc.nat(5).map(String), value),
    fc.tuple(fc.constant("SETBIT"), key, fc.nat(40).map(String), fc.constantFrom("0", "1")),
    fc.tuple(fc.constant("PEXPIRE"), key, fc.integer({ min: 1, max: 4 }).map(String)),
    fc.tuple(fc.constant("FLUSHDB")),
    fc.tuple(fc.constantFrom("RENAME", "COPY"), key, key),
    fc.tuple(fc.constantFrom("HSET", "HINCRBYFLOAT"), key, member, fc.constantFrom("1", "0.1", "v")),
    fc.tuple(fc.constant("HDEL"), key, member),
    fc.tuple(fc.constantFrom("LPUSH", "RPUSH", "SADD", "SREM", "ZREM", "LPUSHX"), key, member, member),
    fc.tuple(fc.constantFrom("LPOP", "RPOP", "SPOP", "ZPOPMIN", "ZPOPMAX"), key, fc.nat(3).map(String)),
    fc.tuple(fc.constantFrom("LSET", "LREM"), key, int, member),
    fc.tuple(fc.constant("LTRIM"), key, int, int),
    fc.tuple(fc.constant("LINSERT"), key, fc.constantFrom("BEFORE", "AFTER"), member, member),
    fc.tuple(fc.constant("LMOVE"), key, key, fc.constantFrom("LEFT", "RIGHT"), fc.constantFrom("LEFT", "RIGHT")),
    fc.tuple(fc.constant("SMOVE"), key, key, member),
    fc.tuple(fc.constantFrom("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), key, key, key),
    fc.tuple(fc.constantFrom("ZADD", "ZINCRBY"), key, fc.constantFrom("1", "-2.5", "inf", "0"), member),
    fc.tuple(fc.constant("ZREMRANGEBYSCORE"), key, fc.constantFrom("-inf", "(0", "1"), fc.constantFrom("+inf", "1", "(2")),
    fc.tuple(fc.constant("ZREMRANGEBYRANK"), key, int, int),
    fc.tuple(fc.constant("ZREMRANGEBYLEX"), key, fc.constantFrom("-", "[x", "(1"), fc.constantFrom("+", "[z", "(y")),
    fc.tuple(fc.constantFrom("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"), key, fc.constant("2"), key, key),
    fc.tuple(fc.constant("ZRANGESTORE"), key, key, int, int),
  ];
  return fc.oneof(...kinds, ...extra);
}
