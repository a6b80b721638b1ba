// Suite `domains` (issues 4 and 13): eio-ts across worker threads. Shared promise round trips and shared
// stream throughput against hand-written postMessage and SharedArrayBuffer+Atomics baselines;
// ExecutorPool against piscina, tinypool and workerpool.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as Eio from "eio-ts";
import { cpuSpeeds } from "../lib/cpu-speeds.mjs";
import { faster, medianWithin, ok, unavailable, within } from "../lib/harness.mjs";
import { probe, startService, unwrapResult } from "../lib/eio-service.mjs";
import { startPingPong, TIMED_EVERY } from "../lib/shared-ping-pong.mjs";
import { startFloorPromise } from "../lib/floor-promise.mjs";
import { startFloorValuePromise } from "../lib/floor-value-promise.mjs";
import { startAtomics, startBigValues, startPostMessage, startRawFib } from "../lib/raw-threads.mjs";
import { POOL_THREADS, peerPools } from "../lib/peer-pools.mjs";
import { bigBuffer } from "../workers/eio-domain-tasks.mjs";
import { fib } from "../workers/pool-tasks.mjs";

// Its targets are issue 13's (they restate issue 4's).
export const issue = 13;
/** Who else runs on the cores while this suite measures (the machine line of the report). */
export const sharedWith = "both threads of each cross-thread scenario, the pool threads, and every other process running here";

const FIB_N = 25;
const RAW_ATOMICS = "raw Atomics (spin, then wait)";
const FLOOR = "floor: a minimal shared promise";
const VALUE_FLOOR = "floor: the same, carrying the message as a JS value";
const MOVED = "eio-ts (Eio.transfer)";
const FLOOR_COPY = "floor: make + one memcpy of 200 MB";
/** Rounds of the round-trip scenario, each one sample of each row (see `interleave` in lib/harness.mjs). */
export const ROUND_TRIP_ROUNDS = 40;
const COPY_PM = "raw postMessage (copy)";
const TRANSFER_PM = "raw postMessage (transfer)";
const PEERS = ["piscina", "tinypool", "workerpool"];
const domainTasks = new URL("../workers/eio-domain-tasks.mjs", import.meta.url);
const poolTasks = new URL("../workers/pool-tasks.mjs", import.meta.url);

/** An implementation backed by something started once (a worker, a pool, an eio-ts service). */
function withResource(name, start, run, extra = {}) {
  let resource = null;
  return {
    name,
    ...extra,
    before: async () => {
      resource = await start();
    },
    run: (n) => run(resource, n),
    after: async () => {
      await resource?.stop();
      resource = null;
    },
  };
}

/**
 * Like withResource, for an implementation that times one round trip in 16 alone: `start` and
 * `run` get the array the times go into, which the harness reads for the medians.
 */
function timedResource(name, start, run, extra = {}) {
  const timed = [];
  return withResource(name, () => start(timed), (resource, n) => run(resource, n, timed), { ...extra, timed });
}

// --- eio-ts services -------------------------------------------------------------------------

/** `timed` receives the time (ms) of every 16th round trip. */
function pingPongService(timed) {
  return startService(function* (env, sw) {
    const pingPong = startPingPong(env, sw);
    return (n) => pingPong.roundTrips(n, timed);
  });
}

/**
 * Two shared streams of capacity 1 between this domain and another: one item goes there on one,
 * comes back on the other. `timed` receives the time (ms) of every 16th round trip.
 */
function streamPingPongService(timed) {
  const bounceItems = Eio.task(domainTasks, "bounceItems");
  return startService(function* (env, sw) {
    const pings = Eio.Stream.create(1, { shared: true });
    const pongs = Eio.Stream.create(1, { shared: true });
    Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, bounceItems, pings, pongs));
    return function* roundTrips(n) {
      for (let i = 0; i < n; i++) {
        const started = i % TIMED_EVERY === 0 ? performance.now() : -1;
        yield* Eio.Stream.add(pings, i);
        const answer = yield* Eio.Stream.take(pongs);
        if (answer !== i) throw new Error(`shared stream ping-pong: got ${answer} for ${i}`);
        if (started >= 0) timed.push(performance.now() - started);
      }
    };
  });
}

function sharedStreamService(capacity) {
  const sumStream = Eio.task(domainTasks, "sumStream");
  return startService(function* (env, sw) {
    const stream = Eio.Stream.create(capacity, { shared: true });
    Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, sumStream, stream));
    return function* send(n) {
      for (let i = 0; i < n; i++) yield* Eio.Stream.add(stream, i);
      const [total, totalResolver] = Eio.Promise.create({ shared: true });
      yield* Eio.Stream.add(stream, { total: totalResolver });
      const sum = yield* Eio.Promise.await(total);
      if (sum !== (n * (n - 1)) / 2) throw new Error(`shared stream: sum ${sum} is wrong, items were lost or duplicated`);
    };
  });
}

/** The size of the values of the big-values scenarios. */
const BIG_BYTES = 200_000_000;

/**
 * Big values between the main thread and one domain: as a job's result, or as a stream item;
 * copied (structured clone's meaning), or moved with Eio.transfer when `moved`.
 */
function bigValuesService(moved) {
  const makeBig = Eio.task(domainTasks, moved ? "bigBufferMoved" : "bigBuffer");
  const takeLengths = Eio.task(domainTasks, "takeLengths");
  return startService(function* (env, sw) {
    const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
    return function* ({ kind, n }) {
      if (kind === "result") {
        for (let i = 0; i < n; i++) {
          const buffer = yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, makeBig, BIG_BYTES);
          if (buffer.length !== BIG_BYTES) throw new Error("big value: wrong length");
        }
        return;
      }
      const stream = Eio.Stream.create(1, { shared: true });
      const total = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, takeLengths, stream, n);
      for (let i = 0; i < n; i++) yield* Eio.Stream.add(stream, moved ? Eio.transfer(bigBuffer(BIG_BYTES)) : bigBuffer(BIG_BYTES));
      if (unwrapResult(yield* Eio.Promise.await(total)) !== n * BIG_BYTES) throw new Error("big value: wrong total");
    };
  });
}

/** The least a copy can cost: make the Buffer, then copy its bytes once into fresh memory (one thread). */
const bigFloor = {
  name: FLOOR_COPY,
  fixedN: true,
  run: (n) => {
    for (let i = 0; i < n; i++) {
      const made = bigBuffer(BIG_BYTES);
      // A view on the same memory (the Uint8Array constructor given a Buffer would copy it).
      const copy = new Uint8Array(made.buffer, made.byteOffset, made.length).slice();
      if (copy.length !== BIG_BYTES) throw new Error("big value: wrong length");
    }
  },
};

// Trivial tasks get a small weight, so each domain runs many at once (Eio's admission rule); the
// CPU-bound ones take a whole domain each.
const TRIVIAL_WEIGHT = 0.01;
/** Trivial tasks every pool runs before it is measured (threads started, code compiled). */
const WARM_UP_TASKS = 2_000;

function poolService() {
  const noop = Eio.task(poolTasks, "noop");
  const fibTask = Eio.task(poolTasks, "fib");
  return startService(function* (env, sw) {
    const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: POOL_THREADS });
    // Warm up outside the measurement, as the peers do (see peerImpl): the harness times a trial
    // run to size the samples, and a cold first burst would make it cut n for no reason.
    const warmUp = Array.from({ length: WARM_UP_TASKS }, (_, i) => Eio.ExecutorPool.submitFork(sw, pool, { weight: TRIVIAL_WEIGHT }, noop, i));
    for (const p of warmUp) unwrapResult(yield* Eio.Promise.await(p));
    return function* ({ kind, n }) {
      if (kind === "sequential") {
        for (let i = 0; i < n; i++) {
          const value = yield* Eio.ExecutorPool.submitExn(pool, { weight: TRIVIAL_WEIGHT }, noop, i);
          if (value !== i) throw new Error(`ExecutorPool: task ${i} returned ${value}`);
        }
        return;
      }
      // "burst": n trivial tasks at once, each answering its own number; "fib": n CPU-bound ones.
      const burst = kind === "burst";
      const fibAnswer = burst ? 0 : fib(FIB_N);
      const promises = new Array(n);
      for (let i = 0; i < n; i++) {
        promises[i] = burst
          ? Eio.ExecutorPool.submitFork(sw, pool, { weight: TRIVIAL_WEIGHT }, noop, i)
          : Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, fibTask, FIB_N);
      }
      for (let i = 0; i < n; i++) {
        const value = unwrapResult(yield* Eio.Promise.await(promises[i]));
        if (value !== (burst ? i : fibAnswer)) throw new Error(`ExecutorPool: task ${i} returned ${value}`);
      }
    };
  });
}

// --- peers ------------------------------------------------------------------------------------

function peerImpl(name, kind, n) {
  return withResource(
    name,
    async () => {
      const pool = peerPools[name]();
      // Start its threads and compile its code outside the measurement, as for eio-ts.
      await Promise.all(Array.from({ length: WARM_UP_TASKS }, (_, i) => pool.run("noop", i)));
      return { ...pool, stop: () => pool.destroy() };
    },
    async (pool, count) => {
      if (kind === "sequential") {
        for (let i = 0; i < count; i++) if ((await pool.run("noop", i)) !== i) throw new Error(`${name}: wrong answer`);
        return;
      }
      const all = new Array(count);
      for (let i = 0; i < count; i++) all[i] = pool.run(kind === "burst" ? "noop" : "fib", kind === "burst" ? i : FIB_N);
      const answers = await Promise.all(all);
      const expected = kind === "burst" ? null : fib(FIB_N);
      for (let i = 0; i < count; i++) {
        if (answers[i] !== (expected ?? i)) throw new Error(`${name}: task ${i} returned ${answers[i]}`);
      }
    },
    { n },
  );
}

function oneThreadFib(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += fib(FIB_N);
  if (sum !== n * fib(FIB_N)) throw new Error("fib: wrong sum");
}

/**
 * The one-thread baseline: the same fibs in a process pinned to each CPU in turn, the fastest
 * counting. The two vCPUs of the machines these run on were measured at times 1.3-1.8x apart,
 * and which one is slow changes: a baseline left to land on the slow one made a pool look
 * faster than two threads can be (2.05x, with two raw workers at 1.88x). Without `taskset`, it
 * runs in this thread.
 */
function oneThreadImpl() {
  const cpus = cpuSpeeds();
  if (cpus === null) return { name: "1 thread", run: oneThreadFib };
  const script = fileURLToPath(new URL("../workers/fib-pinned.mjs", import.meta.url));
  return {
    name: "1 thread",
    // Each sample starts fresh processes, which compile fib themselves: nothing to warm up.
    warmupMs: 0,
    run: (n) => {
      let best = Infinity;
      for (let cpu = 0; cpu < cpus.length; cpu++) {
        const out = execFileSync("taskset", ["-c", String(cpu), process.execPath, script, String(FIB_N), String(n)], { encoding: "utf8" });
        best = Math.min(best, Number(out.trim()));
      }
      return { overriddenDuration: best };
    },
  };
}

/** eio-ts at least `factor` times faster per task than the fastest of the peers. */
function fasterThanBest(factor, text) {
  return {
    text,
    needs: ["eio-ts"],
    check: (rows) => {
      const peers = PEERS.map((name) => rows[name]).filter(ok);
      if (peers.length === 0) return { met: false, value: "no peer measured" };
      const best = peers.reduce((a, b) => (a.nsPerUnit <= b.nsPerUnit ? a : b));
      const x = best.nsPerUnit / rows["eio-ts"].nsPerUnit;
      return { met: x >= factor, value: `${x.toFixed(2)}x the best peer (${best.name})` };
    },
  };
}

export async function scenarios({ quick }) {
  const hasDomains = typeof Eio.task === "function" && typeof Eio.DomainManager?.run === "function";
  const sharedPromises = hasDomains
    ? await probe("shared Eio.Promise", () => void Eio.Promise.create({ shared: true }))
    : "skipped: Eio.task / Eio.DomainManager not available";
  const sharedStreams = !hasDomains
    ? "skipped: Eio.task / Eio.DomainManager not available"
    : typeof Eio.Stream?.create !== "function"
      ? "skipped: Eio.Stream not available"
      : await probe("shared Eio.Stream", () => void Eio.Stream.create(1, { shared: true }));
  const hasPool = hasDomains && typeof Eio.ExecutorPool?.create === "function";
  const hasTransfer = hasPool && typeof Eio.transfer === "function";
  const messages = [];
  if (sharedPromises) messages.push(`eio-ts shared promise round trip: ${sharedPromises}`);
  if (sharedStreams) messages.push(`eio-ts shared stream: ${sharedStreams}`);
  if (!hasPool) messages.push("eio-ts ExecutorPool: skipped: Eio.ExecutorPool not available");

  const q = (full, small) => (quick ? small : full);
  // Each pool scenario starts its own pool (outside the measurement), as each peer does.
  const eioPool = (kind) =>
    hasPool ? withResource("eio-ts", poolService, (service, n) => service.call({ kind, n })) : unavailable("eio-ts", "Eio.ExecutorPool");
  const skipped = (reason) => ({ name: "eio-ts", skip: reason, run: () => undefined });

  return {
    messages,
    scenarios: [
      {
        id: "promise-round-trip",
        title: "domains: round trips between two threads (main thread <-> one worker)",
        unit: "round trip",
        step: 100,
        n: q(20_000, 2_000),
        // The rows take their samples in turns (see the note on drift below).
        interleave: ROUND_TRIP_ROUNDS,
        impls: [
          sharedPromises ? skipped(sharedPromises) : timedResource("eio-ts", pingPongService, (s, n) => s.call(n), { n: q(10_000, 500) }),
          // Right after eio-ts: the targets compare the two, and what a round trip costs here
          // drifts over seconds (see the note below).
          timedResource(FLOOR, startFloorPromise, (w, n, timed) => w.roundTrips(n, timed)),
          timedResource(VALUE_FLOOR, startFloorValuePromise, (w, n, timed) => w.roundTrips(n, timed)),
          withResource("raw postMessage", startPostMessage, (w, n) => w.roundTrips(n), { n: q(5_000, 500) }),
          timedResource(RAW_ATOMICS, () => startAtomics(), (w, n, timed) => w.roundTrips(n, timed)),
        ],
        notes: [
          "eio-ts: a fiber in each domain; each ping is a shared promise carrying the resolver of the answer and the next ping",
          "raw Atomics: the worker spins then blocks in Atomics.wait; the main thread spins then awaits Atomics.waitAsync",
          "floor: the same ping-pong as eio-ts's with nothing but what it needs (a cell per promise made by the sender, its value inline, one waiter word, an inbox per thread, generator fibers; bench/lib/floor-promise.mjs): what any design that passes promises between threads pays here",
          `the table's time is the mean; on a shared machine a few slow round trips (a thread descheduled, a garbage collection) weigh on it, so one round trip in ${TIMED_EVERY} is also timed alone, for the medians below`,
          "value floor: the floor plus the least that carrying the message { i, pong, next } as a JS value needs (a handle object per promise made or received, the record written generically into shared memory with its keys and tagged items, read back into a new object through a cached builder of its shape; bench/lib/floor-value-promise.mjs); the floor carries three integers in the cell, which no codec can do for a value it has not seen",
          "the targets restate issue 4's (within 4x of raw Atomics), which the floor row showed was out of reach: the floor itself takes 2.5-2.9x the raw ping-pong's time",
          "the value floor's median was 1.4-2.0x the floor's in every run (most often 1.4-1.7x), rows in turns or the interleaved probe (bench/shared-round-trip-interleaved.mjs): carrying the value alone takes 40-100% of the one floor's worth of time that the 2x target allows above the floor, which leaves eio-ts's reference counts, locks, shared allocator, waiter queues, cancellation and idle policy at most 0.6 of a floor; the targets against the value floor are what that measurement supports",
          `on the 2-vCPU VM these ran on, a cross-thread round trip's cost drifts over seconds (the floor's median moved 0.37 -> 0.52 -> 1.15 µs within one run, eio-ts's 1.35 -> 1.75 -> 2.6 µs with it), so rows timed seconds apart can be in different states: every row is set up and warmed up first, then ${ROUND_TRIP_ROUNDS} rounds each take one sample of each row, in an order rotated every round (bench/shared-round-trip-interleaved.mjs alternates eio-ts and the floors in finer slices)`,
        ],
        targets: [
          medianWithin(FLOOR, 2, "shared promise round trip: median within 2x of the floor's median"),
          within(FLOOR, 3, "shared promise round trip: mean (the table's time) within 3x of the floor's"),
          medianWithin(VALUE_FLOOR, 2, "shared promise round trip: median within 2x of the value floor's median"),
          within(VALUE_FLOOR, 3, "shared promise round trip: mean (the table's time) within 3x of the value floor's"),
          medianWithin(FLOOR, 2, "the value floor itself: median within 2x of the floor's (can any design that carries the message meet the 2x target?)", VALUE_FLOOR),
        ],
      },
      {
        id: "stream-ping-pong",
        title: "domains: one item each way through two shared streams of capacity 1 (main thread <-> one worker)",
        unit: "round trip",
        step: 100,
        n: q(20_000, 2_000),
        impls: [
          sharedStreams ? skipped(sharedStreams) : timedResource("eio-ts", streamPingPongService, (s, n) => s.call(n), { n: q(10_000, 500) }),
          timedResource(RAW_ATOMICS, () => startAtomics(), (w, n, timed) => w.roundTrips(n, timed)),
        ],
        notes: [
          "eio-ts: the main domain adds i to one Eio.Stream (capacity 1, shared), a fiber in the other domain takes it and adds it to a second one, the main domain takes it back and checks it",
          "raw Atomics: the same worker as in the round-trip scenario, bouncing one Int32",
          `one round trip in ${TIMED_EVERY} is timed alone, for the medians below`,
        ],
        targets: [medianWithin(RAW_ATOMICS, 4, "shared-stream ping-pong: median within 4x of the raw Atomics ping-pong's median")],
      },
      {
        id: "shared-stream",
        title: "domains: items through a stream from the main thread to a worker",
        unit: "item",
        step: 1000,
        n: q(200_000, 5_000),
        // Each implementation moves items for 1 s before its samples: the first rounds of 200k
        // items through the eio-ts stream took 1.0-3.8 µs an item, the fifth and later 0.17-0.25
        // (both threads' hot paths compiled), in standalone runs of this workload, and a
        // single warm-up iteration left the slow ones in the samples.
        warmupMs: 1000,
        impls: [
          sharedStreams ? skipped(sharedStreams) : withResource("eio-ts", () => sharedStreamService(100), (s, n) => s.call(n)),
          withResource("raw postMessage", startPostMessage, (w, n) => w.stream(n)),
        ],
        notes: ["eio-ts: a shared Eio.Stream of capacity 100; raw postMessage: one message per item, unbounded (no backpressure)"],
        targets: [faster("raw postMessage", 5, "items through a shared stream at least 5x raw postMessage")],
      },
      {
        id: "big-result",
        title: "domains: a 200 MB Buffer made in a worker, as a job's result",
        unit: "value",
        step: 1,
        fixedN: true,
        n: q(5, 1),
        impls: [
          hasPool ? withResource("eio-ts", () => bigValuesService(false), (s, n) => s.call({ kind: "result", n })) : unavailable("eio-ts", "Eio.ExecutorPool"),
          hasTransfer ? withResource(MOVED, () => bigValuesService(true), (s, n) => s.call({ kind: "result", n })) : unavailable(MOVED, "Eio.transfer"),
          ...[false, true].map((transfer) =>
            withResource(transfer ? TRANSFER_PM : COPY_PM, () => startBigValues({ transfer }), async (w, n) => {
              for (let i = 0; i < n; i++) await w.result(BIG_BYTES);
            }),
          ),
          bigFloor,
        ],
        notes: [
          "all make a fresh Buffer of 200 MB in the worker (every page touched) and hand it to the main thread; the floor makes it and copies it once, in one thread",
          "eio-ts: ExecutorPool.submitExn returns it: its bytes are copied once into a new ArrayBuffer that is transferred to the main thread (structured clone's meaning: the worker keeps its Buffer); eio-ts (Eio.transfer): the task returns Eio.transfer(buffer), which moves it (no copy, the worker's Buffer is detached)",
          "raw: postMessage, the bytes copied as structured clone copies them, or the ArrayBuffer in the transfer list (no copy, the sender loses it)",
          "copy semantics cannot go below the floor row; the transfer rows are the floor of moving bytes at all",
        ],
        targets: [
          within(COPY_PM, 2, "a 200 MB job result within 2x of a copying postMessage"),
          within(TRANSFER_PM, 2, "a 200 MB job result within 2x of a transferring postMessage"),
          within(TRANSFER_PM, 2, "a 200 MB job result moved with Eio.transfer within 2x of a transferring postMessage", MOVED),
          within(FLOOR_COPY, 1.25, "a 200 MB job result within 1.25x of the copy floor (make + one memcpy)"),
          within(TRANSFER_PM, 2, "the copy floor itself within 2x of a transferring postMessage (can any copy meet the 2x target?)", FLOOR_COPY),
        ],
      },
      {
        id: "big-stream-item",
        title: "domains: a 200 MB Buffer made in the main thread, through a shared stream to a worker",
        unit: "value",
        step: 1,
        fixedN: true,
        n: q(5, 1),
        impls: [
          hasPool ? withResource("eio-ts", () => bigValuesService(false), (s, n) => s.call({ kind: "item", n })) : unavailable("eio-ts", "Eio.ExecutorPool"),
          hasTransfer ? withResource(MOVED, () => bigValuesService(true), (s, n) => s.call({ kind: "item", n })) : unavailable(MOVED, "Eio.transfer"),
          ...[false, true].map((transfer) =>
            withResource(transfer ? TRANSFER_PM : COPY_PM, () => startBigValues({ transfer }), async (w, n) => {
              for (let i = 0; i < n; i++) await w.send(bigBuffer(BIG_BYTES));
            }),
          ),
          bigFloor,
        ],
        notes: [
          "all make a fresh Buffer of 200 MB in the main thread (every page touched) and hand it to the worker, which answers with its length; the floor makes it and copies it once, in one thread",
          "eio-ts: Stream.add copies its bytes into a warm SharedArrayBuffer of the main thread's pool (pages touched before), and the worker that takes the item copies them out into an ArrayBuffer of its own, on its own core (see ARCHITECTURE.md, Big values); eio-ts (Eio.transfer): Stream.add(stream, Eio.transfer(buffer)) moves it (no copy)",
        ],
        targets: [
          within(COPY_PM, 2, "a 200 MB stream item within 2x of a copying postMessage"),
          within(TRANSFER_PM, 2, "a 200 MB stream item within 2x of a transferring postMessage"),
          within(TRANSFER_PM, 2, "a 200 MB stream item moved with Eio.transfer within 2x of a transferring postMessage", MOVED),
          within(FLOOR_COPY, 1.25, "a 200 MB stream item within 1.25x of the copy floor (make + one memcpy)"),
          within(TRANSFER_PM, 2, "the copy floor itself within 2x of a transferring postMessage (can any copy meet the 2x target?)", FLOOR_COPY),
        ],
      },
      {
        id: "pool-throughput",
        title: `domains: trivial tasks submitted at once to a pool of ${POOL_THREADS} threads`,
        unit: "task",
        step: 100,
        n: q(100_000, 2_000),
        // Every implementation gets the same burst (the harness cuts it only to fit a sample in
        // its time budget, and says so): holding 100k pending tasks costs each of them
        // garbage-collection work that a smaller burst would hide.
        impls: [eioPool("burst"), ...PEERS.map((name) => peerImpl(name, "burst"))],
        notes: [
          `eio-ts: ExecutorPool.submitFork with weight ${TRIVIAL_WEIGHT} (so up to ${Math.round(1 / TRIVIAL_WEIGHT)} tasks run at once in each domain), then await every promise`,
          "peers: run() for every task, then Promise.all; every implementation runs the same task (noop, which returns its argument) and checks each answer",
        ],
        targets: [fasterThanBest(10, "pool throughput at least 10x the best of piscina/tinypool/workerpool")],
      },
      {
        id: "pool-latency",
        title: `domains: one trivial task at a time (sequential latency), pool of ${POOL_THREADS} threads`,
        unit: "task",
        step: 100,
        n: q(2_000, 200),
        // Each implementation runs tasks one at a time for 1 s before its samples: the warm-up
        // burst compiles the pool's burst path, not this one, and the first thousands of
        // sequential tasks on eio-ts took 20-180 µs each, the later ones 1.3-2.5 µs.
        warmupMs: 1000,
        impls: [eioPool("sequential"), ...PEERS.map((name) => peerImpl(name, "sequential"))],
        targets: [fasterThanBest(10, "sequential task latency: at least 10x the best of piscina/tinypool/workerpool")],
      },
      {
        id: "pool-cpu",
        title: `domains: CPU-bound tasks, fib(${FIB_N}), on a pool of ${POOL_THREADS} threads vs one thread`,
        unit: "task",
        // Enough work that a sample (about 0.3 s on one thread) is not lost in scheduling noise,
        // and every implementation gets the same tasks; never cut, or the threads would idle.
        fixedN: true,
        n: q(400, 40),
        // Each implementation runs the workload for 3 s before its samples. V8 compiles a pool's
        // per-job code only once it is hot, in every thread, and at about 3 jobs a millisecond
        // that takes thousands of jobs (measured on eio-ts, 14 rounds of 400: 7-15 functions
        // compiled in each of the first rounds, 1-7 in the last ones, each compile 2-10 ms of
        // CPU taken from the 2 cores the tasks need). The trivial tasks of the warm-up do not
        // take eio-ts's path for weight-1 jobs (staging), so it would be measured cold.
        warmupMs: 3000,
        baseline: "1 thread",
        impls: [
          oneThreadImpl(),
          eioPool("fib"),
          ...PEERS.map((name) => peerImpl(name, "fib")),
          withResource("2 raw workers", startRawFib, async (raw, n) => {
            if ((await raw.run(FIB_N, n)) !== n * fib(FIB_N)) throw new Error("raw workers: wrong sum");
          }),
        ],
        notes: [
          "1 thread: the tasks in a process pinned to each CPU in turn (taskset), the fastest CPU's time counting; the others run unpinned on both",
          "2 raw workers: each plain worker computes half the tasks, sent in one message (no per-task dispatch): what two threads can do on this machine at all",
          "the raw workers split the tasks in halves up front, so when one vCPU is slower they wait for it, where a pool that hands out tasks one by one keeps both busy",
        ],
        targets: [
          {
            text: `eio-ts speedup over one thread at least 1.8x (${POOL_THREADS} threads)`,
            needs: ["eio-ts", "1 thread"],
            check: (r) => {
              const x = r["1 thread"].nsPerUnit / r["eio-ts"].nsPerUnit;
              const raw = ok(r["2 raw workers"]) ? `; 2 raw workers: ${(r["1 thread"].nsPerUnit / r["2 raw workers"].nsPerUnit).toFixed(2)}x` : "";
              return { met: x >= 1.8, value: `${x.toFixed(2)}x${raw}` };
            },
          },
        ],
      },
    ],
  };
}
