/** Scenario bodies run by test domains (each is the main function of a worker's Eio.run). */
import * as Eio from "../../src/index.js";
import type { Operation } from "../../src/core/scheduler.js";
import { collectedLiveBytes, gc } from "./live-bytes.js";
type Stream<T> = Eio.Stream.Stream<T>;

export function* awaitValue(p: Eio.Promise.Promise<unknown>): Operation<unknown> {
  return yield* Eio.Promise.await(p);
}

export function resolveWith(r: Eio.Promise.Resolver<unknown>, value: unknown): string {
  Eio.Promise.resolve(r, value);
  return "resolved";
}

/** Awaits `p` after saying (through `ready`) that it is about to wait; reports cancellation. */
export function* awaitOrCancelled(p: Eio.Promise.Promise<unknown>, ready: Eio.Promise.Resolver<string>, stop: Eio.Promise.Promise<unknown>): Operation<string> {
  return yield* Eio.Fiber.first(
    function* () {
      Eio.Promise.resolve(ready, "waiting");
      return `value ${String(yield* Eio.Promise.await(p))}`;
    },
    function* () {
      yield* Eio.Promise.await(stop);
      return "cancelled";
    },
  );
}

/** Answers `count` ping promises: each message carries a value and a resolver for the reply. */
export function* echo(requests: Stream<{ n: number; reply: Eio.Promise.Resolver<number> }>, count: number): Operation<number> {
  for (let i = 0; i < count; i++) {
    const { n, reply } = yield* Eio.Stream.take(requests);
    Eio.Promise.resolve(reply, n + 1);
  }
  return count;
}

/** The blog's store: one domain takes commands from a stream and answers through resolvers. */
export type Command =
  | { op: "set"; key: string; value: number; reply: Eio.Promise.Resolver<string> }
  | { op: "get"; key: string; reply: Eio.Promise.Resolver<number | null> }
  | { op: "stop"; reply: Eio.Promise.Resolver<number> };

export function* store(commands: Stream<Command>, producers: number): Operation<number> {
  const data = new Map<string, number>();
  let handled = 0;
  let stopped = 0;
  while (stopped < producers) {
    const command = yield* Eio.Stream.take(commands);
    handled++;
    switch (command.op) {
      case "set":
        data.set(command.key, command.value);
        Eio.Promise.resolve(command.reply, "OK");
        break;
      case "get":
        Eio.Promise.resolve(command.reply, data.get(command.key) ?? null);
        break;
      case "stop":
        stopped++;
        Eio.Promise.resolve(command.reply, handled);
        break;
    }
  }
  return handled;
}

/** A client domain: `fibers` fibers each do set-then-get pairs and check every answer. */
export function* client(commands: Stream<Command>, id: number, pairs: number, fibers: number): Operation<{ ok: number; wrong: number }> {
  let ok = 0;
  let wrong = 0;
  yield* Eio.Switch.run((sw) => {
    for (let f = 0; f < fibers; f++) {
      Eio.Fiber.fork(sw, function* () {
        for (let i = f; i < pairs; i += fibers) {
          const key = `k${id}-${i}`;
          const [set, setReply] = Eio.Promise.create<string>({ shared: true });
          yield* Eio.Stream.add(commands, { op: "set", key, value: id * 1e6 + i, reply: setReply });
          if ((yield* Eio.Promise.await(set)) !== "OK") wrong++;
          const [got, getReply] = Eio.Promise.create<number | null>({ shared: true });
          yield* Eio.Stream.add(commands, { op: "get", key, reply: getReply });
          if ((yield* Eio.Promise.await(got)) === id * 1e6 + i) ok++;
          else wrong++;
        }
      });
    }
  });
  const [done, doneReply] = Eio.Promise.create<number>({ shared: true });
  yield* Eio.Stream.add(commands, { op: "stop", reply: doneReply });
  yield* Eio.Promise.await(done);
  return { ok, wrong };
}

/** Adds the numbers [from, to) in order. */
export function* produce(s: Stream<number>, from: number, to: number): Operation<number> {
  for (let n = from; n < to; n++) yield* Eio.Stream.add(s, n);
  return to - from;
}

/**
 * Takes numbers until it sees -1; returns how many times each number was seen, and whether
 * the numbers of each producer (blocks of `perProducer`) arrived in increasing order.
 */
export function* consume(s: Stream<number>, total: number, perProducer: number): Operation<{ seen: Uint8Array; ordered: boolean }> {
  const seen = new Uint8Array(total);
  const last = new Map<number, number>();
  let ordered = true;
  for (;;) {
    const n = yield* Eio.Stream.take(s);
    if (n === -1) break;
    seen[n]!++;
    const producer = Math.floor(n / perProducer);
    if ((last.get(producer) ?? -1) >= n) ordered = false;
    last.set(producer, n);
  }
  return { seen, ordered };
}

/**
 * Takes once, but is cancelled by `stop`. Reports the item if the take got one, even when
 * `first` kept the other branch's result (both may finish in the same turn).
 */
export function* takeOrCancelled(s: Stream<number>, ready: Eio.Promise.Resolver<string>, stop: Eio.Promise.Promise<unknown>): Operation<string> {
  let took: number | undefined;
  yield* Eio.Fiber.first(
    function* () {
      Eio.Promise.resolve(ready, "waiting");
      took = yield* Eio.Stream.take(s);
    },
    function* () {
      yield* Eio.Promise.await(stop);
    },
  );
  return took === undefined ? "cancelled" : `took ${took}`;
}

/**
 * Like {@link takeOrCancelled}, but says it is ready only once the take is queued on the
 * stream, and watches `stop` by polling between `Fiber.yield`s instead of awaiting it. The run
 * queue never empties meanwhile, so this domain does not drain its inbox: when the other
 * domain adds (claiming our queued take) and then resolves `stop`, the cancellation usually
 * reaches the take while its claimed wake-up still sits undelivered in the inbox. That is
 * the window where a cancelled take could lose its item; the claim must win.
 */
export function* takeClaimedThenCancelled(s: Stream<number>, ready: Eio.Promise.Resolver<string>, stop: Eio.Promise.Promise<unknown>): Operation<string> {
  let took: number | undefined;
  yield* Eio.Fiber.first(
    function* () {
      took = yield* Eio.Stream.take(s);
    },
    function* () {
      // The first branch ran until it blocked in take: its waiter is queued by now.
      Eio.Promise.resolve(ready, "waiting");
      while (!Eio.Promise.isResolved(stop)) yield* Eio.Fiber.yield();
    },
  );
  return took === undefined ? "cancelled" : `took ${took}`;
}

/** Create/resolve/await cycles with shared promises; returns the arena's peak used bytes. */
export function* churn(cycles: number): Operation<number> {
  const { getArena } = yield* Eio.Fiber.awaitNative(import("../../src/shared/index.js"));
  let peak = 0;
  for (let i = 0; i < cycles; i++) {
    const [p, r] = Eio.Promise.create<number>({ shared: true });
    Eio.Promise.resolve(r, i);
    if ((yield* Eio.Promise.await(p)) !== i) throw new Error("wrong value");
    // Finalizers run between event-loop turns: give the loop one now and then, as real work does.
    if (i % 1000 === 0) {
      yield* Eio.Fiber.awaitNative(new Promise((resolve) => setImmediate(resolve)));
      peak = Math.max(peak, getArena().usedBytes);
    }
  }
  return peak;
}

/**
 * Waits on `p` (its waiter record sits in `p`'s queue), says so through `ready`, and once the
 * other side has `seen` that, its thread exits: a crash.
 */
export function* awaitThenExit(p: Eio.Promise.Promise<unknown>, ready: Eio.Promise.Resolver<string>, seen: Eio.Promise.Promise<void>): Operation<void> {
  yield* Eio.Fiber.both(
    () => Eio.Promise.await(p),
    function* () {
      Eio.Promise.resolve(ready, "waiting");
      yield* Eio.Promise.await(seen);
      process.exit(3);
    },
  );
}

/**
 * Builds a cycle of two promises (B's value names a copy of A, which names B), so that B waits
 * in this domain's buffer of cycle candidates, says so, and exits at once (a crash: nothing
 * flushes the buffer).
 */
export function* cycleThenExit(ready: Eio.Promise.Resolver<string>): Operation<void> {
  const [a, resolveA] = Eio.Promise.create<unknown>({ shared: true });
  const [b, resolveB] = Eio.Promise.create<unknown>({ shared: true });
  Eio.Promise.resolve(resolveA, { other: b });
  Eio.Promise.resolve(resolveB, { other: a });
  Eio.Promise.resolve(ready, "built");
  yield* Eio.Fiber.yield();
  process.exit(3);
}

/** A node of a reference cycle used by the cycle collector's tests: its id and the next node. */
export interface CycleNode {
  id: number;
  next: Eio.Promise.Promise<CycleNode> | Stream<CycleNode>;
  nextIsStream: boolean;
}

/** Reads node `node` (a promise's value, or a stream's item, put back), checking its id. */
export function* readNode(node: CycleNode["next"], isStream: boolean, id: number): Operation<CycleNode> {
  let value: CycleNode;
  if (isStream) {
    const stream = node as Stream<CycleNode>;
    value = yield* Eio.Stream.take(stream);
    yield* Eio.Stream.add(stream, value);
  } else {
    value = yield* Eio.Promise.await(node as Eio.Promise.Promise<CycleNode>);
  }
  if (value.id !== id) throw new Error(`cycle node ${id} read as ${JSON.stringify(value.id)}: a live object was freed`);
  return value;
}

/**
 * Walks a ring of `length` nodes from `start` (node 0) for `steps` steps, holding only the
 * handle of the node it is on: each step revives the next node's handle out of a live value
 * and drops the current one. Returns the steps walked.
 */
export function* walkRing(start: CycleNode["next"], startIsStream: boolean, length: number, steps: number): Operation<number> {
  let node = start;
  let isStream = startIsStream;
  for (let step = 0; step < steps; step++) {
    const value = yield* readNode(node, isStream, step % length);
    node = value.next;
    isStream = value.nextIsStream;
    if (step % 64 === 0) yield* Eio.Fiber.awaitNative(new Promise((resolve) => setImmediate(resolve)));
  }
  return steps;
}

/** Holds `start` (a live ring) until `go` resolves, then walks it once around: {@link walkRing}. */
export function* holdThenWalk(start: CycleNode["next"], length: number, ready: Eio.Promise.Resolver<string>, go: Eio.Promise.Promise<unknown>): Operation<number> {
  Eio.Promise.resolve(ready, "holding");
  yield* Eio.Promise.await(go);
  return yield* walkRing(start, false, length, 3 * length);
}

/**
 * Closes a cycle across two domains: main made promise A and sent its resolver here; this
 * domain makes B, resolves B with A's resolver and A with B. Every handle of this domain is
 * dropped on the way (a resolver lets go of its cell when it resolves).
 */
export function closeCycle(resolverA: Eio.Promise.Resolver<unknown>): string {
  const [b, resolverB] = Eio.Promise.create<unknown>({ shared: true });
  Eio.Promise.resolve(resolverB, { id: "b", other: resolverA });
  Eio.Promise.resolve(resolverA, { id: "a", other: b });
  return "closed";
}

/**
 * Builds and drops `rounds` garbage cycles (two promises; a promise and a stream), running a
 * collection after each; returns this domain's collector totals.
 */
export function* churnCycles(rounds: number): Operation<{ freed: number; anomalies: number }> {
  const { collectCycles, cycleStats } = yield* Eio.Fiber.awaitNative(import("../../src/shared/index.js"));
  for (let i = 0; i < rounds; i++) {
    const [a, resolverA] = Eio.Promise.create<unknown>({ shared: true });
    const [, resolverB] = Eio.Promise.create<unknown>({ shared: true });
    Eio.Promise.resolve(resolverB, { other: resolverA, i });
    Eio.Promise.resolve(resolverA, { other: resolverB, i });
    const stream = Eio.Stream.create<unknown>(2, { shared: true });
    const [, resolverC] = Eio.Promise.create<unknown>({ shared: true });
    yield* Eio.Stream.add(stream, { back: resolverC, i });
    Eio.Promise.resolve(resolverC, { stream, a });
    collectCycles();
    // Handles die only when V8 collects them, which a quiet heap may not do for thousands of
    // rounds: collect on demand, so the cycles are freed while the other domain walks.
    if (i % 16 === 0) {
      gc();
      yield* Eio.Fiber.awaitNative(new Promise((resolve) => setImmediate(resolve)));
    }
  }
  yield* Eio.Fiber.awaitNative(collectedLiveBytes());
  const { freed, anomalies } = cycleStats();
  return { freed, anomalies };
}

/** Takes `count` byte items from `s`; for each, adds to `acks` its length and the value of its bytes if all are equal (else -1). */
export function* ackBytes(s: Stream<Uint8Array>, acks: Stream<[number, number, boolean]>, count: number): Operation<number> {
  for (let i = 0; i < count; i++) {
    const bytes = yield* Eio.Stream.take(s);
    const first = bytes[0]!;
    let same = true;
    for (let j = 0; j < bytes.length; j++) if (bytes[j] !== first) same = false;
    yield* Eio.Stream.add(acks, [bytes.length, same ? first : -1, bytes.buffer instanceof SharedArrayBuffer]);
  }
  return count;
}
