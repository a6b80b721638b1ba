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
          { name: "async/await", run: asyncSpawn },
          { name: "effection", run: effectionSpawn, n: quick ? 200 : 1000 },
          { name: "Effect", run: effectSpawn },
          { name: "bare generator", run: generatorSpawn },
        ],
        notes: ["effection spawns 1k fibers per sample, not 100k: each costs it about a millisecond here (206 µs on an idle machine), so 100k would take minutes"],
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
    ],
  };
}
