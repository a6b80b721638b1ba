import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import type { Operation } from "../../src/core/scheduler.js";
import { collectCycles, cycleStats, decodeAndFree, encodeValue, freeValue, getArena } from "../../src/shared/index.js";
import { collectedLiveBytes, gc, settledLiveBytes } from "./live-bytes.js";
import type { CycleNode } from "./scenarios.js";
import { inDomain, spawn } from "./spawn.js";
import { assertProperty } from "../../../../test/support/fc.js";

type Node = CycleNode["next"];
const offsetOf = (handle: unknown): number => (handle as { offset: number }).offset;
/** A second handle on the same shared object (a promise's resolver settles when it resolves). */
const another = <T>(handle: T): T => decodeAndFree(encodeValue(handle)) as T;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes a shared stream (capacity 4) or promise for each entry of `streams`, then puts
 * `valueOf(i, handles)` in node i (a stream's one item, a promise's value); returns a handle
 * on each node (resolvers are dropped).
 */
function* buildNodes(streams: readonly boolean[], valueOf: (i: number, handles: unknown[]) => unknown): Operation<unknown[]> {
  const handles: unknown[] = [];
  const resolvers: (Eio.Promise.Resolver<unknown> | null)[] = [];
  for (const stream of streams) {
    if (stream) {
      handles.push(Eio.Stream.create<unknown>(4, { shared: true }));
      resolvers.push(null);
    } else {
      const [promise, resolver] = Eio.Promise.create<unknown>({ shared: true });
      handles.push(another(promise));
      resolvers.push(resolver);
    }
  }
  for (let i = 0; i < handles.length; i++) {
    const value = valueOf(i, handles);
    if (streams[i]) yield* Eio.Stream.add(handles[i] as Eio.Stream.Stream<unknown>, value);
    else Eio.Promise.resolve(resolvers[i]!, value);
  }
  return handles;
}

/** A ring: node i's value is `{ id: i, next: node i + 1 }`. */
function* buildRing(streams: readonly boolean[]): Operation<Node[]> {
  return (yield* buildNodes(streams, (i, nodes): CycleNode => {
    const j = (i + 1) % nodes.length;
    return { id: i, next: nodes[j] as Node, nextIsStream: streams[j]! };
  })) as Node[];
}

/**
 * Allocates and fills blocks (values, and promise cells holding them), so memory freed by
 * mistake is overwritten; give them back with `unscribble`.
 */
function scribble(): number[] {
  const junk: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const [promise, resolver] = Eio.Promise.create<unknown>({ shared: true });
    Eio.Promise.resolve(resolver, { junk: "overwritten".repeat(i % 4), i });
    junk.push(encodeValue(promise));
  }
  return junk;
}

function unscribble(junk: number[]): void {
  for (const ref of junk) freeValue(ref);
}

describe("shared objects that refer to themselves", () => {
  it("a shared promise whose value holds its own resolver is freed with its last handle", async () => {
    await Eio.run(function* () {});
    const before = await settledLiveBytes();
    await Eio.run(function* () {
      for (let i = 0; i < 1000; i++) {
        const [promise, resolver] = Eio.Promise.create<unknown>({ shared: true });
        Eio.Promise.resolve(resolver, { again: resolver, list: [promise, i] });
        const [bare, bareResolver] = Eio.Promise.create<unknown>({ shared: true });
        Eio.Promise.resolve(bareResolver, bare);
        const [, small] = Eio.Promise.create<unknown>({ shared: true });
        Eio.Promise.resolve(small, { self: small, n: i });
      }
    });
    expect(await settledLiveBytes()).toBe(before);
  });

  it("a shared stream that carries its own handle is freed with its last handle", async () => {
    await Eio.run(function* () {});
    const before = await settledLiveBytes();
    await Eio.run(function* () {
      for (let i = 0; i < 1000; i++) {
        const stream = Eio.Stream.create<unknown>(4, { shared: true });
        yield* Eio.Stream.add(stream, stream);
        yield* Eio.Stream.add(stream, { reply: stream, n: i });
        yield* Eio.Stream.add(stream, [new Map([["s", stream]])]);
        const taken = yield* Eio.Stream.take(stream);
        if (!(taken instanceof Object)) throw new Error("lost the item");
      }
    });
    expect(await settledLiveBytes()).toBe(before);
  });
});

describe("reference cycles through several shared objects (the cycle collector)", () => {
  it("two promises whose values hold each other's resolvers are freed once dropped, by collections that run on their own", async () => {
    await Eio.run(function* () {});
    const before = await collectedLiveBytes();
    const freedBefore = cycleStats().freed;
    await Eio.run(function* () {
      for (let i = 0; i < 1000; i++) {
        const [, a] = Eio.Promise.create<unknown>({ shared: true });
        const [, b] = Eio.Promise.create<unknown>({ shared: true });
        // Each resolver lets go of its cell when it resolves: only the cycle keeps them.
        Eio.Promise.resolve(b, { other: a, i });
        Eio.Promise.resolve(a, { other: b, i });
      }
    });
    // No explicit collection: a scheduled one (or the one at the end of Eio.run) frees them.
    // It runs on its own timer and tells no one, so this polls.
    let live = getArena().liveBytes();
    for (let waited = 0; live !== before && waited < 5000; waited += 20) {
      await sleep(20);
      live = getArena().liveBytes();
    }
    expect(live).toBe(before);
    expect(cycleStats().freed - freedBefore).toBeGreaterThanOrEqual(2000);
    expect(cycleStats().anomalies).toBe(0);
  });

  it("a chain of messages (each promise's value names the next promise) is freed as it goes, without walks", async () => {
    await Eio.run(function* () {});
    const before = await collectedLiveBytes();
    const scannedBefore = cycleStats().scanned;
    const rounds = 5000;
    await Eio.run(function* () {
      // The ping-pong's shape in one domain: each ping is resolved with a message naming the
      // answer's resolver and the next ping; the reader holds its own handles (as another domain
      // would). A resolver's release is not listed (its value names only objects it holds), and
      // the reader, last to hold the ping, frees it as it reads.
      let [first, pingResolver] = Eio.Promise.create<{ i: number; pong: unknown; next: unknown } | null>({ shared: true });
      let ping = another(first);
      first = null!;
      for (let i = 0; i < rounds; i++) {
        const [pong, pongResolver] = Eio.Promise.create<number>({ shared: true });
        const [next, nextResolver] = Eio.Promise.create<{ i: number; pong: unknown; next: unknown } | null>({ shared: true });
        Eio.Promise.resolve(pingResolver, { i, pong: pongResolver, next });
        pingResolver = nextResolver;
        const message = (yield* Eio.Promise.await(ping))!;
        expect(message.i).toBe(i);
        Eio.Promise.resolve(message.pong as Eio.Promise.Resolver<number>, i * 2);
        ping = message.next as typeof ping;
        expect(yield* Eio.Promise.await(pong)).toBe(i * 2);
        if (i % 500 === 0) collectCycles();
      }
      Eio.Promise.resolve(pingResolver, null);
      expect(yield* Eio.Promise.await(ping)).toBe(null);
    });
    expect(await collectedLiveBytes()).toBe(before);
    // No ping needed a walk to be freed.
    expect(cycleStats().scanned - scannedBefore).toBeLessThan(rounds / 10);
    expect(cycleStats().anomalies).toBe(0);
  });

  it("rings of three promises, of two streams, and of promises and streams are freed when no handle is left", async () => {
    await Eio.run(function* () {});
    const before = await collectedLiveBytes();
    const freedBefore = cycleStats().freed;
    await Eio.run(function* () {
      for (let i = 0; i < 200; i++) {
        yield* buildRing([false, false, false]);
        yield* buildRing([true, true]);
        yield* buildRing([false, true, false, true]);
      }
    });
    gc();
    expect(await collectedLiveBytes()).toBe(before);
    expect(cycleStats().freed - freedBefore).toBe(200 * 9);
    expect(cycleStats().anomalies).toBe(0);
  });

  it("a cycle built across two domains and dropped in both is freed", async () => {
    await Eio.run(function* () {});
    const before = await collectedLiveBytes();
    await Eio.run(function* () {
      for (let round = 0; round < 3; round++) {
        const [a, resolverA] = Eio.Promise.create<{ id: string; other: Eio.Promise.Promise<{ id: string; other: unknown }> }>({ shared: true });
        // The other domain makes B and closes the cycle A -> B -> A with A's resolver.
        expect(yield* inDomain<string>("closeCycle", resolverA)).toBe("closed");
        const valueA = yield* Eio.Promise.await(a);
        const valueB = yield* Eio.Promise.await(valueA.other);
        expect([valueA.id, valueB.id]).toEqual(["a", "b"]);
        expect(offsetOf(valueB.other)).toBe(offsetOf(a));
      }
    });
    expect(await collectedLiveBytes()).toBe(before);
    expect(cycleStats().anomalies).toBe(0);
  }, 60_000);

  it("a domain that crashes with candidates in its buffer: retiring it gives their references back, and their cycle is freed", async () => {
    await Eio.run(function* () {});
    const freedBefore = cycleStats().freed;
    const how = await Eio.run(function* () {
      const [built, ready] = Eio.Promise.create<string>({ shared: true });
      const crash = spawn("cycleThenExit", ready).then(
        () => "exited cleanly",
        (error: Error) => error.message,
      );
      expect(yield* Eio.Promise.await(built)).toBe("built");
      return yield* Eio.Fiber.awaitNative(crash);
    });
    expect(how).toContain("exited with code 3");
    // Unless its buffer's reference was given back, the cycle would look held from outside.
    collectCycles();
    expect(cycleStats().freed - freedBefore).toBe(2);
    expect(cycleStats().anomalies).toBe(0);
  }, 30_000);

  it("a cycle still reachable from a handle held in another domain is never freed and stays usable", async () => {
    await Eio.run(function* () {});
    const before = await collectedLiveBytes();
    let freedWhileHeld = -1;
    let junk: number[] = [];
    const walked = await Eio.run(function* () {
      const [ready, readyResolver] = Eio.Promise.create<string>({ shared: true });
      const [go, goResolver] = Eio.Promise.create<string>({ shared: true });
      const walker = Eio.Promise.create<number>();
      yield* Eio.Switch.run(function* (sw) {
        let ring: Node[] | null = yield* buildRing([false, false, false]);
        const start = ring[0]!;
        Eio.Fiber.fork(sw, function* () {
          Eio.Promise.resolve(walker[1], yield* inDomain<number>("holdThenWalk", start, 3, readyResolver, go));
        });
        yield* Eio.Promise.await(ready);
        ring = null; // this domain's handles go: only the other domain's keeps the ring alive
        const freed = cycleStats().freed;
        for (let i = 0; i < 5; i++) yield* Eio.Fiber.awaitNative(collectedLiveBytes());
        freedWhileHeld = cycleStats().freed - freed;
        junk = scribble();
        Eio.Promise.resolve(goResolver, "go");
      });
      return yield* Eio.Promise.await(walker[0]);
    });
    expect(freedWhileHeld).toBe(0);
    expect(walked).toBe(9);
    unscribble(junk);
    expect(await collectedLiveBytes()).toBe(before);
    expect(cycleStats().anomalies).toBe(0);
  }, 60_000);

  it("frees exactly the unreachable objects of random graphs of promises and streams (property)", async () => {
    // A handle kept throughout, so this domain's list of held references exists before and
    // after each run (it is freed when empty, which would shift the measurements).
    const ballast = await Eio.run<Eio.Stream.Stream<number>>(function* () {
      return Eio.Stream.create<number>(0, { shared: true });
    });
    const nodeSpec = fc.record({ stream: fc.boolean(), edges: fc.array(fc.nat(), { maxLength: 4 }), kept: fc.boolean() });
    await assertProperty(
      fc.asyncProperty(fc.array(nodeSpec, { minLength: 1, maxLength: 8 }), async (spec) => {
        const n = spec.length;
        const edges = spec.map((node) => node.edges.map((e) => e % n));
        // Reachable from the kept handles.
        const reachable = new Set<number>();
        const work = spec.flatMap((node, i) => (node.kept ? [i] : []));
        for (let i = work.pop(); i !== undefined; i = work.pop()) {
          if (reachable.has(i)) continue;
          reachable.add(i);
          work.push(...edges[i]!);
        }
        const before = await collectedLiveBytes();
        let graph: Graph | null = await buildGraph(spec.map((node) => node.stream), edges, spec.map((node) => node.kept));
        const withGraph = await collectedLiveBytes();
        // The same objects and values, made again without the unreachable ones, take as much.
        const order = [...reachable].sort((x, y) => x - y);
        const renumber = new Map(order.map((i, k) => [i, k]));
        let copy: Graph | null = await buildGraph(
          order.map((i) => spec[i]!.stream),
          order.map((i) => edges[i]!.map((e) => renumber.get(e)!)),
          order.map((i) => spec[i]!.kept),
        );
        const withCopy = await collectedLiveBytes();
        expect(withCopy - withGraph).toBe(withGraph - before);
        // Every kept handle still reads its value, naming the right objects, after freed blocks were reused.
        const junk = scribble();
        await Eio.run(function* () {
          for (const [i, handle] of graph!.kept) {
            let value: { id: number; [edge: string]: unknown };
            if (spec[i]!.stream) {
              const stream = handle as Eio.Stream.Stream<typeof value>;
              value = yield* Eio.Stream.take(stream);
              yield* Eio.Stream.add(stream, value);
            } else {
              value = yield* Eio.Promise.await(handle as Eio.Promise.Promise<typeof value>);
            }
            expect(value.id).toBe(i);
            expect(edges[i]!.map((_, k) => offsetOf(value[`e${k}`]))).toEqual(edges[i]!.map((j) => graph!.offsets[j]));
          }
        });
        unscribble(junk);
        graph = copy = null;
        expect(await collectedLiveBytes()).toBe(before);
        expect(cycleStats().anomalies).toBe(0);
        return graph === null && copy === null;
      }),
      { numRuns: 40 },
    );
    expect(Eio.Stream.length(ballast)).toBe(0);
  }, 180_000);

  it("a domain building and dropping cycles never frees a ring another domain walks through live values (stress)", async () => {
    await Eio.run(function* () {});
    const before = await collectedLiveBytes();
    type Churned = { freed: number; anomalies: number };
    const [walked, churned] = await Eio.run<[number, Churned]>(function* () {
      let ring: Node[] | null = yield* buildRing([false, true, false, false]);
      const start = ring[0]!;
      ring = null;
      return yield* Eio.Fiber.pair<number, Churned>(
        () => inDomain<number>("walkRing", start, false, 4, 20_000),
        function* () {
          const result = yield* inDomain<Churned>("churnCycles", 2000);
          collectCycles();
          return result;
        },
      );
    });
    expect(walked).toBe(20_000);
    expect(churned.anomalies).toBe(0);
    expect(churned.freed).toBeGreaterThan(2000);
    const live = await collectedLiveBytes();
    expect(cycleStats().anomalies).toBe(0);
    expect(live).toBe(before);
  }, 180_000);
});

interface Graph {
  /** Kept handles, by node index. */
  kept: Map<number, unknown>;
  offsets: number[];
}

/** Makes promises and streams whose values (`{ id, e0, e1... }`) name the nodes `edges` lists. */
async function buildGraph(streams: boolean[], edges: number[][], kept: boolean[]): Promise<Graph> {
  return Eio.run(function* () {
    const handles = yield* buildNodes(streams, (i, nodes) => {
      const value: Record<string, unknown> = { id: i };
      edges[i]!.forEach((j, k) => (value[`e${k}`] = nodes[j]));
      return value;
    });
    const graph: Graph = { kept: new Map(), offsets: handles.map(offsetOf) };
    handles.forEach((handle, i) => kept[i] && graph.kept.set(i, handle));
    return graph;
  });
}
