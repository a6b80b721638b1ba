import { describe, expect, it } from "vitest";
import { Arena } from "../../src/shared/arena.js";
import { getArena } from "../../src/shared/index.js";

describe("arena: small blocks cached per thread and handed over in batches", () => {
  it("blocks freed past a full cache are counted free and are reused before the heap grows", () => {
    const arena = getArena();
    arena.flushCache();
    const live = arena.liveBytes();
    const blocks = Array.from({ length: 3000 }, () => arena.alloc(8));
    for (const block of blocks) arena.free(block);
    // The cache kept up to its limit; the rest went out as batches, which count as free.
    expect(arena.liveBytes()).toBe(live);
    const top = arena.usedBytes;
    const again = Array.from({ length: 3000 }, () => arena.alloc(8));
    // Every block came from the cache or a batch: none was cut from the top of the heap.
    expect(arena.usedBytes).toBe(top);
    expect(new Set(again).size).toBe(3000);
    expect(new Set([...again].filter((b) => blocks.includes(b))).size).toBe(3000);
    for (const block of again) arena.free(block);
    arena.flushCache();
    expect(arena.liveBytes()).toBe(live);
  });

  it("a thread that may end takes one block at a time and caches nothing (stopCaching)", () => {
    const arena = getArena();
    for (const block of Array.from({ length: 1000 }, () => arena.alloc(8))) arena.free(block);
    arena.stopCaching();
    try {
      // Another thread's view (an empty cache of its own): what this one holds counts as live.
      const elsewhere = new Arena(arena.buffer, arena.domainId);
      const live = elsewhere.liveBytes();
      // Batches are waiting, but only one block leaves them: the rest would die with the thread.
      const block = arena.alloc(8);
      expect(elsewhere.liveBytes()).toBe(live + 16);
      arena.free(block);
      expect(elsewhere.liveBytes()).toBe(live);
    } finally {
      arena.startCaching();
    }
  });
});
