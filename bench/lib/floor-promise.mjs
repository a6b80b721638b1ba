// The floor of a shared-promise round trip between two threads: the least a design like eio-ts's
// can do for the ping-pong of bench/suites/domains.mjs, shown next to it and to the raw ping-pong.
//
// It keeps only what that ping-pong cannot do without: each ping is a promise cell in shared
// memory, made for that message by the main thread, whose value names the cell of the answer and
// the cell of the next ping; fibers are generators that suspend with `yield*` on a pending cell; a
// resolver hands the cell to the waiting thread's inbox (a lock-free stack); an idle thread spins
// on its inbox, then blocks, as the raw ping-pong does. It has nothing else: the value is three
// integers in the cell (no codec), one waiter word (no queue, no cancellation), no reference
// counts (the main thread reuses a round trip's cells once its answer is in), no allocator shared
// between threads. What eio-ts costs above it is generality; what the floor costs above the raw
// ping-pong is the cache lines a promise round trip must move between cores (the raw one moves
// one line back and forth).
import { Worker } from "node:worker_threads";
import { once } from "node:events";

const CELL_WORDS = 8; // 32 bytes, as an eio-ts promise cell with its object header
/** 0: pending; -1: resolved; t + 1: pending, thread t waits. One word: resolving is one exchange. */
const WAITER = 0;
const LINK = 1; // inbox stack link
/** Three words: the ping's number, the answer's cell, the next ping's cell. */
export const VALUE = 2;
/** Inbox words, one cache line apart, then the cells. */
const INBOX = [0, 16];
const CELLS_START = 32;
const CELLS = 1 << 12;
const SPIN = 20_000;
const SUSPEND = Object.freeze({ done: false, value: undefined });

/** The runtime of thread `me` (0: main, 1: worker) over the shared words. */
export function floorRuntime(words, me) {
  const inbox = INBOX[me];

  function resolve(cell, a, b, c) {
    words[cell + VALUE] = a;
    words[cell + VALUE + 1] = b;
    words[cell + VALUE + 2] = c;
    // The exchange publishes the value: once the waiter word reads -1, the value is visible.
    const waiter = Atomics.exchange(words, cell + WAITER, -1);
    if (waiter <= 0) return;
    const target = INBOX[waiter - 1];
    let head = Atomics.load(words, target);
    for (;;) {
      words[cell + LINK] = head;
      const seen = Atomics.compareExchange(words, target, head, cell);
      if (seen === head) break;
      head = seen;
    }
    Atomics.notify(words, target);
  }

  // The await operation, written by hand as eio-ts's are (no generator per wait).
  class Await {
    constructor(cell) {
      this.cell = cell;
      this.started = false;
    }
    [Symbol.iterator]() {
      return this;
    }
    next() {
      if (!this.started) {
        this.started = true;
        if (Atomics.compareExchange(words, this.cell + WAITER, 0, me + 1) === 0) return SUSPEND;
      }
      return { done: true, value: this.cell };
    }
  }

  /** Runs `generator` to its end, resuming it when the cell it waits on arrives in the inbox. */
  function run(generator) {
    let result = generator.next();
    while (!result.done) {
      let head = 0;
      for (let i = 0; i < SPIN && head === 0; i++) head = Atomics.load(words, inbox);
      while (head === 0) {
        Atomics.wait(words, inbox, 0);
        head = Atomics.load(words, inbox);
      }
      Atomics.exchange(words, inbox, 0); // one fiber with one pending cell: the stack holds one
      result = generator.next();
    }
    return result.value;
  }

  return { resolve, await: (cell) => new Await(cell), run };
}

/** Starts the worker side (workers/floor-promise.mjs); `roundTrips(n, latencies?)` runs n on this thread. */
export async function startFloorPromise() {
  const buffer = new SharedArrayBuffer((CELLS_START + CELLS * CELL_WORDS) * 4);
  const words = new Int32Array(buffer);
  const free = [];
  for (let i = CELLS - 1; i >= 0; i--) free.push(CELLS_START + i * CELL_WORDS);
  const alloc = () => {
    const cell = free.pop();
    words.fill(0, cell, cell + CELL_WORDS);
    return cell;
  };
  let ping = alloc();
  const worker = new Worker(new URL("../workers/floor-promise.mjs", import.meta.url), { workerData: { buffer, first: ping } });
  await once(worker, "online");
  const rt = floorRuntime(words, 0);
  return {
    /** `latencies`, if given, receives the time (ms) of every 16th round trip. */
    roundTrips(n, latencies) {
      rt.run(
        (function* pings() {
          for (let i = 0; i < n; i++) {
            const timed = latencies !== undefined && (i & 15) === 0;
            const started = timed ? performance.now() : 0;
            const pong = alloc();
            const next = alloc();
            rt.resolve(ping, i, pong, next);
            const cell = yield* rt.await(pong);
            if (words[cell + VALUE] !== i) throw new Error(`floor ping-pong: got ${words[cell + VALUE]} for ${i}`);
            // The worker has read the ping (it answered) and resolved the pong: both are done.
            free.push(ping, pong);
            ping = next;
            if (timed) latencies.push(performance.now() - started);
          }
        })(),
      );
    },
    async stop() {
      rt.resolve(ping, 0, 0, 0); // no next ping: the worker ends
      await once(worker, "exit");
    },
  };
}
