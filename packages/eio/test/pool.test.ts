// Eio's tests/pool.md, ported: the same programs, the same traces.
import { describe, expect, it } from "vitest";
import type { Operation } from "../src/index.js";
import { Eio, traced } from "./helpers.js";

const P = Eio.Pool;
type OrError<T> = Eio.Promise.OrError<T>;

const dispose = (x: number) => Eio.traceln(`disposing ${x}`);
const ok = <T>(value: T): OrError<T> => Eio.Promise.createResolved({ ok: true, value });

/** Eio's `create ?validate ?dispose n items`: the i-th resource made is the i-th promise's value. */
function create(n: number, items: OrError<number>[], options: Eio.Pool.CreateOptions<number> = {}): Eio.Pool.Pool<number> {
  let i = 0;
  return P.create(
    n,
    function* () {
      Eio.traceln(`Creating item ${i}`);
      const p = items[i]!;
      i++;
      return yield* Eio.Promise.awaitExn(p);
    },
    options,
  );
}

function user(t: Eio.Pool.Pool<number>, name: string, options: Eio.Pool.UseOptions = {}) {
  return () =>
    P.use(
      t,
      function* (x) {
        Eio.traceln(`${name}: using item ${x}`);
        yield* Eio.Fiber.yield();
        Eio.traceln(`${name} done`);
      },
      options,
    );
}

describe("Eio's pool.md", () => {
  it("simple case: one resource, made once, used twice", async () => {
    expect(
      await traced(function* () {
        const t = create(1, [ok(0)]);
        yield* P.use(t, (x) => Eio.traceln(`Using item ${x}`));
        yield* P.use(t, (x) => Eio.traceln(`Using item ${x}`));
      }),
    ).toEqual(["Creating item 0", "Using item 0", "Using item 0"]);
  });

  it("two uses with a capacity of 1: the second waits", async () => {
    expect(
      await traced(function* () {
        const [p, r] = Eio.Promise.create<{ ok: true; value: number }>();
        const t = create(1, [p]);
        yield* Eio.Fiber.all([user(t, "A"), user(t, "B"), () => Eio.Promise.resolve(r, { ok: true, value: 0 })]);
      }),
    ).toEqual(["Creating item 0", "A: using item 0", "A done", "B: using item 0", "B done"]);
  });

  it("two uses with a capacity of 2 run in parallel", async () => {
    expect(
      await traced(function* () {
        const [p0, r0] = Eio.Promise.create<{ ok: true; value: number }>();
        const [p1, r1] = Eio.Promise.create<{ ok: true; value: number }>();
        const t = create(2, [p0, p1]);
        yield* Eio.Fiber.all([
          user(t, "A"),
          user(t, "B"),
          () => {
            Eio.Promise.resolve(r0, { ok: true, value: 0 });
            Eio.Promise.resolve(r1, { ok: true, value: 1 });
          },
        ]);
      }),
    ).toEqual(["Creating item 0", "A: using item 0", "Creating item 1", "B: using item 1", "A done", "B done"]);
  });

  it("neverBlock uses at capacity get a fresh resource, disposed afterwards", async () => {
    expect(
      await traced(function* () {
        const [p0, r0] = Eio.Promise.create<{ ok: true; value: number }>();
        const [p1, r1] = Eio.Promise.create<{ ok: true; value: number }>();
        const t = create(1, [p0, p1], { dispose });
        yield* Eio.Fiber.all([
          user(t, "A", { neverBlock: true }),
          user(t, "B", { neverBlock: true }),
          user(t, "C"),
          user(t, "D"),
          () => {
            Eio.Promise.resolve(r0, { ok: true, value: 0 });
            Eio.Promise.resolve(r1, { ok: true, value: 1 });
          },
        ]);
      }),
    ).toEqual(["Creating item 0", "Creating item 1", "A: using item 1", "B: using item 0", "A done", "B done", "disposing 0", "C: using item 1", "C done", "D: using item 1", "D done"]);
  });

  it("cancellation while waiting", async () => {
    expect(
      await traced(function* () {
        const [p] = Eio.Promise.create<{ ok: true; value: number }>();
        const t = create(1, [p]);
        yield* Eio.Fiber.all([
          () => P.use(t, () => Eio.traceln("assert false")), // waits for the creation to finish
          () => P.use(t, () => Eio.traceln("assert false")), // waits for the item to be returned
          () => {
            throw new Error("Simulated error");
          },
        ]);
      }),
    ).toEqual(["Creating item 0", "!! Simulated error"]);
  });

  it("a cancelled waiter leaves the queue: the resource goes to the next one", async () => {
    expect(
      await traced(function* () {
        const t = create(1, [ok(0)]);
        yield* Eio.Switch.run(function* (sw) {
          const [release, releaser] = Eio.Promise.create<void>();
          Eio.Fiber.fork(sw, () =>
            P.use(t, function* (x) {
              Eio.traceln(`A: using item ${x}`);
              yield* Eio.Promise.await(release);
            }),
          );
          try {
            yield* Eio.Switch.run((sub) => {
              Eio.Fiber.fork(sub, () => P.use(t, () => Eio.traceln("B must not run")));
              Eio.Switch.fail(sub, new Error("B gave up"));
            });
          } catch (e) {
            Eio.traceln(`B: ${(e as Error).message}`);
          }
          // B left the queue (else every cancelled wait would stay there for good).
          Eio.traceln(`waiting: ${(t as unknown as { waiters: unknown[] }).waiters.length}`);
          Eio.Fiber.fork(sw, () => P.use(t, (x) => Eio.traceln(`C: using item ${x}`)));
          Eio.Promise.resolve(releaser, undefined);
        });
      }),
    ).toEqual(["Creating item 0", "A: using item 0", "B: B gave up", "waiting: 0", "C: using item 0"]);
  });

  it("on error, the resource is still returned to the pool", async () => {
    expect(
      await traced(function* () {
        const t = create(1, [ok(0)]);
        try {
          yield* P.use(t, (x) => {
            Eio.traceln(`Using item ${x}`);
            throw new Error("Simulated error");
          });
        } catch (e) {
          Eio.traceln(`Failed: ${(e as Error).message}`);
        }
        yield* P.use(t, (x) => Eio.traceln(`Using item ${x}`));
      }),
    ).toEqual(["Creating item 0", "Using item 0", "Failed: Simulated error", "Using item 0"]);
  });

  it("when making a resource fails, the next waiter tries again", async () => {
    expect(
      await traced(function* () {
        const [p, r] = Eio.Promise.create<{ ok: true; value: number } | { ok: false; error: unknown }>();
        const t = create(1, [p, ok(1)]);
        return yield* Eio.Switch.run(function* (sw) {
          const a = Eio.Fiber.forkPromise<void>(sw, () => P.use(t, (i) => Eio.traceln(`A: using item ${i}`)));
          yield* Eio.Fiber.both(
            () => P.use(t, (i) => Eio.traceln(`B: using item ${i}`)),
            () => Eio.Promise.resolveError(r, new Error("Simulated creation failure")),
          );
          yield* Eio.Promise.awaitExn(a);
        });
      }),
    ).toEqual(["Creating item 0", "Creating item 1", "B: using item 1", "!! Simulated creation failure"]);
  });

  it("validation: a resource that fails it is disposed and replaced", async () => {
    const validate = (x: number) => {
      const valid = (x & 1) === 0;
      Eio.traceln(`validate ${x} => ${valid}`);
      return valid;
    };
    const quick = (t: Eio.Pool.Pool<number>, name: string) => () =>
      P.use(t, function* (x) {
        Eio.traceln(`${name}: using item ${x}`);
        yield* Eio.Fiber.yield();
      });
    expect(
      await traced(function* () {
        const t = create(2, [ok(0), ok(1), ok(2)], { validate, dispose });
        yield* Eio.Fiber.all([quick(t, "A"), quick(t, "B"), quick(t, "C"), quick(t, "D")]);
      }),
    ).toEqual([
      "Creating item 0",
      "A: using item 0",
      "Creating item 1",
      "B: using item 1",
      "validate 0 => true",
      "C: using item 0",
      "validate 1 => false",
      "disposing 1",
      "Creating item 2",
      "D: using item 2",
    ]);
  });

  it("dispose fails: the error is reported, and the resource is made afresh next time", async () => {
    const validate = (x: number) => {
      const valid = (x & 1) === 1;
      Eio.traceln(`validate ${x} => ${valid}`);
      return valid;
    };
    const failingDispose = (x: number): Operation<void> => {
      throw new Error(`Simulated error disposing ${x}`);
    };
    const quick = (t: Eio.Pool.Pool<number>, name: string) => () =>
      P.use(t, function* (x) {
        Eio.traceln(`${name}: using item ${x}`);
        yield* Eio.Fiber.yield();
      });
    expect(
      await traced(function* () {
        const t = create(1, [ok(0), ok(1), ok(2)], { validate, dispose: failingDispose });
        try {
          yield* Eio.Fiber.both(quick(t, "A"), quick(t, "B"));
        } catch (e) {
          Eio.traceln(`Failed: ${(e as Error).message}`);
        }
        yield* Eio.Fiber.both(quick(t, "C"), quick(t, "D"));
      }),
    ).toEqual(["Creating item 0", "A: using item 0", "validate 0 => false", "Failed: Simulated error disposing 0", "Creating item 1", "C: using item 1", "validate 1 => true", "D: using item 1"]);
  });

  it("bad arguments are named", () => {
    expect(() => P.create(0, () => 1)).toThrow("Pool.create: max must be a positive integer, got 0");
    expect(() => P.create(1, "x" as never)).toThrow("Pool.create: expected an alloc function, got string");
    expect(() => P.create(1, () => 1, { validate: 3 as never })).toThrow("Pool.create: options.validate must be a function, got number");
  });
});
