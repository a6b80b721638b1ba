import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { getArena } from "../../src/shared/index.js";
import { D_STATE, DOMAIN_DEAD, MAX_DOMAINS } from "../../src/shared/layout.js";
import { spawn } from "./spawn.js";

function deadDomains(): number {
  const arena = getArena();
  let dead = 0;
  for (let id = 1; id < MAX_DOMAINS; id++) if (Atomics.load(arena.i32, arena.slot(id, D_STATE)) === DOMAIN_DEAD) dead++;
  return dead;
}

describe("domain ids", () => {
  it("a crashed domain's id is reused once the last of its waiter records is freed", async () => {
    const baseline = deadDomains();
    const [whileQueued, afterWake] = await Eio.run<[number, number]>(function* () {
      const [p, r] = Eio.Promise.create<number>({ shared: true });
      const [ready, readyResolver] = Eio.Promise.create<string>({ shared: true });
      const [seen, seenResolver] = Eio.Promise.create<void>({ shared: true });
      const crash = spawn("awaitThenExit", p, readyResolver, seen).then(
        () => "exited cleanly",
        (error: Error) => error.message,
      );
      yield* Eio.Promise.await(ready);
      Eio.Promise.resolve(seenResolver, undefined);
      const how = yield* Eio.Fiber.awaitNative(crash);
      if (!how.includes("exited with code 3")) throw new Error(`unexpected: ${how}`);
      // The dead domain's record still waits in p's queue: its id must not be handed out yet.
      const whileQueued = deadDomains();
      // Resolving p skips the dead domain's record and frees it: the id becomes free.
      Eio.Promise.resolve(r, 1);
      return [whileQueued, deadDomains()];
    });
    expect(whileQueued).toBe(baseline + 1);
    expect(afterWake).toBe(baseline);
  }, 30_000);
});
