// Eio.Promise (Eio's tests/sync.md, promise parts, and lib_eio/core/promise.ml semantics).
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";

const { Fiber, Switch: Sw, Promise: P, Cancel, traceln } = Eio;

/** Eio's `pp_promise`. */
function state<T>(p: Eio.Promise.Promise<Eio.Result<T>>): string {
  if (!P.isResolved(p)) return "unresolved";
  const r = P.peek(p)!;
  return r.ok ? `fulfilled:${String(r.value)}` : `broken:${show(r.error)}`;
}

describe("Eio.Promise", () => {
  it("wakes a waiting fiber when fulfilled; the waiter runs only after a yield", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          const [p, r] = P.create<Eio.Result<string>>();
          traceln("Initial state: %s", state(p));
          const thread = Fiber.forkPromise<string>(sw, () => P.awaitExn(p));
          P.resolveOk(r, "ok");
          traceln("After being fulfilled: %s", state(p));
          traceln("Thread before yield: %s", state(thread));
          yield* Fiber.yield();
          traceln("Thread after yield: %s", state(thread));
          traceln("Final result: %s", yield* P.awaitExn(thread));
        }),
      ),
    ).toEqual([
      "Initial state: unresolved",
      "After being fulfilled: fulfilled:ok",
      "Thread before yield: unresolved",
      "Thread after yield: fulfilled:ok",
      "Final result: ok",
    ]);
  });

  it("wakes a waiting fiber with the error when broken", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          const [p, r] = P.create<Eio.Result<string>>();
          traceln("Initial state: %s", state(p));
          const thread = Fiber.forkPromise<string>(sw, () => P.awaitExn(p));
          P.resolveError(r, failure("test"));
          traceln("After being broken: %s", state(p));
          traceln("Thread before yield: %s", state(thread));
          yield* Fiber.yield();
          traceln("Thread after yield: %s", state(thread));
          try {
            yield* P.awaitExn(thread);
          } catch (e) {
            traceln("Final result exception: %s", show(e));
          }
        }),
      ),
    ).toEqual([
      "Initial state: unresolved",
      "After being broken: broken:test",
      "Thread before yield: unresolved",
      "Thread after yield: broken:test",
      "Final result exception: test",
    ]);
  });

  it("wakes every waiter, in the order they started waiting", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          const [p, r] = P.create<number>();
          for (const name of ["a", "b", "c"]) {
            Fiber.fork(sw, function* () {
              traceln("%s got %d", name, yield* P.await(p));
            });
          }
          P.resolve(r, 1);
          traceln("resolved");
        }),
      ),
    ).toEqual(["resolved", "a got 1", "b got 1", "c got 1"]);
  });

  it("resolve throws if already resolved; tryResolve reports it", async () => {
    expect(
      await traced(() => {
        const [p, r] = P.create<number>();
        traceln("try: %s", P.tryResolve(r, 1));
        traceln("try again: %s", P.tryResolve(r, 2));
        try {
          P.resolve(r, 3);
        } catch (e) {
          traceln("%s", show(e));
        }
        traceln("value: %d", P.peek(p));
      }),
    ).toEqual([
      "try: true",
      "try again: false",
      "Cannot resolve the promise: it is already resolved. Use Promise.tryResolve to ignore this case.",
      "value: 1",
    ]);
  });

  it("createResolved, peek and isResolved", async () => {
    expect(
      await traced(function* () {
        const p = P.createResolved("ready");
        const [q] = P.create<string>();
        traceln("%s %s %s %s", P.isResolved(p), P.peek(p), P.isResolved(q), P.peek(q));
        traceln("await: %s", yield* P.await(p));
      }),
    ).toEqual(["true ready false undefined", "await: ready"]);
  });

  it("awaiting a resolved promise returns at once, even in a cancelled context", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          const p = P.createResolved(5);
          Sw.fail(sw, failure("off"));
          traceln("got %d", yield* P.await(p));
        }),
      ),
    ).toEqual(["got 5", "!! off"]);
  });

  it("awaiting an unresolved promise in a cancelled context throws Cancelled", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          const [p] = P.create<number>();
          Sw.fail(sw, failure("off"));
          try {
            yield* P.await(p);
          } catch (e) {
            traceln("await: %s", show(e));
          }
        }),
      ),
    ).toEqual(["await: Cancelled(off)", "!! off"]);
  });

  it("a cancelled waiter leaves the promise as it was, and later waiters still get the value", async () => {
    expect(
      await traced(function* () {
        const [p, r] = P.create<string>();
        const first = yield* Fiber.first(() => P.await(p), () => "gave up");
        traceln("first: %s, resolved: %s", first, P.isResolved(p));
        yield* Fiber.both(
          function* () {
            traceln("second waiter got %s", yield* P.await(p));
          },
          () => P.resolve(r, "late value"),
        );
      }),
    ).toEqual(["first: gave up, resolved: false", "second waiter got late value"]);
  });

  it("a waiter cancelled before the promise is resolved sees Cancelled; tryResolve still succeeds", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          const [p, r] = P.create<number>();
          Fiber.fork(sw, function* () {
            try {
              yield* P.await(p);
            } catch (e) {
              traceln("waiter: %s", show(e));
            }
          });
          Sw.fail(sw, failure("first"));
          traceln("tryResolve after cancel: %s", P.tryResolve(r, 1));
        }),
      ),
    ).toEqual(["tryResolve after cancel: true", "waiter: Cancelled(first)", "!! first"]);
  });

  it("rejects values that are not promises with a clear message", async () => {
    expect(
      await traced(function* () {
        yield* P.await(42 as never);
      }),
    ).toEqual(["!! TypeError: Promise.await: expected an Eio promise or resolver (from Eio.Promise.create), got 42"]);
  });

  it("protect lets a cancelled fiber wait for a promise", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          const [p, r] = P.create<string>();
          Fiber.fork(sw, function* () {
            try {
              yield* Fiber.awaitCancel();
            } finally {
              traceln("cleanup got %s", yield* Cancel.protect(() => P.await(p)));
            }
          });
          Sw.fail(sw, failure("stop"));
          P.resolve(r, "flushed");
        }),
      ),
    ).toEqual(["cleanup got flushed", "!! stop"]);
  });
});
