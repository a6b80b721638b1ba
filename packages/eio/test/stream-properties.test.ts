/**
 * Property tests: random programs of fork / yield / add / take / takeNonblocking / cancel over
 * a stream of random capacity. Whatever the interleaving and cancellations, no item is lost or
 * duplicated, each consumer sees each producer's items in order, every switch ends, and the
 * mock backend gives the same trace for the same program.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { assertProperty } from "../../../test/support/fc.js";

type LeafOp =
  | { kind: "add" }
  | { kind: "take" }
  | { kind: "takeNonblocking" }
  | { kind: "yield" }
  | { kind: "cancel"; target: number };
type Op = LeafOp | { kind: "fork"; ops: LeafOp[] };
interface Program {
  capacity: number;
  fibers: Op[][];
}

const leafOp: fc.Arbitrary<LeafOp> = fc.oneof(
  { arbitrary: fc.constant({ kind: "add" as const }), weight: 4 },
  { arbitrary: fc.constant({ kind: "take" as const }), weight: 4 },
  { arbitrary: fc.constant({ kind: "takeNonblocking" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "yield" as const }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("cancel" as const), target: fc.nat({ max: 4 }) }), weight: 1 },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: leafOp, weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant("fork" as const), ops: fc.array(leafOp, { maxLength: 6 }) }), weight: 1 },
);
const programArb: fc.Arbitrary<Program> = fc.record({
  capacity: fc.constantFrom(0, 0, 1, 1, 2, 3, 100, Infinity),
  fibers: fc.array(fc.array(op, { maxLength: 10 }), { minLength: 1, maxLength: 5 }),
});

interface Outcome {
  trace: string[];
  added: string[];
  /** What each consumer took, in its order; the final drain is consumer "drain". */
  takes: Map<string, string[]>;
  violations: string[];
}

function countOps(p: Program): number {
  return p.fibers.flat().reduce((n, o) => n + 1 + (o.kind === "fork" ? o.ops.length : 0), 0);
}

/** Runs `p`; `settle` must return once every scripted fiber is blocked or done. */
function* runProgram(p: Program, settle: () => Eio.Operation<void>, shared = false): Eio.Operation<Outcome> {
  const s = Eio.Stream.create<string>(p.capacity, { shared });
  const out: Outcome = { trace: [], added: [], takes: new Map(), violations: [] };
  const contexts = new Map<number, Eio.Cancel.Context>();
  let nextId = p.fibers.length;

  function* body(id: number, ops: readonly Op[], sw: Eio.Switch.Switch): Eio.Operation<void> {
    const mine: string[] = [];
    out.takes.set(`f${id}`, mine);
    let seq = 0;
    yield* Eio.Cancel.sub(function* (ctx) {
      contexts.set(id, ctx);
      try {
        for (const o of ops) {
          switch (o.kind) {
            case "add": {
              const item = `${id}:${seq++}`;
              out.trace.push(`f${id} add ${item}`);
              yield* Eio.Stream.add(s, item);
              out.added.push(item);
              out.trace.push(`f${id} added ${item}`);
              break;
            }
            case "take": {
              out.trace.push(`f${id} take`);
              const v = yield* Eio.Stream.take(s);
              mine.push(v);
              out.trace.push(`f${id} took ${v}`);
              break;
            }
            case "takeNonblocking": {
              const v = Eio.Stream.takeNonblocking(s);
              if (v !== undefined) mine.push(v);
              out.trace.push(`f${id} takeNonblocking ${v ?? "none"}`);
              break;
            }
            case "yield":
              yield* Eio.Fiber.yield();
              break;
            case "cancel": {
              const target = contexts.get(o.target);
              out.trace.push(`f${id} cancel f${o.target}${target === undefined ? " (not running)" : ""}`);
              if (target !== undefined) Eio.Cancel.cancel(target, new Error(`cancelled by f${id}`));
              break;
            }
            case "fork": {
              const child = nextId++;
              out.trace.push(`f${id} fork f${child}`);
              Eio.Fiber.fork(sw, () => body(child, o.ops, sw));
              break;
            }
          }
          if (Eio.Stream.length(s) > p.capacity) out.violations.push(`length ${Eio.Stream.length(s)} > capacity`);
        }
        out.trace.push(`f${id} done`);
      } catch (error) {
        if (!(error instanceof Eio.Cancel.Cancelled)) throw error;
        out.trace.push(`f${id} cancelled`);
      } finally {
        contexts.delete(id);
      }
    });
  }

  yield* Eio.Cancel.sub(function* (all) {
    yield* Eio.Switch.run(function* (sw) {
      p.fibers.forEach((ops, id) => Eio.Fiber.fork(sw, () => body(id, ops, sw)));
      yield* settle();
      out.trace.push("main cancels the rest");
      Eio.Cancel.cancel(all, new Error("end of program"));
    });
  });
  const drained: string[] = [];
  for (let v = Eio.Stream.takeNonblocking(s); v !== undefined; v = Eio.Stream.takeNonblocking(s)) drained.push(v);
  out.takes.set("drain", drained);
  return out;
}

function checkInvariants(out: Outcome): void {
  expect(out.violations).toEqual([]);
  const seen = [...out.takes.values()].flat();
  // Nothing duplicated, nothing lost: what came out is exactly what was added.
  expect(new Set(seen).size).toBe(seen.length);
  expect([...seen].sort()).toEqual([...out.added].sort());
  // FIFO per producer, as seen by each consumer.
  for (const [consumer, items] of out.takes) {
    const last = new Map<string, number>();
    for (const item of items) {
      const [producer, seq] = item.split(":") as [string, string];
      const previous = last.get(producer) ?? -1;
      if (Number(seq) <= previous) throw new Error(`${consumer} saw ${producer}'s items out of order: ${items.join(", ")}`);
      last.set(producer, Number(seq));
    }
  }
}

const runOnMock = (p: Program): globalThis.Promise<Outcome> =>
  Eio.Mock.run<Outcome>((env) => runProgram(p, () => Eio.Time.sleep(env.clock, 1)), { traceln: () => {} });

const runOnReal = (p: Program, shared = false): globalThis.Promise<Outcome> =>
  Eio.run<Outcome>(() =>
    runProgram(
      p,
      function* () {
        // With no timers or I/O, each round lets every runnable fiber do at least one step.
        for (let i = countOps(p) * 2 + 10; i > 0; i--) yield* Eio.Fiber.yield();
      },
      shared,
    ),
  );

describe("Stream properties", () => {
  it("on the mock backend: no item lost or duplicated, FIFO per producer, every switch ends", async () => {
    await assertProperty(
      fc.asyncProperty(programArb, async (p) => {
        checkInvariants(await runOnMock(p));
      }),
      { numRuns: 300 },
    );
  });

  it("on the real backend: the same invariants", async () => {
    await assertProperty(
      fc.asyncProperty(programArb, async (p) => {
        checkInvariants(await runOnReal(p));
      }),
      { numRuns: 200 },
    );
  });

  it("a shared stream (its per-side fast paths and its locked path) in one domain: the same invariants", async () => {
    await assertProperty(
      fc.asyncProperty(programArb, async (p) => {
        checkInvariants(await runOnReal(p, true));
      }),
      { numRuns: 200 },
    );
  });

  it("the mock backend gives the same trace for the same program", async () => {
    await assertProperty(
      fc.asyncProperty(programArb, async (p) => {
        const first = await runOnMock(p);
        const second = await runOnMock(p);
        expect(second.trace).toEqual(first.trace);
      }),
      { numRuns: 100 },
    );
  });

  it("the same seed gives the same programs and the same traces", async () => {
    const traces = async (): globalThis.Promise<string[][]> => {
      const programs = fc.sample(programArb, { seed: 20261124, numRuns: 25 });
      const result: string[][] = [];
      for (const p of programs) result.push((await runOnMock(p)).trace);
      return result;
    };
    const a = await traces();
    const b = await traces();
    expect(a.flat().length).toBeGreaterThan(25);
    expect(b).toEqual(a);
  });

  it("a hand-written program: a woken adder keeps its hand-off, and fast paths ignore cancellation", async () => {
    const p: Program = {
      capacity: 0,
      fibers: [
        [{ kind: "add" }, { kind: "add" }, { kind: "add" }],
        [{ kind: "take" }, { kind: "cancel", target: 0 }, { kind: "take" }],
        [{ kind: "take" }, { kind: "take" }],
      ],
    };
    const out = await runOnMock(p);
    checkInvariants(out);
    expect(out.trace).toEqual([
      "f0 add 0:0", "f1 take", "f1 took 0:0", "f1 cancel f0", "f1 take", "f2 take",
      "f0 added 0:0", "f0 add 0:1", "f0 added 0:1", "f0 add 0:2", "f0 added 0:2", "f0 done",
      "f1 took 0:1", "f1 done", "f2 took 0:2", "f2 take", "main cancels the rest", "f2 cancelled",
    ]);
  });

  it("a hand-written program: a cancelled blocked adder hands nothing over", async () => {
    const p: Program = {
      capacity: 0,
      fibers: [
        [{ kind: "add" }, { kind: "add" }],
        [{ kind: "cancel", target: 0 }, { kind: "takeNonblocking" }, { kind: "take" }],
      ],
    };
    const out = await runOnMock(p);
    checkInvariants(out);
    expect(out.added).toEqual([]);
    expect(out.trace).toEqual([
      "f0 add 0:0", "f1 cancel f0", "f1 takeNonblocking none", "f1 take", "f0 cancelled",
      "main cancels the rest", "f1 cancelled",
    ]);
  });
});
