// The scheduler runs at most 2048 steps per turn of Node's event loop. A turn that ends with the
// run queue empty must still reach the idle hook (where the mock clock advances and results from
// other domains are read), or the program stalls with work pending.
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";

/** Yields `steps` times in one fiber while another sleeps on the mock clock; true if it ends. */
function endsWithin(steps: number, ms: number): Promise<boolean> {
  const run = Eio.Mock.run<boolean>(function* (env) {
    yield* Eio.Fiber.both(
      () => Eio.Time.sleep(env.clock, 1),
      function* () {
        for (let i = 0; i < steps; i++) yield* Eio.Fiber.yield();
      },
    );
    return true;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}

describe("Scheduler turns", () => {
  it("a turn whose last step empties the run queue still runs the idle hook", async () => {
    // Around the 2048-step boundary one of these counts ends a turn with an empty queue.
    const outcomes: boolean[] = [];
    for (let steps = 2040; steps <= 2056; steps++) outcomes.push(await endsWithin(steps, 2000));
    expect(outcomes.every((ended) => ended)).toBe(true);
  }, 60_000);
});
