// Real worker threads: run `npm run build` first (the tests import the built package).
// The idle policy (spin, block, park; packages/eio/src/shared/idle-policy.ts and its sources in
// shared/doorbell.ts, domains/hub.ts, worker/runner.ts) must never lose a wake-up nor
// keep a process alive for nothing.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/idle.mjs", import.meta.url);
const task = <A extends unknown[] = unknown[], R = unknown>(name: string) => Eio.task<A, R>(fixtures, name);
const awaitShared = task<[Eio.Promise.Promise<string>], string>("awaitShared");
const resolveLater = task<[Eio.Promise.Resolver<string>, number, string], string>("resolveLater");

describe("waking a domain that waited long", () => {
  it("a domain waiting on a shared promise well past its spin and block still wakes, again and again", async () => {
    const got = await Eio.run(function* (env) {
      const answers: string[] = [];
      // Each wait outlasts the spin (50 µs) and the block (0.5 ms), so the later rounds find
      // the domain parked in waitAsync with blocking turned off.
      for (let round = 0; round < 3; round++) {
        const [p, r] = Eio.Promise.create<string>({ shared: true });
        yield* Eio.Fiber.both(
          function* () {
            answers.push(yield* Eio.DomainManager.run(env.domainMgr, awaitShared, p));
          },
          function* () {
            yield* Eio.Time.sleep(env.monoClock, 0.03);
            Eio.Promise.resolve(r, `round ${round}`);
          },
        );
      }
      return answers;
    });
    expect(got).toEqual(["round 0", "round 1", "round 2"]);
  });

  it("the main thread waiting on a shared promise that a domain resolves late wakes", async () => {
    const got = await Eio.run(function* (env) {
      const [p, r] = Eio.Promise.create<string>({ shared: true });
      return yield* Eio.Fiber.pair(
        () => Eio.Promise.await(p),
        () => Eio.DomainManager.run(env.domainMgr, resolveLater, r, 40, "late"),
      );
    });
    expect(got).toEqual(["late", "resolved"]);
  });

  it("timers of the main thread keep firing while it waits for CPU-bound pool jobs", async () => {
    const fib = task<[number], number>("fib");
    const [ticks, results] = await Eio.run<[number, number[]]>(function* (env) {
      let ticks = 0;
      const results: number[] = [];
      yield* Eio.Switch.run(function* (sw) {
        const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 2 });
        yield* Eio.Fiber.both(
          function* () {
            for (let i = 0; i < 10; i++) {
              yield* Eio.Time.sleep(env.monoClock, 0.002);
              ticks++;
            }
          },
          function* () {
            const jobs = [0, 1, 2, 3].map(() => Eio.ExecutorPool.submitFork(sw, pool, { weight: 1 }, fib, 24));
            for (const job of jobs) {
              const result = yield* Eio.Promise.await(job);
              results.push(result.ok ? result.value : -1);
            }
          },
        );
      });
      return [ticks, results];
    });
    expect(ticks).toBe(10);
    expect(results).toEqual([46368, 46368, 46368, 46368]);
  });
});

describe("process exit", () => {
  /** Runs a program in a fresh Node process against the built package. */
  function runScript(body: string): { out: string; status: number | null } {
    const url = new URL("../../dist/index.js", import.meta.url).href;
    const script = `import * as Eio from ${JSON.stringify(url)};\nconst fixtures = ${JSON.stringify(fixtures.href)};\n${body}`;
    const dir = mkdtempSync(join(tmpdir(), "eio-idle-"));
    const file = join(dir, "program.mjs");
    writeFileSync(file, script);
    try {
      const out = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 30_000 });
      return { out: (out.stdout + out.stderr).trim(), status: out.status };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("a process whose main thread waits on a domain's late answer stays alive for it, then exits", () => {
    const { out, status } = runScript(`
      const resolveLater = Eio.task(fixtures, "resolveLater");
      const got = await Eio.run(function* (env) {
        const [p, r] = Eio.Promise.create({ shared: true });
        return yield* Eio.Fiber.pair(() => Eio.Promise.await(p), () => Eio.DomainManager.run(env.domainMgr, resolveLater, r, 50, "late"));
      });
      console.log(got.join(" "));
    `);
    expect(out).toBe("late resolved");
    expect(status).toBe(0);
  });

  it("a process whose domain was parked on a shared promise exits once the run is over", () => {
    const { out, status } = runScript(`
      const awaitShared = Eio.task(fixtures, "awaitShared");
      const got = await Eio.run(function* (env) {
        const [p, r] = Eio.Promise.create({ shared: true });
        return yield* Eio.Fiber.pair(
          () => Eio.DomainManager.run(env.domainMgr, awaitShared, p),
          function* () {
            yield* Eio.Time.sleep(env.monoClock, 0.05);
            Eio.Promise.resolve(r, "woke");
          },
        );
      });
      console.log(got[0]);
    `);
    // A spawnSync that timed out has a null status: the process would have hung.
    expect(out).toBe("woke");
    expect(status).toBe(0);
  });
});
