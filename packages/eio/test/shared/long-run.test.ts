import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { getArena } from "../../src/shared/index.js";
import { settledLiveBytes } from "./live-bytes.js";
import { inDomain } from "./spawn.js";

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("the shared heap over a long run (issue 4's memory rule)", () => {
  it("10M create/resolve/await cycles of shared promises in one domain stay bounded and give everything back", async () => {
    await Eio.run(function* () {});
    const before = await settledLiveBytes();
    const cycles = 10_000_000;
    let peak = 0;
    await Eio.run(function* () {
      for (let i = 0; i < cycles; i++) {
        const [promise, resolver] = Eio.Promise.create<number | { i: number }>({ shared: true });
        if (i % 64 === 0) {
          // A fiber waits first (a waiter record), another resolves it.
          yield* Eio.Fiber.both(
            function* () {
              if ((yield* Eio.Promise.await(promise)) !== i) throw new Error(`wrong value at ${i}`);
            },
            () => Eio.Promise.resolve(resolver, i),
          );
        } else if (i % 16 === 0) {
          // An object value: decoded by the reader, through the serializer.
          Eio.Promise.resolve(resolver, { i });
          if (((yield* Eio.Promise.await(promise)) as { i: number }).i !== i) throw new Error(`wrong value at ${i}`);
        } else {
          Eio.Promise.resolve(resolver, i);
          if ((yield* Eio.Promise.await(promise)) !== i) throw new Error(`wrong value at ${i}`);
        }
        // Finalizers run between event-loop turns: let the loop turn now and then, as real work does.
        if (i % 100_000 === 0) {
          yield* Eio.Fiber.awaitNative(tick());
          peak = Math.max(peak, getArena().liveBytes() - before);
        }
      }
    });
    // Never freeing would take about 100 bytes a cycle: 1 GB.
    expect(peak).toBeLessThan(256 << 10);
    expect(await settledLiveBytes()).toBe(before);
  }, 300_000);

  it("1M cycles across two domains (resolvers sent to the other domain, answered there) stay bounded and give everything back", async () => {
    await Eio.run(function* () {});
    const before = await settledLiveBytes();
    const rounds = Number(process.env["EIO_ROUNDS"] ?? 1_000_000);
    const batch = 256;
    let peak = 0;
    await Eio.run(function* () {
      const requests = Eio.Stream.create<{ n: number; reply: Eio.Promise.Resolver<number> }>(batch, { shared: true });
      yield* Eio.Fiber.both(
        () => inDomain<number>("echo", requests, rounds),
        function* () {
          const answers: Eio.Promise.Promise<number>[] = [];
          for (let start = 0; start < rounds; start += batch) {
            const end = Math.min(start + batch, rounds);
            for (let n = start; n < end; n++) {
              const [answer, reply] = Eio.Promise.create<number>({ shared: true });
              answers.push(answer);
              yield* Eio.Stream.add(requests, { n, reply });
            }
            for (let n = start; n < end; n++) {
              if ((yield* Eio.Promise.await(answers[n - start]!)) !== n + 1) throw new Error(`wrong answer for ${n}`);
            }
            answers.length = 0;
            if (start % (batch * 256) === 0) {
              yield* Eio.Fiber.awaitNative(tick());
              peak = Math.max(peak, getArena().liveBytes() - before);
            }
          }
        },
      );
    });
    // Never freeing would take over 100 MB; the other domain's cache of free blocks counts as live here.
    expect(peak).toBeLessThan(1 << 20);
    expect(await settledLiveBytes()).toBe(before);
  }, 300_000);
});
