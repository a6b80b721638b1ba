/**
 * The sorted-set commands (ZADD with NX, XX, GT, LT, CH and INCR; ZRANGE with BYSCORE, BYLEX,
 * REV, LIMIT and WITHSCORES; ZREMRANGEBYSCORE and its rank and lex forms; ZUNION, ZINTER, ZDIFF
 * and their STORE forms; ZPOPMIN, ZSCAN, ...), with Redis 7.0's replies and errors. Scores
 * are replied as `%.17g`, as Redis 7.0 does. Every change goes through `Table.change`, which
 * logs the resulting scores (so an INCR replays as the score it produced).
 * @module
 */
import * as Blocking from "./blocking.js";
import { bytes, type CommandTable, type DataCommand, long, pairs, parseCursor, positiveCount, randomCount, randomPick, scanReply, typed, upper, WRONG, wrongType } from "./data-command.js";
import { Errors } from "./errors.js";
import { formatDouble, parseDouble, parseScoreBound } from "./numbers.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";
import { SetValue } from "./types/set.js";
import { type ZItem, ZSet } from "./types/zset.js";

function zset(table: Table.Table, key: Buffer, now: number, read = false): ZSet | undefined | typeof WRONG {
  return typed(table, Table.keyOf(key), now, "zset", read);
}

function scoreBytes(score: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeDoubleLE(score, 0);
  return out;
}

const NX = 1;
const XX = 2;
const CH = 4;
const INCR = 8;
const GT = 16;
const LT = 32;

/** ZADD's option named by `arg` (its bit), or 0 when `arg` is no option (the first score). */
function zaddFlag(arg: Buffer): number {
  // Every option has 2 or 4 letters: a score ("0", "1.5") is told apart without a string made.
  if (arg.length !== 2 && arg.length !== 4) return 0;
  switch (upper(arg)) {
    case "NX": return NX;
    case "XX": return XX;
    case "CH": return CH;
    case "INCR": return INCR;
    case "GT": return GT;
    case "LT": return LT;
    default: return 0;
  }
}

function zadd(table: Table.Table, args: Buffer[], now: number, forceIncr = false): Buffer {
  let flags = forceIncr ? INCR : 0;
  let at = 2;
  if (!forceIncr) {
    for (let flag; at < args.length && (flag = zaddFlag(args[at]!)) !== 0; at++) flags |= flag;
  }
  const elements = args.length - at;
  if (elements % 2 !== 0 || elements === 0) return Resp.error(Errors.syntax);
  const nx = (flags & NX) !== 0;
  const xx = (flags & XX) !== 0;
  const gt = (flags & GT) !== 0;
  const lt = (flags & LT) !== 0;
  const incr = (flags & INCR) !== 0;
  if (nx && xx) return Resp.error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) return Resp.error("ERR GT, LT, and/or NX options at the same time are not compatible");
  if (incr && elements > 2) return Resp.error("ERR INCR option supports a single increment-element pair");
  const scores: number[] = [];
  for (let i = at; i < args.length; i += 2) {
    const score = parseDouble(args[i]!);
    if (score === null) return Resp.error(Errors.notFloat);
    scores.push(score);
  }
  const value = zset(table, args[1]!, now);
  if (value === WRONG) return wrongType();
  let changes: Buffer[] | null = null;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  // Members named twice in one ZADD: the later pair sees the earlier one's effect (only
  // needed with more than one pair).
  const pending = scores.length > 1 ? new Map<string, number>() : null;
  if (value !== undefined || !xx) {
    for (let j = 0; j < scores.length; j++) {
      score = scores[j]!;
      const memberArg = args[at + 1 + j * 2]!;
      const member = Table.keyOf(memberArg);
      const current = pending?.has(member) === true ? pending.get(member) : value?.scores.get(member);
      if (current !== undefined) {
        if (nx) continue;
        if (incr) {
          score += current;
          if (Number.isNaN(score)) return Resp.error("ERR resulting score is not a number (NaN)");
        }
        if ((lt && score >= current) || (gt && score <= current)) continue;
        processed++;
        if (score !== current) {
          updated++;
          pending?.set(member, score);
          (changes ??= []).push(scoreBytes(score), memberArg);
        }
      } else if (!xx) {
        processed++;
        added++;
        pending?.set(member, score);
        (changes ??= []).push(scoreBytes(score), memberArg);
      }
    }
  }
  if (changes !== null) Table.change(table, { op: "zadd", key: args[1]!, args: changes });
  if (incr) return processed > 0 ? Resp.bulk(formatDouble(score)) : Resp.NULL;
  return Resp.integer((flags & CH) !== 0 ? added + updated : added);
}

function withScores(items: ZItem[], scores: boolean): Buffer {
  if (!scores) return Resp.bulkArray(items.map((item) => bytes(item.member)));
  return Resp.bulkArray(pairs(items.map((item) => [bytes(item.member), formatDouble(item.score)])));
}

type Bound = { kind: "min" } | { kind: "max" } | { kind: "value"; value: string; exclusive: boolean };

function lexBound(arg: Buffer): Bound | null {
  const text = arg.toString("latin1");
  if (text === "+") return { kind: "max" };
  if (text === "-") return { kind: "min" };
  if (text.startsWith("(")) return { kind: "value", value: text.slice(1), exclusive: true };
  if (text.startsWith("[")) return { kind: "value", value: text.slice(1), exclusive: false };
  return null;
}

function gteMin(member: string, min: Bound): boolean {
  if (min.kind === "min") return true;
  if (min.kind === "max") return false;
  return min.exclusive ? member > min.value : member >= min.value;
}

function lteMax(member: string, max: Bound): boolean {
  if (max.kind === "max") return true;
  if (max.kind === "min") return false;
  return max.exclusive ? member < max.value : member <= max.value;
}

/** Where a bound sorts among member strings: "-" before all, "+" after all. */
function boundRank(bound: Bound): number {
  return bound.kind === "min" ? -1 : bound.kind === "max" ? 1 : 0;
}

/**
 * Redis's `zzlIsInLexRange`: false when the range is empty, when the last item is below `min`
 * or the first above `max`. With items of different scores the order is not the members' order,
 * and Redis looks at those two ends before it walks, so the walk below must too.
 */
function inLexRange(items: readonly ZItem[], min: Bound, max: Bound): boolean {
  const rank = boundRank(min) - boundRank(max);
  const cmp = rank !== 0 || min.kind !== "value" || max.kind !== "value" ? rank : min.value < max.value ? -1 : min.value > max.value ? 1 : 0;
  const exclusive = (min.kind === "value" && min.exclusive) || (max.kind === "value" && max.exclusive);
  if (cmp > 0 || (cmp === 0 && exclusive)) return false;
  return items.length > 0 && gteMin(items[items.length - 1]!.member, min) && lteMax(items[0]!.member, max);
}

/** The items in a lex range, walked as Redis walks a listpack (first in range from one end, then on while in range). */
function lexRange(value: ZSet, min: Bound, max: Bound, reverse: boolean): ZItem[] {
  const items = value.slice();
  const out: ZItem[] = [];
  const n = items.length;
  if (!inLexRange(items, min, max)) return out;
  if (!reverse) {
    let i = 0;
    while (i < n && !gteMin(items[i]!.member, min)) i++;
    for (; i < n && lteMax(items[i]!.member, max); i++) out.push(items[i]!);
  } else {
    let i = n - 1;
    while (i >= 0 && !lteMax(items[i]!.member, max)) i--;
    for (; i >= 0 && gteMin(items[i]!.member, min); i--) out.push(items[i]!);
  }
  return out;
}

function limited<T>(items: T[], offset: number, limit: number): T[] {
  if (offset < 0) return [];
  return items.slice(offset, limit < 0 ? undefined : offset + limit);
}

interface RangeOptions {
  /** BYSCORE/BYLEX fixed by the command's name (ZRANGEBYSCORE...), or null for ZRANGE's choice. */
  by: "rank" | "score" | "lex" | null;
  /** REV fixed by the command's name, or null for ZRANGE's choice. */
  reverse: boolean | null;
}

/**
 * The items of a ZRANGE (Redis's `zrangeGenericCommand`) over the sorted set named at `args[at]`,
 * its range and options following it, or the error reply. `store` (ZRANGESTORE) refuses
 * WITHSCORES; a missing key is an empty range.
 */
function zrangeItems(table: Table.Table, args: Buffer[], now: number, at: number, options: RangeOptions, store: boolean): { items: ZItem[]; scores: boolean } | Buffer {
  let by = options.by;
  let reverse = options.reverse;
  let scores = false;
  let offset = 0;
  let limit = -1;
  for (let i = at + 3; i < args.length; i++) {
    const option = upper(args[i]!);
    if (!store && option === "WITHSCORES") scores = true;
    else if (option === "LIMIT" && i + 2 < args.length) {
      const o = long(args[i + 1]!);
      const l = long(args[i + 2]!);
      if (o === null || l === null) return Resp.error(Errors.notInteger);
      [offset, limit] = [o, l];
      i += 2;
    } else if (options.reverse === null && option === "REV" && reverse === null) reverse = true;
    else if (options.by === null && option === "BYLEX" && by === null) by = "lex";
    else if (options.by === null && option === "BYSCORE" && by === null) by = "score";
    else return Resp.error(Errors.syntax);
  }
  reverse ??= false;
  by ??= "rank";
  if (limit !== -1 && by === "rank") return Resp.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  if (scores && by === "lex") return Resp.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  const none = { items: [], scores };
  let [minArg, maxArg] = [args[at + 1]!, args[at + 2]!];
  if (reverse && by !== "rank") [minArg, maxArg] = [maxArg, minArg];
  if (by === "rank") {
    let start = long(minArg);
    let end = long(maxArg);
    if (start === null || end === null) return Resp.error(Errors.notInteger);
    const value = zset(table, args[at]!, now, true);
    if (value === undefined) return none;
    if (value === WRONG) return wrongType();
    const length = value.size;
    if (start < 0) start += length;
    if (end < 0) end += length;
    if (start < 0) start = 0;
    if (start > end || start >= length) return none;
    if (end >= length) end = length - 1;
    const items = reverse ? value.slice(length - 1 - end, length - start).reverse() : value.slice(start, end + 1);
    return { items, scores };
  }
  if (by === "score") {
    const min = parseScoreBound(minArg);
    const max = parseScoreBound(maxArg);
    if (min === null || max === null) return Resp.error(Errors.minMaxNotFloat);
    const value = zset(table, args[at]!, now, true);
    if (value === undefined) return none;
    if (value === WRONG) return wrongType();
    if (offset > 0 && offset >= value.size) return none;
    let items = value.slice(value.scoreStart(min.value, min.exclusive), value.scoreEnd(max.value, max.exclusive));
    if (reverse) items = items.reverse();
    return { items: limited(items, offset, limit), scores };
  }
  const min = lexBound(minArg);
  const max = lexBound(maxArg);
  if (min === null || max === null) return Resp.error(Errors.minMaxNotLex);
  const value = zset(table, args[at]!, now, true);
  if (value === undefined) return none;
  if (value === WRONG) return wrongType();
  return { items: limited(lexRange(value, min, max, reverse), offset, limit), scores: false };
}

function zrange(options: RangeOptions): DataCommand {
  return (table, args, now) => {
    const range = zrangeItems(table, args, now, 1, options, false);
    return range instanceof Uint8Array ? range : withScores(range.items, range.scores);
  };
}

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: the range, scores kept, stored (an empty one deletes dst). */
function zrangestore(table: Table.Table, args: Buffer[], now: number): Buffer {
  const range = zrangeItems(table, args, now, 2, { by: null, reverse: null }, true);
  if (range instanceof Uint8Array) return range;
  const out = new ZSet();
  for (const item of range.items) out.add(item.member, item.score);
  const destination = Table.keyOf(args[1]!);
  if (out.size === 0) Table.remove(table, destination, now);
  else Table.put(table, destination, out, 0);
  return Resp.integer(out.size);
}

function zcount(table: Table.Table, args: Buffer[], now: number): Buffer {
  const min = parseScoreBound(args[2]!);
  const max = parseScoreBound(args[3]!);
  if (min === null || max === null) return Resp.error(Errors.minMaxNotFloat);
  const value = zset(table, args[1]!, now, true);
  if (value === undefined) return Resp.integer(0);
  if (value === WRONG) return wrongType();
  return Resp.integer(Math.max(0, value.scoreEnd(max.value, max.exclusive) - value.scoreStart(min.value, min.exclusive)));
}

function zrank(reverse: boolean): DataCommand {
  return (table, args, now) => {
    const value = zset(table, args[1]!, now, true);
    if (value === undefined) return Resp.NULL;
    if (value === WRONG) return wrongType();
    const rank = value.rank(Table.keyOf(args[2]!));
    if (rank < 0) return Resp.NULL;
    return Resp.integer(reverse ? value.size - 1 - rank : rank);
  };
}

function zpop(max: boolean): DataCommand {
  return (table, args, now) => {
    if (args.length > 3) return Resp.error(Errors.syntax);
    let count = 1;
    if (args.length === 3) {
      const n = positiveCount(args[2]!);
      if (n === null) return Resp.error(Errors.mustBePositive);
      count = n;
    }
    const value = zset(table, args[1]!, now);
    if (value === undefined) return Resp.EMPTY_ARRAY;
    if (value === WRONG) return wrongType();
    if (count === 0) return Resp.EMPTY_ARRAY;
    const n = Math.min(count, value.size);
    const items = max ? value.slice(value.size - n).reverse() : value.slice(0, n);
    Table.change(table, { op: "zrem", key: args[1]!, args: items.map((item) => bytes(item.member)) });
    return withScores(items, true);
  };
}

/**
 * ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX (Redis's `zremrangeGenericCommand`): the
 * range is parsed before the key is looked at, a rank range is clamped as ZRANGE's, and the
 * reply is how many members went (the key goes with its last).
 */
function zremrange(by: "rank" | "score" | "lex"): DataCommand {
  return (table, args, now) => {
    let select: (value: ZSet) => ZItem[];
    if (by === "rank") {
      let start = long(args[2]!);
      let end = long(args[3]!);
      if (start === null || end === null) return Resp.error(Errors.notInteger);
      select = (value) => {
        const length = value.size;
        if (start! < 0) start! += length;
        if (end! < 0) end! += length;
        if (start! < 0) start = 0;
        if (start! > end! || start! >= length) return [];
        return value.slice(start!, Math.min(end!, length - 1) + 1);
      };
    } else if (by === "score") {
      const min = parseScoreBound(args[2]!);
      const max = parseScoreBound(args[3]!);
      if (min === null || max === null) return Resp.error(Errors.minMaxNotFloat);
      select = (value) => value.slice(value.scoreStart(min.value, min.exclusive), value.scoreEnd(max.value, max.exclusive));
    } else {
      const min = lexBound(args[2]!);
      const max = lexBound(args[3]!);
      if (min === null || max === null) return Resp.error(Errors.minMaxNotLex);
      select = (value) => lexRange(value, min, max, false);
    }
    const value = zset(table, args[1]!, now);
    if (value === undefined) return Resp.integer(0);
    if (value === WRONG) return wrongType();
    const items = select(value);
    if (items.length === 0) return Resp.integer(0);
    return Resp.integer(Table.change(table, { op: "zrem", key: args[1]!, args: items.map((item) => bytes(item.member)) }));
  };
}

/** ZLEXCOUNT: the members a ZRANGEBYLEX of the same range would give. */
function zlexcount(table: Table.Table, args: Buffer[], now: number): Buffer {
  const min = lexBound(args[2]!);
  const max = lexBound(args[3]!);
  if (min === null || max === null) return Resp.error(Errors.minMaxNotLex);
  const value = zset(table, args[1]!, now, true);
  if (value === undefined) return Resp.integer(0);
  if (value === WRONG) return wrongType();
  return Resp.integer(lexRange(value, min, max, false).length);
}

/** An input of ZUNION and the others: a sorted set's scores, or a set's members at score 1. */
type Source = { members: Iterable<string>; size: number; score(member: string): number | undefined; of: object } | null;

function sourceOf(value: unknown): Source | typeof WRONG {
  if (value instanceof ZSet) return { members: value.scores.keys(), size: value.size, score: (m) => value.scores.get(m), of: value };
  if (value instanceof SetValue) return { members: value.members, size: value.members.size, score: (m) => (value.members.has(m) ? 1 : undefined), of: value };
  return WRONG;
}

/** Redis's `zunionInterAggregate`: a sum of +inf and -inf is 0, not NaN. */
function aggregate(how: "SUM" | "MIN" | "MAX", target: number, value: number): number {
  if (how === "SUM") {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  return how === "MIN" ? (value < target ? value : target) : value > target ? value : target;
}

/**
 * ZUNION, ZINTER and ZDIFF, their STORE forms, and ZINTERCARD: Redis's
 * `zunionInterDiffGenericCommand`. Sets count as sorted sets of score 1; the keys are read (and
 * type-checked) before the options (WEIGHTS, AGGREGATE, WITHSCORES, LIMIT) are parsed; union and
 * intersection take the inputs smallest first, as Redis does, so that sums are added in its order.
 */
function zalgebra(op: "union" | "inter" | "diff", form: "reply" | "store" | "card"): DataCommand {
  return (table, args, now) => {
    const numkeysAt = form === "store" ? 2 : 1;
    const setnum = long(args[numkeysAt]!);
    if (setnum === null) return Resp.error(Errors.notInteger);
    if (setnum < 1) return Resp.error(`ERR at least 1 input key is needed for '${upper(args[0]!).toLowerCase()}' command`);
    if (setnum > args.length - (numkeysAt + 1)) return Resp.error(Errors.syntax);
    const sources: Source[] = [];
    for (let i = 0; i < setnum; i++) {
      const entry = Table.read(table, Table.keyOf(args[numkeysAt + 1 + i]!), now);
      const source = entry === undefined ? null : sourceOf(entry.value);
      if (source === WRONG) return wrongType();
      sources.push(source);
    }
    const weights = sources.map(() => 1);
    let how: "SUM" | "MIN" | "MAX" = "SUM";
    let scores = false;
    let limit = 0;
    for (let j = numkeysAt + 1 + setnum; j < args.length; ) {
      const remaining = args.length - j;
      const option = upper(args[j]!);
      if (op !== "diff" && form !== "card" && remaining >= setnum + 1 && option === "WEIGHTS") {
        j++;
        for (let i = 0; i < setnum; i++, j++) {
          const weight = parseDouble(args[j]!);
          if (weight === null) return Resp.error("ERR weight value is not a float");
          weights[i] = weight;
        }
      } else if (op !== "diff" && form !== "card" && remaining >= 2 && option === "AGGREGATE") {
        const which = upper(args[j + 1]!);
        if (which !== "SUM" && which !== "MIN" && which !== "MAX") return Resp.error(Errors.syntax);
        how = which;
        j += 2;
      } else if (form === "reply" && option === "WITHSCORES") {
        scores = true;
        j++;
      } else if (form === "card" && remaining >= 2 && option === "LIMIT") {
        const n = long(args[j + 1]!);
        if (n === null || n < 0) return Resp.error("ERR LIMIT can't be negative");
        limit = n;
        j += 2;
      } else {
        return Resp.error(Errors.syntax);
      }
    }
    const inputs = sources.map((source, i) => ({ source, weight: weights[i]! }));
    // Smallest first (a stable sort: Redis's qsort may order equal sizes either way).
    if (op !== "diff") inputs.sort((a, b) => (a.source?.size ?? 0) - (b.source?.size ?? 0));
    const result = new Map<string, number>();
    let cardinality = 0;
    const first = inputs[0]!;
    if (op === "inter" && first.source !== null && first.source.size > 0) {
      for (const member of first.source.members) {
        const base = first.source.score(member)!;
        let score = first.weight * base;
        if (Number.isNaN(score)) score = 0;
        let j = 1;
        for (; j < inputs.length; j++) {
          const other = inputs[j]!;
          const value = other.source?.of === first.source.of ? base : other.source?.score(member);
          if (value === undefined) break;
          score = aggregate(how, score, value * other.weight);
        }
        if (j < inputs.length) continue;
        if (form === "card") {
          if (++cardinality === limit) break;
        } else result.set(member, score);
      }
    } else if (op === "union") {
      for (const { source, weight } of inputs) {
        if (source === null) continue;
        for (const member of source.members) {
          let score = weight * source.score(member)!;
          if (Number.isNaN(score)) score = 0;
          const existing = result.get(member);
          result.set(member, existing === undefined ? score : aggregate(how, existing, score));
        }
      }
    } else if (op === "diff" && first.source !== null) {
      const others = inputs.slice(1);
      for (const member of first.source.members) {
        if (others.some((other) => other.source?.score(member) !== undefined)) continue;
        result.set(member, first.source.score(member)!);
      }
    }
    if (form === "card") return Resp.integer(cardinality);
    const zsetOut = new ZSet();
    for (const [member, score] of result) zsetOut.add(member, score);
    if (form === "reply") return withScores(zsetOut.slice(), scores);
    const destination = Table.keyOf(args[1]!);
    if (zsetOut.size === 0) Table.remove(table, destination, now);
    else Table.put(table, destination, zsetOut, 0);
    return Resp.integer(zsetOut.size);
  };
}

/**
 * ZRANDMEMBER key [count [WITHSCORES]]: one random member, `count` distinct ones, or with a
 * negative count that many drawn with repeats (Redis's checks and limits, as HRANDFIELD's).
 */
function zrandmember(table: Table.Table, args: Buffer[], now: number): Buffer {
  if (args.length === 2) {
    const value = zset(table, args[1]!, now, true);
    if (value === undefined) return Resp.NULL;
    if (value === WRONG) return wrongType();
    const members = [...value.scores.keys()];
    return Resp.bulk(bytes(members[Math.floor(Math.random() * members.length)]!));
  }
  const parsed = randomCount(args, "WITHSCORES");
  if (typeof parsed === "string") return Resp.error(parsed);
  const value = zset(table, args[1]!, now, true);
  if (value === undefined) return Resp.EMPTY_ARRAY;
  if (value === WRONG) return wrongType();
  if (parsed.count === 0) return Resp.EMPTY_ARRAY;
  return withScores(randomPick(value.slice(), parsed.count), parsed.with);
}

/** A score as a listpack stores it (Redis's `d2string`): an integer in ±2^62 as one, else `%.17g`. */
function listpackScore(score: number): string {
  return Number.isInteger(score) && Math.abs(score) <= 2 ** 62 ? BigInt(score).toString() : formatDouble(score);
}

function zscan(table: Table.Table, args: Buffer[], now: number): Buffer {
  const cursor = parseCursor(args[2]!);
  if (cursor === null) return Resp.error(Errors.invalidCursor);
  const value = zset(table, args[1]!, now, true);
  if (value === undefined) return Resp.array([Resp.bulk("0"), Resp.EMPTY_ARRAY]);
  if (value === WRONG) return wrongType();
  const small = value.encoding() === "listpack";
  return scanReply(args, cursor, small, () => value.slice().map((item) => [item.member, [bytes(item.member), small ? listpackScore(item.score) : formatDouble(item.score)]]));
}

/**
 * The sorted-set commands.
 *
 * @example
 * ```ts
 * zsetCommands.zadd!.arity; // -4
 * ```
 */
export const zsetCommands: CommandTable = {
  zadd: { arity: -4, run: (t, a, now) => zadd(t, a, now) },
  zincrby: { arity: 4, run: (t, a, now) => zadd(t, a, now, true) },
  zrem: { arity: -3, run(t, a, now) {
    const value = zset(t, a[1]!, now);
    if (value === WRONG) return wrongType();
    return Resp.integer(value === undefined ? 0 : Table.change(t, { op: "zrem", key: a[1]!, args: a.slice(2) }));
  } },
  zscore: { arity: 3, run(t, a, now) {
    const value = zset(t, a[1]!, now, true);
    if (value === WRONG) return wrongType();
    const score = value?.scores.get(Table.keyOf(a[2]!));
    return Resp.bulk(score === undefined ? null : formatDouble(score));
  } },
  zmscore: { arity: -3, run(t, a, now) {
    const value = zset(t, a[1]!, now, true);
    if (value === WRONG) return wrongType();
    return Resp.bulkArray(a.slice(2).map((m) => {
      const score = value?.scores.get(Table.keyOf(m));
      return score === undefined ? null : formatDouble(score);
    }));
  } },
  zcard: { arity: 2, run(t, a, now) {
    const value = zset(t, a[1]!, now, true);
    return value === WRONG ? wrongType() : Resp.integer(value?.size ?? 0);
  } },
  zcount: { arity: 4, run: zcount },
  zunion: { arity: -3, run: zalgebra("union", "reply") },
  zinter: { arity: -3, run: zalgebra("inter", "reply") },
  zdiff: { arity: -3, run: zalgebra("diff", "reply") },
  zunionstore: { arity: -4, run: zalgebra("union", "store") },
  zinterstore: { arity: -4, run: zalgebra("inter", "store") },
  zdiffstore: { arity: -4, run: zalgebra("diff", "store") },
  zintercard: { arity: -3, run: zalgebra("inter", "card") },
  zlexcount: { arity: 4, run: zlexcount },
  zremrangebyrank: { arity: 4, run: zremrange("rank") },
  zremrangebyscore: { arity: 4, run: zremrange("score") },
  zremrangebylex: { arity: 4, run: zremrange("lex") },
  zrank: { arity: 3, run: zrank(false) },
  zrevrank: { arity: 3, run: zrank(true) },
  zrange: { arity: -4, run: zrange({ by: null, reverse: null }) },
  zrangestore: { arity: -5, run: zrangestore },
  zrandmember: { arity: -2, run: zrandmember },
  zrevrange: { arity: -4, run: zrange({ by: "rank", reverse: true }) },
  zrangebyscore: { arity: -4, run: zrange({ by: "score", reverse: false }) },
  zrevrangebyscore: { arity: -4, run: zrange({ by: "score", reverse: true }) },
  zrangebylex: { arity: -4, run: zrange({ by: "lex", reverse: false }) },
  zrevrangebylex: { arity: -4, run: zrange({ by: "lex", reverse: true }) },
  zpopmin: { arity: -2, run: zpop(false) },
  // Without blocking (inside MULTI); a client that may block is served by blocking.ts.
  bzpopmin: { arity: -3, run: Blocking.runAtOnce },
  bzpopmax: { arity: -3, run: Blocking.runAtOnce },
  bzmpop: { arity: -5, run: Blocking.runAtOnce },
  zmpop: { arity: -4, run: (t, a, now) => Blocking.mpop(t, a, now, "zset") },
  zpopmax: { arity: -2, run: zpop(true) },
  zscan: { arity: -3, run: zscan },
};
