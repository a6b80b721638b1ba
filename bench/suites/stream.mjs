// Suite `stream` (issue 3): n items through a bounded stream between two fibers, for capacities
// 0 (rendezvous), 1 and 100, against a hand-written async/await channel, effection and Effect.
import * as Eio from "eio-ts";
import * as effection from "effection";
import { Effect, Fiber as EffectFiber, Queue } from "effect";
import { faster, unavailable, within } from "../lib/harness.mjs";
import { Channel } from "../lib/async-channel.mjs";

export const issue = 3;
/** Who else runs on the cores while this suite measures (the machine line of the report). */
export const sharedWith = "every other process running here (one thread measures; the load average counts the others)";

// Every implementation sends 0..n-1 and checks the sum, so a lost or duplicated item fails the run.
const expectedSum = (n) => (n * (n - 1)) / 2;
function check(sum, n, who) {
  if (sum !== expectedSum(n)) throw new Error(`${who}: items lost or duplicated (sum ${sum}, expected ${expectedSum(n)})`);
}

function eioStream(capacity) {
  return (n) =>
    Eio.run(function* () {
      const stream = Eio.Stream.create(capacity);
      let sum = 0;
      yield* Eio.Fiber.both(
        function* () {
          for (let i = 0; i < n; i++) yield* Eio.Stream.add(stream, i);
        },
        function* () {
          for (let i = 0; i < n; i++) sum += yield* Eio.Stream.take(stream);
        },
      );
      check(sum, n, "eio-ts");
    });
}

function asyncChannel(capacity) {
  return async (n) => {
    const channel = new Channel(capacity);
    let sum = 0;
    const producer = (async () => {
      for (let i = 0; i < n; i++) {
        const wait = channel.add(i);
        if (wait !== undefined) await wait;
      }
    })();
    for (let i = 0; i < n; i++) {
      const item = channel.take();
      sum += typeof item === "number" ? item : await item;
    }
    await producer;
    check(sum, n, "async/await");
  };
}

// effection's queue is unbounded, so the producer is held back by acknowledgements from the
// consumer: at most `capacity` items unacknowledged, and for capacity 0 it waits for each take.
function effectionQueue(capacity) {
  return (n) =>
    effection.run(function* () {
      const items = effection.createQueue();
      const acks = effection.createQueue();
      let sum = 0;
      const consumer = yield* effection.spawn(function* () {
        for (let i = 0; i < n; i++) {
          sum += (yield* items.next()).value;
          acks.add(true);
        }
      });
      let acked = 0;
      for (let i = 0; i < n; i++) {
        while (capacity > 0 && i - acked >= capacity) {
          yield* acks.next();
          acked++;
        }
        items.add(i);
        if (capacity === 0) {
          yield* acks.next();
          acked++;
        }
      }
      yield* consumer;
      check(sum, n, "effection");
    });
}

function effectQueue(capacity) {
  return (n) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const queue = yield* Queue.bounded(capacity);
        let sum = 0;
        const producer = yield* Effect.forkChild(
          Effect.gen(function* () {
            for (let i = 0; i < n; i++) yield* Queue.offer(queue, i);
          }),
        );
        for (let i = 0; i < n; i++) sum += yield* Queue.take(queue);
        yield* EffectFiber.join(producer);
        check(sum, n, "Effect");
      }),
    );
}

export async function scenarios({ quick }) {
  const n = quick ? 50_000 : 1_000_000;
  const hasStream = typeof Eio.Stream?.create === "function";
  const messages = hasStream ? [] : ["eio-ts: skipped: Eio.Stream not available in this build (the peers still run)"];
  const targets = {
    0: [within("async/await", 1.5), faster("Effect", 5)],
    1: [within("async/await", 1.5), faster("Effect", 5), faster("effection", 10)],
    100: [within("async/await", 1.5), faster("Effect", 5), faster("effection", 3)],
  };
  // Peers that cost microseconds an item move fewer items; the cost per item is what is compared.
  const slowN = Math.max(10_000, n / 10);
  return {
    messages,
    scenarios: [0, 1, 100].map((capacity) => ({
      id: `stream-${capacity}`,
      title: `stream: ${n / 1e6}M items through a stream of capacity ${capacity}${capacity === 0 ? " (rendezvous)" : ""} between two fibers`,
      unit: "item",
      n,
      step: 1000,
      impls: [
        hasStream ? { name: "eio-ts", run: eioStream(capacity) } : unavailable("eio-ts", "Eio.Stream"),
        { name: "async/await", run: asyncChannel(capacity) },
        { name: "effection", run: effectionQueue(capacity), n: slowN },
        { name: "Effect", run: effectQueue(capacity), n: slowN },
      ],
      notes: [
        "async/await: a hand-written bounded promise channel (bench/lib/async-channel.mjs)",
        "effection: createQueue, bounded by an acknowledgement queue (effection has no bounded channel)",
        "Effect: Queue.bounded(capacity)",
      ],
      targets: targets[capacity],
    })),
  };
}
