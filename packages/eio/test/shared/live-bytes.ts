// Measuring the shared heap in tests: garbage collection on demand, then the arena's live bytes.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { getArena } from "../../src/shared/index.js";

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
