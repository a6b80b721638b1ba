import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import type { Command } from "./scenarios.js";
import { inDomain } from "./spawn.js";

describe("the blog's store pattern across domains", () => {
  it("3 client domains send 100k commands carrying shared resolvers to one store domain", async () => {
    const clients = 3;
    const pairs = 16_667; // set + get per pair: 3 * 2 * 16_667 = 100_002 requests
    const [handled, answers] = await Eio.run<[number, { ok: number; wrong: number }[]]>(function* () {
      const commands = Eio.Stream.create<Command>(120, { shared: true });
      return yield* Eio.Fiber.pair(
        () => inDomain<number>("store", commands, clients),
        () =>
          Eio.Fiber.List.map(
            (id: number) => inDomain<{ ok: number; wrong: number }>("client", commands, id, pairs, 8),
            [0, 1, 2],
          ),
      );
    });
    expect(answers).toEqual([{ ok: pairs, wrong: 0 }, { ok: pairs, wrong: 0 }, { ok: pairs, wrong: 0 }]);
    expect(handled).toBe(clients * pairs * 2 + clients);
  }, 180_000);
});
