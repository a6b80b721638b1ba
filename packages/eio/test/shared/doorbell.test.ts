import { afterEach, describe, expect, it, vi } from "vitest";
import { takeAll } from "../../src/shared/atomics.js";
import { allocateDomainId, allocWaiter, deliver, freeWaiter, getArena, retireDomain } from "../../src/shared/index.js";
import { D_INBOX, D_PARKED, W_DOMAIN, W_INBOX_NEXT } from "../../src/shared/layout.js";

describe("doorbell: waking another domain", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("only the record that makes a sleeping domain's inbox non-empty notifies it; the rest wait in the inbox", () => {
    const arena = getArena();
    const target = allocateDomainId();
    const inbox = arena.slot(target, D_INBOX);
    const notify = vi.spyOn(Atomics, "notify");
    const records: number[] = [];
    try {
      // The target sleeps (its flag says so): wakers must notify it.
      Atomics.store(arena.i32, arena.slot(target, D_PARKED), 1);
      for (let i = 0; i < 3; i++) {
        const w = allocWaiter();
        arena.i32[(w >> 2) + W_DOMAIN] = target; // a record of a fiber of the target
        records.push(w);
        deliver(w);
      }
      expect(notify.mock.calls.filter(([, index]) => index === inbox)).toHaveLength(1);
      // All three are in the inbox, newest first, for the target to take at once.
      const taken: number[] = [];
      for (let w = takeAll(arena.i32, inbox); w !== 0; w = arena.i32[(w >> 2) + W_INBOX_NEXT]!) taken.push(w);
      expect(taken).toEqual([...records].reverse());
      // Emptied by the target: the next record is the first again, and notifies.
      const w = allocWaiter();
      arena.i32[(w >> 2) + W_DOMAIN] = target;
      records.push(w);
      deliver(w);
      expect(notify.mock.calls.filter(([, index]) => index === inbox)).toHaveLength(2);
      takeAll(arena.i32, inbox);
    } finally {
      for (const w of records) {
        arena.i32[(w >> 2) + W_DOMAIN] = arena.domainId;
        freeWaiter(w);
      }
      retireDomain(target);
    }
  });
});
