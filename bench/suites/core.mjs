// Suite `core` (issue 2): the single-domain runtime against effection, Effect, plain async/await
// and a bare generator loop. Every implementation does the same work, and checks it did it.
import * as Eio from "eio-ts";
import * as effection from "effection";
import { Effect, Fiber as EffectFiber, Deferred } from "effect";
import { faster, within } from "../lib/harness.mjs";

export const issue = 2;
/** Who else runs on the cores while this suite measures (the machine line of the report). */
export const sharedWith = "every other process running here (one thread measures; the load average counts the others)";

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

// --- spawn and join n fibers in one switch -------------------------------------------------

function* emptyBody() {}
async function emptyAsync() {}

function eioSpawn(n) {
  let started = 0;
  const child = function* () {
    started++;
  };
  return Eio.run(function* () {
    yield* Eio.Switch.run((sw) => {
      for (let i = 0; i < n; i++) Eio.Fiber.fork(sw, child);
    });
  }).then(() => expectEqual(started, n, "eio-ts fibers run"));
}

function eioSpawnInline(n) {
  // The same fork with its body written inside the loop: V8 makes a new closure (and generator
  // prototype) per fork, which costs more than the fork itself (issue 18).
  let started = 0;
  return Eio.run(function* () {
    yield* Eio.Switch.run((sw) => {
      for (let i = 0; i < n; i++) {
        Eio.Fiber.fork(sw, function* () {
          started++;
        });
      }
    });
  }).then(() => expectEqual(started, n, "eio-ts fibers run"));
}

function eioSpawnArrow(n) {
  // The usual fix for the inline row: an arrow written in the loop that calls a hoisted generator
  // function. An arrow is a closure too, but V8 makes no prototype for it.
  let started = 0;
  const work = function* (i) {
    started += i >= 0 ? 1 : 0;
  };
  return Eio.run(function* () {
    yield* Eio.Switch.run((sw) => {
      for (let i = 0; i < n; i++) Eio.Fiber.fork(sw, () => work(i));
    });
  }).then(() => expectEqual(started, n, "eio-ts fibers run"));
}

function effectionSpawn(n) {
  return effection.run(function* () {
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(yield* effection.spawn(emptyBody));
    yield* effection.all(tasks);
  });
}

function effectSpawn(n) {
  return Effect.runPromise(
    Effect.gen(function* () {
      const fibers = [];
      for (let i = 0; i < n; i++) fibers.push(yield* Effect.forkChild(Effect.void));
      yield* EffectFiber.joinAll(fibers);
    }),
  );
}

async function asyncSpawn(n) {
  const all = new Array(n);
  for (let i = 0; i < n; i++) all[i] = emptyAsync();
  await Promise.all(all);
}

function generatorSpawn(n) {
  // The floor: make a generator and run it to its end, nothing else.
  let done = 0;
  for (let i = 0; i < n; i++) if (emptyBody().next().done) done++;
  expectEqual(done, n, "generators finished");
}

function generatorSpawnInline(n) {
  // The floor of the inline row: make a fresh generator function, then a generator of it, and run
  // it to its end.
  let done = 0;
  for (let i = 0; i < n; i++) if ((function* () {})().next().done) done++;
  expectEqual(done, n, "generators finished");
}

// --- n context switches: two fibers hand a value back and forth through promises ------------
// Each round trip is two switches. The side that waits makes its next promise before it wakes the
// other side, so neither ever reads a promise that is about to be replaced.

function eioPingPong(n) {
  const rounds = n / 2;
  return Eio.run(function* () {
    let [ping, pingResolver] = Eio.Promise.create();
    let [pong, pongResolver] = Eio.Promise.create();
    let last = -1;
    yield* Eio.Fiber.both(
      function* () {
        for (let i = 0; i < rounds; i++) {
          Eio.Promise.resolve(pingResolver, i);
          last = yield* Eio.Promise.await(pong);
          [pong, pongResolver] = Eio.Promise.create();
        }
      },
      function* () {
        for (let i = 0; i < rounds; i++) {
          const value = yield* Eio.Promise.await(ping);
          [ping, pingResolver] = Eio.Promise.create();
          Eio.Promise.resolve(pongResolver, value);
        }
      },
    );
    expectEqual(last, rounds - 1, "eio-ts ping-pong");
  });
}

function effectionPingPong(n) {
  const rounds = n / 2;
  return effection.run(function* () {
    let ping = effection.withResolvers();
    let pong = effection.withResolvers();
    let last = -1;
    const other = yield* effection.spawn(function* () {
      for (let i = 0; i < rounds; i++) {
        const value = yield* ping.operation;
        ping = effection.withResolvers();
        pong.resolve(value);
      }
    });
    for (let i = 0; i < rounds; i++) {
      ping.resolve(i);
      last = yield* pong.operation;
      pong = effection.withResolvers();
    }
    yield* other;
    expectEqual(last, rounds - 1, "effection ping-pong");
  });
}

function effectPingPong(n) {
  const rounds = n / 2;
  return Effect.runPromise(
    Effect.gen(function* () {
      let ping = yield* Deferred.make();
      let pong = yield* Deferred.make();
      let last = -1;
      const other = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (let i = 0; i < rounds; i++) {
            const value = yield* Deferred.await(ping);
            ping = yield* Deferred.make();
            yield* Deferred.succeed(pong, value);
          }
        }),
      );
      for (let i = 0; i < rounds; i++) {
        yield* Deferred.succeed(ping, i);
        last = yield* Deferred.await(pong);
        pong = yield* Deferred.make();
      }
      yield* EffectFiber.join(other);
      expectEqual(last, rounds - 1, "Effect ping-pong");
    }),
  );
}

function nativeCell() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

async function asyncPingPong(n) {
  const rounds = n / 2;
  let ping = nativeCell();
  let pong = nativeCell();
  let last = -1;
  const other = (async () => {
    for (let i = 0; i < rounds; i++) {
      const value = await ping.promise;
      ping = nativeCell();
      pong.resolve(value);
    }
  })();
  for (let i = 0; i < rounds; i++) {
    ping.resolve(i);
    last = await pong.promise;
    pong = nativeCell();
  }
  await other;
  expectEqual(last, rounds - 1, "async/await ping-pong");
}

// --- n context switches: two fibers alternating on yield -----------------------------------

function eioYield(n) {
  const each = n / 2;
  const order = [];
  return Eio.run(function* () {
    const loop = (name) =>
      function* () {
        for (let i = 0; i < each; i++) {
          if (i < 2) order.push(name);
          yield* Eio.Fiber.yield();
        }
      };
    yield* Eio.Fiber.both(loop("a"), loop("b"));
    expectEqual(order.join(""), "abab", "eio-ts fibers alternate");
  });
}

function effectionYield(n) {
  // effection 4 has no yield operation; waiting on an already-resolved promise is its cheapest
  // way to let the other task run.
  const each = n / 2;
  return effection.run(function* () {
    const loop = function* () {
      for (let i = 0; i < each; i++) yield* effection.until(Promise.resolve());
    };
    yield* effection.all([loop(), loop()]);
  });
}

function effectYield(n) {
  const each = n / 2;
  const loop = Effect.gen(function* () {
    for (let i = 0; i < each; i++) yield* Effect.yieldNow;
  });
  return Effect.runPromise(Effect.gen(function* () {
    const a = yield* Effect.forkChild(loop);
    const b = yield* Effect.forkChild(loop);
    yield* EffectFiber.joinAll([a, b]);
  }));
}

async function asyncYield(n) {
  // Two async functions that alternate through the microtask queue, the JS engine's own run queue.
  const each = n / 2;
  const order = [];
  const loop = async (name) => {
    for (let i = 0; i < each; i++) {
      if (i < 2) order.push(name);
      await null;
    }
  };
  await Promise.all([loop("a"), loop("b")]);
  expectEqual(order.join(""), "abab", "async functions alternate");
}

function generatorYield(n) {
  const each = n / 2;
  const loop = function* () {
    for (let i = 0; i < each; i++) yield;
  };
  const a = loop();
  const b = loop();
  let switches = 0;
  for (;;) {
    const x = a.next();
    const y = b.next();
    if (x.done && y.done) break;
    switches += 2;
  }
  expectEqual(switches, n, "generator switches");
}

// --- n lock/unlock pairs of one Eio.Mutex ----------------------------------------------------
// Issue 18 asks what a mutex costs. Alone, a lock never waits; shared by two fibers that each
// yield while holding it, every lock waits for the other fiber's unlock (a hand-over).

function eioMutexAlone(n) {
  let held = 0;
  const body = () => {
    held++;
  };
  return Eio.run(function* () {
    const m = Eio.Mutex.create();
    for (let i = 0; i < n; i++) yield* Eio.Mutex.useRw(m, { protect: false }, body);
  }).then(() => expectEqual(held, n, "critical sections run"));
}

function eioLockUnlock(n) {
  let held = 0;
  return Eio.run(function* () {
    const m = Eio.Mutex.create();
    for (let i = 0; i < n; i++) {
      yield* Eio.Mutex.lock(m);
      held++;
      Eio.Mutex.unlock(m);
    }
  }).then(() => expectEqual(held, n, "critical sections run"));
}

function eioMutexHandOver(n) {
  const each = n / 2;
  const order = [];
  return Eio.run(function* () {
    const m = Eio.Mutex.create();
    const loop = (name) => {
      const body = function* () {
        if (order.length < 4) order.push(name);
        yield* Eio.Fiber.yield();
      };
      return function* () {
        for (let i = 0; i < each; i++) yield* Eio.Mutex.useRw(m, { protect: false }, body);
      };
    };
    yield* Eio.Fiber.both(loop("a"), loop("b"));
  }).then(() => expectEqual(order.join(""), "abab", "the two fibers take turns holding the mutex"));
}

function eioYieldOnly(n) {
  // The hand-over row's floor: the same two fibers and yields, without the mutex.
  const each = n / 2;
  let held = 0;
  return Eio.run(function* () {
    const loop = function* () {
      for (let i = 0; i < each; i++) {
        held++;
        yield* Eio.Fiber.yield();
      }
    };
    yield* Eio.Fiber.both(loop, loop);
  }).then(() => expectEqual(held, n, "loop bodies run"));
}

export async function scenarios({ quick }) {
  const spawnN = quick ? 10_000 : 100_000;
  const switchN = quick ? 100_000 : 1_000_000;
  // effection's spawn+join costs about a millisecond per fiber here, and Effect's switches cost
  // microseconds: they run fewer units per sample so that the whole run stays within budget.
  const slow = (n, divisor) => Math.max(1000, n / divisor);
  return {
    scenarios: [
      {
        id: "spawn-join",
        title: `core: spawn and join ${spawnN / 1000}k fibers in one switch`,
        unit: "fiber",
        n: spawnN,
        fixedN: true,
        impls: [
          { name: "eio-ts", run: eioSpawn },
          { name: "eio-ts, inline body", run: eioSpawnInline },
          { name: "eio-ts, arrow to a hoisted body", run: eioSpawnArrow },
          { name: "async/await", run: asyncSpawn },
          { name: "effection", run: effectionSpawn, n: quick ? 200 : 1000 },
          { name: "Effect", run: effectSpawn },
          { name: "bare generator", run: generatorSpawn },
          { name: "bare generator, inline body", run: generatorSpawnInline },
        ],
        notes: [
          "eio-ts forks one body made once, outside the loop (hoisted); bare generator makes and runs a generator of one hoisted `function* () {}`: its floor",
          "eio-ts, inline body: the same forks with `Fiber.fork(sw, function* () {...})` written inside the loop, so each fork makes a new generator function; bare generator, inline body makes and runs a fresh `function* () {}` each time: its floor, what V8 alone charges for that",
          "eio-ts, arrow to a hoisted body: `Fiber.fork(sw, () => work(i))` written inside the loop, with `function* work(i)` made once outside it",
"effection spawns 1k fibers per sample, not 100k: each costs it about a millisecond here (206 µs on an idle machine), so 100k would take minutes"],
        targets: [
          within("async/await", 1, "spawn+join at least as fast as plain async/await"),
          faster("effection", 10),
          faster("Effect", 10),
        ],
      },
      {
        id: "switch-promise",
        title: `core: ${switchN / 1e6}M context switches, two fibers handing a value through promises`,
        unit: "switch",
        n: switchN,
        step: 1000,
        impls: [
          { name: "eio-ts", run: eioPingPong },
          { name: "async/await", run: asyncPingPong },
          { name: "effection", run: effectionPingPong },
          { name: "Effect", run: effectPingPong, n: slow(switchN, 5) },
        ],
        targets: [within("async/await", 2, "switches within 2x of plain async/await"), faster("effection", 10), faster("Effect", 10)],
      },
      {
        id: "switch-yield",
        title: `core: ${switchN / 1e6}M context switches, two fibers alternating on Fiber.yield`,
        unit: "switch",
        n: switchN,
        step: 1000,
        impls: [
          { name: "eio-ts", run: eioYield },
          { name: "async/await", run: asyncYield },
          { name: "effection", run: effectionYield },
          { name: "Effect", run: effectYield, n: slow(switchN, 5) },
          { name: "bare generator", run: generatorYield },
        ],
        notes: ["async/await yields with `await null`; effection 4 has no yield, so it waits on a resolved promise (`until`)"],
        targets: [within("async/await", 2, "switches within 2x of plain async/await"), faster("effection", 10), faster("Effect", 10)],
      },
      {
        id: "mutex",
        title: `core: ${switchN / 1e6}M critical sections under one Eio.Mutex`,
        unit: "section",
        n: switchN,
        step: 1000,
        impls: [
          { name: "eio-ts", run: eioMutexAlone },
          { name: "eio-ts, lock and unlock", run: eioLockUnlock },
          { name: "eio-ts, two fibers hand over", run: eioMutexHandOver },
          { name: "eio-ts, the hand-over without the mutex", run: eioYieldOnly },
        ],
        notes: [
          "eio-ts: one fiber, `Mutex.useRw(m, { protect: false }, body)`, never waits; lock and unlock: the same with `Mutex.lock` and `Mutex.unlock`",
          "two fibers hand over: each holds the mutex across a `Fiber.yield`, so every lock waits for the other fiber's unlock; without the mutex: the same two fibers and yields alone, the floor of that row",
        ],
      },
    ],
  };
}
