// Measuring the shared heap in tests: garbage collection on demand, then the arena's live bytes.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { collectCycles, getArena } from "../../src/shared/index.js";

setFlagsFromString("--expose-gc");
/** Runs a full garbage collection. */
export const gc = runInNewContext("gc") as () => void;

/** Collects garbage until the arena's live bytes stop falling (finalizers run between turns). */
export async function settledLiveBytes(): Promise<number> {
  let live = getArena().liveBytes();
  for (let round = 0; round < 50; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = getArena().liveBytes();
    if (now === live && round >= 5) break;
    live = now;
  }
  return live;
}

/**
 * Like {@link settledLiveBytes}, running a cycle collection every round too (collections also
 * run by themselves, on timers; calling one makes the measurement quick and deterministic).
 */
export async function collectedLiveBytes(): Promise<number> {
  let live = getArena().liveBytes();
  let stable = 0;
  for (let round = 0; round < 100 && stable < 3; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 2));
    collectCycles();
    const now = getArena().liveBytes();
    stable = now === live ? stable + 1 : 0;
    live = now;
  }
  return live;
}
