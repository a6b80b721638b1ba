import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ZSet } from "../src/types/zset.js";
import { assertProperty } from "../../../test/support/fc.js";

/** The model: every (member, score) sorted by score, then member, as one array. */
function sorted(model: Map<string, number>): { member: string; score: number }[] {
  return [...model].map(([member, score]) => ({ member, score })).sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}

describe("ZSet", () => {
  it("keeps ranks, ranges and positions of a sorted array through inserts and removals across many blocks (property)", () => {
    // Few distinct scores (ties ordered by member) and enough members to split and merge blocks.
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), member: fc.nat({ max: 1500 }), score: fc.integer({ min: -20, max: 20 }) }),
      fc.record({ kind: fc.constant("addMany" as const), from: fc.nat({ max: 1500 }), count: fc.nat({ max: 600 }), score: fc.integer({ min: -20, max: 20 }) }),
      fc.record({ kind: fc.constant("remove" as const), member: fc.nat({ max: 1500 }) }),
      fc.record({ kind: fc.constant("popMin" as const), count: fc.nat({ max: 400 }) }),
      fc.record({ kind: fc.constant("popMax" as const), count: fc.nat({ max: 400 }) }),
    );
    assertProperty(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: -25, max: 25 }), fc.integer({ min: -5, max: 1600 }), (ops, bound, probe) => {
        const zset = new ZSet();
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === "add") {
            expect(zset.add(`m${o.member}`, o.score)).toBe(!model.has(`m${o.member}`));
            model.set(`m${o.member}`, o.score);
          } else if (o.kind === "addMany") {
            for (let i = o.from; i < o.from + o.count; i++) {
              zset.add(`m${i}`, o.score + (i % 3));
              model.set(`m${i}`, o.score + (i % 3));
            }
          } else if (o.kind === "remove") {
            expect(zset.remove(`m${o.member}`)).toBe(model.delete(`m${o.member}`));
          } else {
            const items = sorted(model);
            const taken = o.kind === "popMin" ? items.slice(0, o.count) : items.slice(Math.max(0, items.length - o.count));
            expect(o.kind === "popMin" ? zset.slice(0, o.count) : zset.slice(zset.size - o.count)).toEqual(taken);
            for (const item of taken) {
              zset.remove(item.member);
              model.delete(item.member);
            }
          }
        }
        const items = sorted(model);
        expect(zset.size).toBe(items.length);
        expect(zset.slice()).toEqual(items);
        expect(zset.at(probe)).toEqual(items[probe]);
        expect(zset.slice(probe, probe + 7)).toEqual(items.slice(Math.max(0, probe), probe + 7));
        const member = `m${Math.abs(probe)}`;
        expect(zset.rank(member)).toBe(items.findIndex((item) => item.member === member));
        const firstAbove = (exclusive: boolean) => {
          const i = items.findIndex((item) => item.score > bound || (!exclusive && item.score === bound));
          return i < 0 ? items.length : i;
        };
        expect(zset.scoreStart(bound, false)).toBe(firstAbove(false));
        expect(zset.scoreStart(bound, true)).toBe(firstAbove(true));
        expect(zset.scoreEnd(bound, false)).toBe(firstAbove(true));
        expect(zset.scoreEnd(bound, true)).toBe(firstAbove(false));
        expect(zset.clone().slice()).toEqual(items);
      }),
      { numRuns: 150 },
    );
  });
});
