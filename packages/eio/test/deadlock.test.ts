// Deadlock detection: when nothing can ever run again, Eio.run rejects instead of hanging or
// letting Node exit silently.
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
