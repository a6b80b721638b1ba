// Eio.Mock.DomainManager: "domains" as fibers of one domain, with the ids Eio's tests trace.
// Scenarios of Eio's tests/domains.md, run on the mock manager. The tasks run in this thread,
// so they and this test use one runtime: the built package (run `npm run build` first).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/mock-domain-tasks.mjs", import.meta.url);
const task = <A extends unknown[] = unknown[], R = unknown>(name: string) => Eio.task<A, R>(fixtures, name);
const show = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Eio's `Eio_mock.Backend.run @@ fun () -> Eio_mock.Domain_manager.run fn`, traced. */
async function traced(fn: (dm: Eio.DomainManager.DomainManager) => unknown): Promise<string[]> {
  const lines: string[] = [];
  try {
    const value = await Eio.Mock.run(() => Eio.Mock.DomainManager.run(fn), { traceln: (line) => lines.push(line) });
    if (value !== undefined) lines.push(`-> ${JSON.stringify(value)}`);
  } catch (error) {
    lines.push(`!! ${show(error)}`);
  }
  return lines;
}

describe("Mock.DomainManager (Eio's tests/domains.md on the mock manager)", () => {
  it("spawning a second domain", async () => {
    expect(
      await traced(function* (dm) {
        const response = yield* Eio.DomainManager.run(dm, task<[], string>("hello"));
        Eio.traceln("Got %j from spawned domain", response);
      }),
    ).toEqual(['[0] Got "Hello from new domain" from spawned domain']);
  });

  it("the domain raises an exception", async () => {
    expect(await traced((dm) => Eio.DomainManager.run(dm, task("fail")))).toEqual(["!! Exception from new domain"]);
  });

  it("other fibers still run in the main domain while waiting", async () => {
    expect(
      await traced((dm) => {
        const [p, r] = Eio.Promise.create<void>();
        return Eio.Fiber.both(
          function* () {
            Eio.traceln("Spawning new domain...");
            const response = yield* Eio.DomainManager.run(dm, task<[Eio.Promise.Promise<void>], string>("waitFor"), p);
            Eio.traceln("Got %j from spawned domain", response);
          },
          () => {
            Eio.traceln("Other fibers can still run");
            Eio.Promise.resolve(r, undefined);
          },
        );
      }),
    ).toEqual([
      "[0] Spawning new domain...",
      // The module's first task waits for its import, as a real domain takes time to start.
      "[0] Other fibers can still run",
      "[1] waiting in the new domain",
      '[0] Got "Hello from new domain" from spawned domain',
    ]);
  });

  it("cancelling another domain", async () => {
    expect(
      await traced((dm) => {
        const [loaded, setLoaded] = Eio.Promise.create<void>();
        return Eio.Fiber.both(
          function* () {
            // The module is loaded by now: the next task starts at once.
            yield* Eio.DomainManager.run(dm, task("hello"));
            Eio.Promise.resolve(setLoaded, undefined);
            try {
              yield* Eio.DomainManager.run(dm, task("awaitCancelTraced"));
            } catch (e) {
              Eio.traceln("Spawning fiber got %s", show(e));
              throw e;
            }
          },
          function* () {
            yield* Eio.Promise.await(loaded);
            throw new Error("Simulated error");
          },
        );
      }),
    ).toEqual(["[2] Spawned domain got Cancelled: Error: Simulated error", "[0] Spawning fiber got Cancelled: Error: Simulated error", "!! Simulated error"]);
  });

  it("cancelling another domain (no module loading before)", async () => {
    expect(
      await traced((dm) =>
        Eio.Fiber.both(
          function* () {
            try {
              yield* Eio.DomainManager.run(dm, task("awaitCancelTraced"));
            } catch (e) {
              Eio.traceln("Spawning fiber got %s", show(e));
              throw e;
            }
          },
          () => {
            throw new Error("Simulated error");
          },
        ),
      ),
    ).toEqual(["[0] Spawning fiber got Cancelled: Error: Simulated error", "!! Simulated error"]);
  });

  it("spawning when already cancelled: no new domain is started", async () => {
    expect(
      await traced((dm) =>
        Eio.Switch.run(function* (sw) {
          Eio.Switch.fail(sw, new Error("Simulated error"));
          yield* Eio.DomainManager.run(dm, task("shouldNotRun"));
        }),
      ),
    ).toEqual(["!! Simulated error"]);
  });

  it("ids are given in order, and each domain's lines carry its own, also for a domain started from a domain", async () => {
    expect(
      await traced(function* (dm) {
        const work = task<[string], number>("work");
        const [a, b] = yield* Eio.Fiber.pair<number, number>(
          () => Eio.DomainManager.run(dm, work, "a"),
          () => Eio.DomainManager.run(dm, work, "bb"),
        );
        const c = yield* Eio.DomainManager.run(dm, task<[Eio.DomainManager.DomainManager], number>("nested"), dm);
        Eio.traceln("results %d %d %d", a, b, c);
      }),
    ).toEqual(["[1] a starts", "[2] bb starts", "[1] a ends", "[2] bb ends", "[3] outer", "[4] inner starts", "[4] inner ends", "[0] results 1 2 5"]);
  });

  it("mock time lines come from no domain; with_domain_tracing leaves lines outside any domain as they are", async () => {
    const lines: string[] = [];
    await Eio.Mock.run(
      (env) =>
        Eio.Mock.DomainManager.withDomainTracing(function* () {
          Eio.traceln("no domain");
          yield* Eio.Mock.DomainManager.run(function* () {
            yield* Eio.Time.sleep(env.clock, 1);
            Eio.traceln("slept");
          });
        }),
      { traceln: (line) => lines.push(line) },
    );
    expect(lines).toEqual(["no domain", "mock time is now 1", "[0] slept"]);
  });

  it("says what is wrong when not given a function", () => {
    expect(() => Eio.Mock.DomainManager.run(null as never)).toThrow(/^Mock\.DomainManager\.run: expected a function/);
  });
});
