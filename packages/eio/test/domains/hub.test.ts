import { describe, expect, it } from "vitest";
import type { Scheduler } from "../../src/core/scheduler.js";
import type { Domain } from "../../src/domains/domain.js";
import { Hub } from "../../src/domains/hub.js";

/** A hub on a stand-in scheduler with `waits` external waits, and one domain whose outbox stays empty. */
function idleHub(waits: number): { onIdle: () => boolean; polls: () => number } {
  const scheduler = {
    onIdle: null as (() => boolean) | null,
    pendingExternalWaits: waits,
    addExternalWait() {},
    removeExternalWait() {},
    schedule() {},
  };
  const hub = new Hub(scheduler as unknown as Scheduler);
  let polls = 0;
  hub.attach({
    drain: () => {
      polls++;
      return false;
    },
  } as unknown as Domain);
  hub.jobStarted();
  return { onIdle: () => scheduler.onIdle!(), polls: () => polls };
}

describe("the hub's idle hook, with a job out and no result", () => {
  it("spins on the outboxes when its domains are all the thread waits for", () => {
    const hub = idleHub(1); // the hub's own wait
    expect(hub.onIdle()).toBe(false);
    // At least one round of the spin (32 polls) before it blocks.
    expect(hub.polls()).toBeGreaterThanOrEqual(32);
  });

  it("does not spin when the thread also waits on I/O or timers: it reads the outboxes and parks", () => {
    const hub = idleHub(2); // the hub's, and a socket's
    expect(hub.onIdle()).toBe(false);
    expect(hub.polls()).toBeLessThanOrEqual(2);
  });
});
