// Daemon fibers (Eio's tests/fiber.md "Daemon fibers").
import { describe, expect, it } from "vitest";
import { Eio, failure, show, traced } from "./helpers.js";

const { Fiber, Switch: Sw, traceln } = Eio;

describe("Fiber.forkDaemon", () => {
  it("runs until the non-daemon fibers finish, then is cancelled without error", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          Fiber.forkDaemon(sw, function* () {
            for (let i = 1; i <= 10; i++) {
              traceln("Daemon running");
              yield* Fiber.yield();
            }
            throw failure("Test failed");
          });
          traceln("Main running 1");
          yield* Fiber.yield();
          traceln("Main running 2");
        }),
      ),
    ).toEqual(["Daemon running", "Main running 1", "Daemon running", "Main running 2"]);
  });

  it("works with several daemon and non-daemon fibers; forks after cancellation do not start", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          Fiber.fork(sw, function* () {
            traceln("Worker 1 starting");
            yield* Fiber.yield();
            traceln("Worker 1 running");
            yield* Fiber.yield();
            traceln("Worker 1 finished");
          });
          Fiber.fork(sw, function* () {
            traceln("Worker 2 starting");
            yield* Fiber.yield();
            traceln("Worker 2 finished");
          });
          Fiber.forkDaemon(sw, function* () {
            try {
              for (let i = 1; i <= 10; i++) {
                traceln("Daemon 1 running");
                yield* Fiber.yield();
              }
              throw failure("Test failed");
            } catch (e) {
              if (!(e instanceof Eio.Cancel.Cancelled)) throw e;
              traceln("Daemon cancelled; trying to spawn more fibers");
              Fiber.forkDaemon(sw, () => {
                throw failure("Shouldn't start");
              });
              Fiber.fork(sw, () => {
                throw failure("Shouldn't start");
              });
              throw e;
            }
          });
          Fiber.forkDaemon(sw, function* () {
            traceln("Daemon 2 running");
            yield* Fiber.yield();
            traceln("Daemon 2 finished");
          });
          traceln("Main running");
          yield* Fiber.yield();
          traceln("Main finished");
        }),
      ),
    ).toEqual([
      "Worker 1 starting",
      "Worker 2 starting",
      "Daemon 1 running",
      "Daemon 2 running",
      "Main running",
      "Worker 1 running",
      "Worker 2 finished",
      "Daemon 1 running",
      "Daemon 2 finished",
      "Main finished",
      "Worker 1 finished",
      "Daemon cancelled; trying to spawn more fibers",
    ]);
  });

  it("reports a failing daemon's error", async () => {
    expect(
      await traced(() =>
        Sw.run(function* (sw) {
          Fiber.forkDaemon(sw, function* () {
            yield* Fiber.yield();
            throw failure("Simulated error");
          });
          yield* Fiber.yield();
        }),
      ),
    ).toEqual(["!! Simulated error"]);
  });

  it("a daemon that catches the cancellation and throws something else fails the switch", async () => {
    expect(
      await traced(() =>
        Sw.run((sw) => {
          Fiber.forkDaemon(sw, function* () {
            try {
              yield* Fiber.awaitCancel();
            } catch (e) {
              traceln("daemon got %s", show(e) === "Cancelled(Eio.onlyDaemonsLeft)" ? "the only-daemons cancel" : show(e));
              throw failure("daemon cleanup failed");
            }
          });
        }),
      ),
    ).toEqual(["daemon got the only-daemons cancel", "!! daemon cleanup failed"]);
  });

  it("a daemon alone in a switch is cancelled as soon as the body returns", async () => {
    expect(
      await traced(function* () {
        yield* Sw.run((sw) => {
          Fiber.forkDaemon(sw, function* () {
            try {
              yield* Fiber.awaitCancel();
            } finally {
              traceln("daemon stopped");
            }
          });
          traceln("body returns");
        });
        traceln("switch finished");
      }),
    ).toEqual(["body returns", "daemon stopped", "switch finished"]);
  });
});
