import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { getArena } from "../../src/shared/index.js";
import { inDomain } from "./spawn.js";

describe("shared heap reclamation", () => {
  it("1M create/resolve/await cycles of shared promises keep the arena bounded", async () => {
    const peak = await Eio.run(() => inDomain<number>("churn", 1_000_000));
    // Never freeing would take 96 bytes a cycle (a 64-byte cell, a 32-byte value block): 96 MB.
    expect(peak).toBeLessThan(1 << 20);
  }, 120_000);

  it("requests carrying resolvers to another domain free their cells as they are answered", async () => {
    const [before, after] = await Eio.run<[number, number]>(function* () {
      const requests = Eio.Stream.create<{ n: number; reply: Eio.Promise.Resolver<number> }>(16, { shared: true });
      const rounds = 50_000;
      const before = getArena().usedBytes;
      yield* Eio.Fiber.both(
        () => inDomain<number>("echo", requests, rounds),
        function* () {
          for (let n = 0; n < rounds; n++) {
            const [answer, reply] = Eio.Promise.create<number>({ shared: true });
            yield* Eio.Stream.add(requests, { n, reply });
            if ((yield* Eio.Promise.await(answer)) !== n + 1) throw new Error(`wrong answer for ${n}`);
          }
        },
      );
      return [before, getArena().usedBytes];
    });
    // 50k cells, messages and waiters never freed would take over 8 MB.
    expect(after - before).toBeLessThan(256 << 10);
  }, 120_000);
});
