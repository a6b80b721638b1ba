// Eio.Trace across domains (real worker threads; the tests import the built package).
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/trace-tasks.mjs", import.meta.url);
const quiet = { traceln: () => {} };

/**
 * Two requests through a shared stream to a domain, each answered through a shared promise.
 * Every hand-over after the first request finds the other side already waiting, whatever the
 * timing: the request is added by a fiber forked for it, which first yields, so `record` waits
 * on the reply before the request goes; and the domain answers the same way (see `answer`), so
 * it waits on the stream before the answer arrives here and the next request is sent.
 */
function* askTwice(env: Eio.Env): Eio.Operation<void> {
  yield* Eio.Switch.run(function* (sw) {
    const requests = Eio.Stream.create<{ n: number; reply: Eio.Promise.Resolver<number> } | null>(1, { shared: true });
    Eio.Fiber.fork(sw, function* server() {
      yield* Eio.DomainManager.run(env.domainMgr, Eio.task(fixtures, "answer"), requests);
    });
    for (let n = 1; n <= 2; n++) {
      const [reply, resolver] = Eio.Promise.create<number>({ shared: true });
      Eio.Fiber.fork(sw, function* ask() {
        yield* Eio.Fiber.yield();
        yield* Eio.Stream.add(requests, { n, reply: resolver });
      });
      Eio.traceln("got %d", yield* Eio.Promise.await(reply));
    }
    yield* Eio.Stream.add(requests, null);
  });
}

describe("tracing across domains", () => {
  it("a domain started while recording records its fibers, and wake-ups between domains name their sender", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>((env) => Eio.Trace.record(() => askTwice(env)), quiet);
    const other = trace.events.find((e) => e.domain !== 0)!.domain;
    const lines = Eio.Trace.toText(trace).split("\n");
    const expectInOrder = (expected: string[]) => {
      let at = -1;
      for (const line of expected) {
        const next = lines.indexOf(line, at + 1);
        expect(next, `"${line}" after line ${at} of:\n${lines.join("\n")}`).toBeGreaterThan(at);
        at = next;
      }
    };
    const d = `[domain ${other}]`;
    expectInOrder([
      `${d} answer#0 runs`,
      `${d} answer#0: answering 1`,
      `[domain 0] reply#1 (domain ${other}) wakes record#0`,
      "[domain 0] record#0: got 2",
      `${d} ask#3 (domain 0) wakes answer#0`,
      `${d} answer#0: answering 2`,
      `[domain 0] reply#2 (domain ${other}) wakes record#0`,
      "[domain 0] record#0: got 4",
      `${d} record#0 (domain 0) wakes answer#0`,
      `${d} answer#0 ends`,
      "[domain 0] server#1 ends",
    ]);
    // The picture draws those wake-ups as arrows between the domains' rows.
    const svg = Eio.Trace.toSvg(trace, { clock: "steps" });
    expect(svg).toContain(`domain ${other}`);
    expect(svg.match(/<title>reply#\d wakes record#0<\/title>/g)?.length).toBe(2);
  });

  it("pool jobs submitted while recording appear in their domains; a domain records nothing once no traced job runs there", async () => {
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
        const forkAndReturn = Eio.task<[number], number>(fixtures, "forkAndReturn");
        const trace = yield* Eio.Trace.record(function* () {
          expect(yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, forkAndReturn, 7)).toBe(7);
        });
        const text = Eio.Trace.toText(trace);
        expect(text).toMatch(/\[domain \d+\] forkAndReturn#0 forks helper#1 in Switch#1/);
        expect(text).toMatch(/\[domain \d+\] helper#1 ends/);
        // An untraced job afterwards: the next recording has only its own job.
        expect(yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, forkAndReturn, 8)).toBe(8);
        const second = yield* Eio.Trace.record(() => Eio.traceln("only this"));
        expect(Eio.Trace.toText(second)).toBe("record#0 runs\nrecord#0: only this");
      });
    }, quiet);
  });

  it("a job still running when the recording ends shows what it did until its domain last sent its events", async () => {
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
        const [started, setStarted] = Eio.Promise.create<void>({ shared: true });
        const [stop, setStop] = Eio.Promise.create<void>({ shared: true });
        const logThenWait = Eio.task<[Eio.Promise.Resolver<void>, Eio.Promise.Promise<void>], void>(fixtures, "logThenWait");
        let job: Eio.Promise.Promise<Eio.Result<void>> | undefined;
        const trace = yield* Eio.Trace.record(function* () {
          job = Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, logThenWait, setStarted, stop);
          yield* Eio.Promise.await(started);
          // Time passing is what is tested: a domain sends a running job's events every 20 ms.
          yield* Eio.Time.sleep(env.clock, 0.2);
        });
        Eio.Promise.resolve(setStop, undefined);
        expect((yield* Eio.Promise.await(job!)).ok).toBe(true);
        const text = Eio.Trace.toText(trace);
        expect(text).toMatch(/\[domain \d+\] logThenWait#0: started/);
        expect(text).toMatch(/\[domain \d+\] logThenWait#0 waits on Promise\.await/);
        expect(text).not.toMatch(/logThenWait#0 ends/);
      });
    }, quiet);
  });

  it("a traced job whose task cannot be loaded fails as untraced ones do, and the trace stays whole", async () => {
    const trace = await Eio.run<Eio.Trace.Trace>(
      (env) =>
        Eio.Trace.record(function* () {
          const notAFunction = Eio.task(new URL("./fixtures/other.mjs", import.meta.url), "notAFunction");
          let message = "";
          try {
            yield* Eio.DomainManager.run(env.domainMgr, notAFunction);
          } catch (error) {
            message = (error as Error).message;
          }
          Eio.traceln("failed: %s", message.length > 0);
        }),
      quiet,
    );
    expect(trace.dropped).toBe(0);
    expect(Eio.Trace.toText(trace)).toContain("record#0: failed: true");
  });
});
