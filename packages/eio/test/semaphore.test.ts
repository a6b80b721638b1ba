/** Ports of Eio's tests/semaphore.md and the semaphore part of tests/sync.md. */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced, runTraced } from "./support/run-traced.js";

const T = Eio.Semaphore;
const traceln = Eio.traceln;

function* acquire(t: Eio.Semaphore.Semaphore): Eio.Operation<void> {
  traceln("Acquiring");
  yield* T.acquire(t);
  traceln("Acquired");
}

function release(t: Eio.Semaphore.Semaphore): void {
  traceln("Releasing");
  T.release(t);
  traceln("Released");
}

describe("Semaphore (Eio's tests/semaphore.md)", () => {
  it("acquires and releases", async () => {
    const { lines } = await mockTraced(function* () {
      const t = T.make(1);
      yield* acquire(t);
      release(t);
      yield* acquire(t);
      release(t);
    });
    expect(lines).toEqual(["Acquiring", "Acquired", "Releasing", "Released", "Acquiring", "Acquired", "Releasing", "Released"]);
  });

  it("Semaphore.acquire waits while no resource is free, first come first served", async () => {
    const { lines } = await mockTraced(function* () {
      const t = T.make(2);
      function* fn(): Eio.Operation<void> {
        yield* acquire(t);
        yield* Eio.Fiber.yield();
        release(t);
      }
      yield* Eio.Fiber.all([fn, fn, fn, fn]);
    });
    expect(lines).toEqual([
      "Acquiring", "Acquired", "Acquiring", "Acquired", "Acquiring", "Acquiring",
      "Releasing", "Released", "Releasing", "Released", "Acquired", "Acquired",
      "Releasing", "Released", "Releasing", "Released",
    ]);
  });

  it("a cancelled acquire takes nothing", async () => {
    const { lines, error } = await mockTraced(function* () {
      const t = T.make(0);
      yield* Eio.Fiber.first(() => acquire(t), () => undefined);
      release(t);
      yield* acquire(t);
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["Acquiring", "Releasing", "Released", "Acquiring", "Acquired"]);
  });
});

describe("Semaphore (Eio's tests/sync.md)", () => {
  it("only n fibers hold the semaphore at once", async () => {
    const { lines, error } = await runTraced(function* () {
      yield* Eio.Switch.run(function* (sw) {
        let running = 0;
        const sem = T.make(2);
        const fork = (): Eio.Promise.OrError<void> =>
          Eio.Fiber.forkPromise<void>(sw, function* () {
            yield* T.acquire(sem);
            running++;
          });
        const [a, b, c, d] = [fork(), fork(), fork(), fork()];
        traceln("Semaphore means that only %d threads are running", running);
        yield* Eio.Promise.awaitExn(a!);
        yield* Eio.Promise.awaitExn(b!);
        running--;
        T.release(sem);
        traceln("One finished; now %d is running", running);
        yield* Eio.Fiber.yield();
        traceln("Yield allows C to start; now %d are running", running);
        yield* Eio.Promise.awaitExn(c!);
        running--;
        T.release(sem);
        yield* Eio.Promise.awaitExn(d!);
        running--;
        T.release(sem);
        running--;
        T.release(sem);
      });
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "Semaphore means that only 2 threads are running",
      "One finished; now 1 is running",
      "Yield allows C to start; now 2 are running",
    ]);
  });

  it("Semaphore.release with nobody waiting counts up", async () => {
    const { lines } = await runTraced(function* () {
      yield* Eio.Switch.run(function* (sw) {
        const sem = T.make(0);
        T.release(sem);
        traceln("Initial config: %d", T.getValue(sem));
        Eio.Fiber.fork(sw, () => T.acquire(sem));
        Eio.Fiber.fork(sw, () => T.acquire(sem));
        traceln("A running: %d", T.getValue(sem));
        T.release(sem);
        traceln("Now b running: %d", T.getValue(sem));
        T.release(sem);
        traceln("Finished: %d", T.getValue(sem));
      });
    });
    expect(lines).toEqual(["Initial config: 1", "A running: 0", "Now b running: 0", "Finished: 1"]);
  });

  it("Semaphore.make rejects a bad value", () => {
    expect(() => T.make(-1)).toThrow(/whole number >= 0, got -1/);
    expect(() => T.make(0.5)).toThrow(RangeError);
  });
});
