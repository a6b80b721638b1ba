// The lower bound of a generator runtime on two benchmark workloads, next to eio-ts and the
// peers, in one process (so that a loaded machine slows them all alike):
//
//   npm run build && node bench/floor.mjs [rounds]
//
// "floor" is the least a runtime built like eio-ts can do for the workload's code as written in
// bench/suites: fibers are generators, blocking calls are `yield*` of an operation, a run queue
// resumes them. It has nothing else: no cancellation, no fiber states, no tracing, no
// validation; its operations are pooled and are their own iterator results, its stream is the
// async/await baseline's own channel (bench/lib/async-channel.mjs). What eio-ts costs above it
// is bookkeeping; what it costs above async/await is the generator and `yield*` protocol, which
// the workloads' code (`yield* Eio.Promise.await(p)`, `sum += yield* Eio.Stream.take(s)`) needs.
import { Channel } from "./lib/async-channel.mjs";

const SUSPEND = Symbol("suspend");
const SUSPENDED = Object.freeze({ done: false, value: SUSPEND });
const DONE = Object.freeze({ done: true, value: undefined });

// --- the minimal runtime ---------------------------------------------------------------------

let current = null;
const runQueue = [];
let runHead = 0;

function spawn(generator) {
  runQueue.push({ generator, input: undefined });
}

function drain() {
  while (runHead < runQueue.length) {
    const fiber = runQueue[runHead++];
    current = fiber;
    const input = fiber.input;
    fiber.input = undefined;
    fiber.generator.next(input);
    if (runHead > 1024) {
      runQueue.splice(0, runHead);
      runHead = 0;
    }
  }
  runQueue.length = 0;
  runHead = 0;
}

function wake(fiber, value) {
  fiber.input = value;
  runQueue.push(fiber);
}

/** A promise cell with at most one waiter (the workload never has two). */
class Cell {
  resolved = false;
  value = undefined;
  waiter = null;
}

let spareAwait = null;

class AwaitOp {
  cell = null;
  started = false;
  done = true;
  value = undefined;
  [Symbol.iterator]() {
    return this;
  }
  next() {
    const cell = this.cell;
    if (!this.started && !cell.resolved) {
      this.started = true;
      cell.waiter = current;
      return SUSPENDED;
    }
    this.value = cell.value;
    this.cell = null;
    spareAwait = this;
    return this;
  }
  throw(error) {
    throw error;
  }
}

const Promise_ = {
  create() {
    const cell = new Cell();
    return [cell, cell];
  },
  resolve(cell, value) {
    cell.resolved = true;
    cell.value = value;
    if (cell.waiter !== null) wake(cell.waiter, undefined);
  },
  await(cell) {
    let op = spareAwait;
    if (op === null) op = new AwaitOp();
    else spareAwait = null;
    op.cell = cell;
    op.started = false;
    return op;
  },
};

/** The async/await baseline's channel, with one blocked reader or writer at most. */
class Stream {
  constructor(capacity) {
    this.channel = new Channel(capacity);
    this.reader = null;
    this.writer = null;
    this.spareAdd = null;
    this.spareTake = null;
  }
}

class AddOp {
  constructor(stream) {
    this.stream = stream;
    this.item = undefined;
    this.waiting = false;
  }
  [Symbol.iterator]() {
    return this;
  }
  next() {
    const stream = this.stream;
    if (!this.waiting) {
      const items = stream.channel.items;
      if (stream.reader !== null) {
        const reader = stream.reader;
        stream.reader = null;
        wake(reader, this.item);
      } else if (items.size < stream.channel.capacity) {
        items.push(this.item);
      } else {
        this.waiting = true;
        stream.writer = { fiber: current, op: this };
        return SUSPENDED;
      }
    }
    this.waiting = false;
    stream.spareAdd = this;
    return DONE;
  }
  throw(error) {
    throw error;
  }
}

class TakeOp {
  constructor(stream) {
    this.stream = stream;
    this.done = true;
    this.value = undefined;
    this.waiting = false;
  }
  [Symbol.iterator]() {
    return this;
  }
  next(value) {
    const stream = this.stream;
    if (this.waiting) {
      this.waiting = false;
      this.value = value;
    } else {
      const items = stream.channel.items;
      if (items.size === 0) {
        this.waiting = true;
        stream.reader = current;
        return SUSPENDED;
      }
      this.value = items.shift();
      if (stream.writer !== null) {
        const writer = stream.writer;
        stream.writer = null;
        items.push(writer.op.item);
        wake(writer.fiber, undefined);
      }
    }
    stream.spareTake = this;
    return this;
  }
  throw(error) {
    throw error;
  }
}

const Stream_ = {
  add(stream, item) {
    let op = stream.spareAdd;
    if (op === null) op = new AddOp(stream);
    else stream.spareAdd = null;
    op.item = item;
    return op;
  },
  take(stream) {
    let op = stream.spareTake;
    if (op === null) op = new TakeOp(stream);
    else stream.spareTake = null;
    return op;
  },
};

// --- the workloads, as bench/suites/core.mjs and stream.mjs write them for eio-ts ------------

function floorPingPong(n) {
  const rounds = n / 2;
  let [ping, pingResolver] = Promise_.create();
  let [pong, pongResolver] = Promise_.create();
  let last = -1;
  spawn(
    (function* () {
      for (let i = 0; i < rounds; i++) {
        Promise_.resolve(pingResolver, i);
        last = yield* Promise_.await(pong);
        [pong, pongResolver] = Promise_.create();
      }
    })(),
  );
  spawn(
    (function* () {
      for (let i = 0; i < rounds; i++) {
        const value = yield* Promise_.await(ping);
        [ping, pingResolver] = Promise_.create();
        Promise_.resolve(pongResolver, value);
      }
    })(),
  );
  drain();
  if (last !== rounds - 1) throw new Error(`floor ping-pong: last ${last}`);
}

function floorStream(capacity) {
  return (n) => {
    const stream = new Stream(capacity);
    let sum = 0;
    spawn(
      (function* () {
        for (let i = 0; i < n; i++) yield* Stream_.add(stream, i);
      })(),
    );
    spawn(
      (function* () {
        for (let i = 0; i < n; i++) sum += yield* Stream_.take(stream);
      })(),
    );
    drain();
    if (sum !== (n * (n - 1)) / 2) throw new Error(`floor stream: sum ${sum}`);
  };
}

// --- measuring -------------------------------------------------------------------------------

const rounds = Number(process.argv[2] ?? 7);
const core = await (await import("./suites/core.mjs")).scenarios({ quick: false });
const streams = await (await import("./suites/stream.mjs")).scenarios({ quick: false });
const impl = (scenarios, id, name) => {
  const scenario = scenarios.scenarios.find((s) => s.id === id);
  const found = scenario.impls.find((i) => i.name === name);
  return { run: found.run, n: found.n ?? scenario.n };
};

const groups = [
  {
    title: "switch-promise (ns per switch)",
    rows: [
      ["floor", { run: floorPingPong, n: 1_000_000 }],
      ["eio-ts", impl(core, "switch-promise", "eio-ts")],
      ["async/await", impl(core, "switch-promise", "async/await")],
      ["Effect", impl(core, "switch-promise", "Effect")],
    ],
  },
  {
    title: "stream-100 (ns per item)",
    rows: [
      ["floor", { run: floorStream(100), n: 1_000_000 }],
      ["eio-ts", impl(streams, "stream-100", "eio-ts")],
      ["async/await", impl(streams, "stream-100", "async/await")],
    ],
  },
];

for (const group of groups) {
  const times = new Map(group.rows.map(([name]) => [name, []]));
  for (const [, { run, n }] of group.rows) await run(n / 10);
  for (let r = 0; r < rounds; r++) {
    for (const [name, { run, n }] of group.rows) {
      const started = process.hrtime.bigint();
      await run(n);
      times.get(name).push(Number(process.hrtime.bigint() - started) / n);
    }
  }
  console.log(group.title);
  const best = new Map();
  for (const [name, xs] of times) {
    xs.sort((a, b) => a - b);
    best.set(name, xs[0]);
    console.log(`  ${name.padEnd(12)} min ${xs[0].toFixed(1).padStart(6)}   median ${xs[xs.length >> 1].toFixed(1).padStart(6)}`);
  }
  const ratio = (a, b) => (best.get(a) / best.get(b)).toFixed(2);
  console.log(`  floor: ${ratio("floor", "async/await")}x async/await's time; eio-ts: ${ratio("eio-ts", "async/await")}x async/await's, ${ratio("eio-ts", "floor")}x the floor's`);
  if (best.has("Effect")) console.log(`  Effect takes ${ratio("Effect", "floor")}x the floor's time and ${ratio("Effect", "eio-ts")}x eio-ts's`);
}
