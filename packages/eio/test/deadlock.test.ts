// Deadlock detection: when nothing can ever run again, Eio.run rejects instead of hanging or
// letting Node exit silently.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Eio, show, traced } from "./helpers.js";

const { Fiber, Switch: Sw, Promise: P, traceln } = Eio;

describe("DeadlockError", () => {
  it("is raised when main waits on a promise nobody can resolve", async () => {
    let error: unknown = null;
    await Eio.run(function* () {
      const [p] = P.create<number>();
      return yield* P.await(p);
    }).catch((e: unknown) => (error = e));
    expect(error).toBeInstanceOf(Eio.DeadlockError);
    expect((error as Error).message).toMatch(/^Deadlock: every fiber is waiting and nothing can wake one \(waiting on: fiber \d+ on Promise\.await\)\.$/);
  });

  it("runs finally blocks of every waiting fiber (in context order) before rejecting", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          const [p] = P.create<void>();
          Fiber.fork(sw, function* () {
            try {
              yield* P.await(p);
            } finally {
              traceln("child finally");
            }
          });
          try {
            yield* P.await(p);
          } finally {
            traceln("main finally");
          }
        }),
      ),
    ).toEqual(["main finally", "child finally", expect.stringMatching(/^!! DeadlockError: Deadlock: .*fiber \d+ on Promise\.await, fiber \d+ on Promise\.await/)]);
  });

  it("is not raised while a native promise is pending", async () => {
    expect(
      await traced(function* () {
        yield* Fiber.awaitNative(new Promise((r) => setTimeout(r, 5)));
        return "woke up";
      }),
    ).toEqual(["-> woke up"]);
  });

  it("is raised for a fiber waiting on awaitCancel with nothing else running", async () => {
    expect((await traced(() => Fiber.awaitCancel())).map((l) => l.replace(/\d+/g, "N"))).toEqual([
      "!! DeadlockError: Deadlock: every fiber is waiting and nothing can wake one (waiting on: fiber N on Fiber.awaitCancel).",
    ]);
  });

  it("a fiber that catches the deadlock's Cancelled and waits again still ends the run", async () => {
    const lines = await traced(function* () {
      const [p] = P.create<void>();
      try {
        yield* P.await(p);
      } catch (e) {
        traceln("caught %s", show(e).startsWith("Cancelled(DeadlockError") ? "the deadlock" : show(e));
        yield* Eio.Cancel.protect(() => P.await(p));
      }
    });
    expect(lines.map((l) => l.replace(/\d+/g, "N"))).toEqual([
      "caught the deadlock",
      "!! DeadlockError: Deadlock: every fiber is waiting and nothing can wake one (waiting on: fiber N on Promise.await).",
    ]);
  });
});

describe("when Node's event loop empties under a running program", () => {
  /** Runs a program in a fresh Node process against the built package; returns its output. */
  function runScript(body: string): string {
    const url = new URL("../dist/index.js", import.meta.url).href;
    const script = `import * as Eio from ${JSON.stringify(url)};\n${body}`;
    const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    return (out.stdout + out.stderr).replace(/\d+/g, "N").trim();
  }

  it("rejects with DeadlockError for a native promise that never settles (instead of exiting silently)", () => {
    expect(
      runScript(`
        try {
          await Eio.run(function* () {
            try {
              yield* Eio.Fiber.awaitNative(new Promise(() => {}));
            } finally {
              console.log("finally ran");
            }
          });
        } catch (e) {
          console.log(e.name + ": " + e.message);
        }
        console.log("process continues");
      `),
    ).toBe(
      "finally ran\nDeadlockError: Deadlock: every fiber is waiting and nothing can wake one (waiting on: fiber N on Fiber.awaitNative).\nprocess continues",
    );
  });

  it("rejects with DeadlockError for a sub-context listening on a signal nobody can abort", () => {
    expect(
      runScript(`
        const controller = new AbortController();
        await Eio.run(function* () {
          const [p] = Eio.Promise.create();
          yield* Eio.Cancel.sub(() => Eio.Promise.await(p), { signal: controller.signal });
        }).catch((e) => console.log(e.name));
      `),
    ).toBe("DeadlockError");
  });
});
