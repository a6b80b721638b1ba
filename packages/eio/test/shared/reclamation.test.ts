import { describe, expect, it } from "vitest";
import * as Eio from "../../src/index.js";
import { inDomain } from "./spawn.js";

describe("shared heap reclamation", () => {
  it("1M create/resolve/await cycles of shared promises keep the arena bounded", async () => {
    const cycles = 1_000_000;
    const peak = await Eio.run(() => inDomain<number>("churn", cycles));
    // Never freeing would take 96 bytes a cycle (a 64-byte cell and a 32-byte value block):
    // 96 MB here. Finalizers give cells back after each major GC, so the peak stays far lower.
    expect(peak).toBeLessThan(32 << 20);
  }, 120_000);
});
