// A long-lived `Eio.run` that tinybench can call into. Domains, pools and servers take tens of
// milliseconds to start, which must not be counted in every sample; so they are set up once
// inside one run, and each sample is a call that hands a request to a fiber there and awaits the
// answer. The hand-off is one native promise per sample, negligible next to a sample's work.
import * as Eio from "eio-ts";

class Stop extends Error {
  constructor() {
    super("bench service stopped");
    this.name = "Stop";
  }
}

/**
 * Starts `Eio.run` with `setup(env, sw)`, a generator function that may fork long-lived fibers
 * into `sw` and returns `handle(request)`, a generator function run for each call.
 * Returns `{ call(request), stop() }`; `stop` cancels the background fibers and waits for the
 * run to end. A failure in setup or in a background fiber rejects every later call.
 */
export function startService(setup) {
  const queue = [];
  let wakeUp = null;
  let stopping = false;
  let dead = null;
  const nudge = () => {
    const w = wakeUp;
    wakeUp = null;
    w?.();
  };

  const finished = Eio.run(function* (env) {
    try {
      yield* Eio.Switch.run(function* (sw) {
        const handle = yield* setup(env, sw);
        for (;;) {
          while (queue.length === 0 && !stopping) {
            yield* Eio.Fiber.awaitNative(new Promise((resolve) => (wakeUp = resolve)));
          }
          if (queue.length === 0) break;
          const request = queue.shift();
          try {
            request.resolve(yield* handle(request.value));
          } catch (error) {
            request.reject(error);
          }
        }
        Eio.Switch.fail(sw, new Stop());
      });
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
    }
  }).catch((error) => {
    dead = error;
    for (const request of queue.splice(0)) request.reject(error);
    throw error;
  });
  finished.catch(() => {});

  return {
    call(value) {
      if (dead) return Promise.reject(dead);
      return new Promise((resolve, reject) => {
        queue.push({ value, resolve, reject });
        nudge();
      });
    },
    async stop() {
      stopping = true;
      nudge();
      await finished;
    },
  };
}

/** Unwraps what a pool submission gives back: a `Result` (`{ ok, value | error }`) or a value. */
export function unwrapResult(result) {
  if (result && typeof result === "object" && typeof result.ok === "boolean") {
    if (result.ok) return result.value;
    throw result.error;
  }
  return result;
}

/**
 * Probes whether this build of eio-ts supports something (say, shared promises) by trying it in
 * a short run. Returns null when it works, or the reason it does not.
 */
export async function probe(what, body) {
  try {
    await Eio.run(body);
    return null;
  } catch (error) {
    return `skipped: ${what} not available (${error?.message?.split("\n")[0] ?? error})`;
  }
}
