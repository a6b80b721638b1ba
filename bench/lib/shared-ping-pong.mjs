// The shared-promise ping-pong of the domains suite's promise-round-trip row (main thread <-> one
// domain), in one place for the suite and for the probes that run it alone or beside the floor
// (bench/shared-round-trip-probe.mjs, bench/shared-round-trip-interleaved.mjs).
import * as Eio from "eio-ts";
import { sendPing } from "../workers/eio-domain-tasks.mjs";

const domainTasks = new URL("../workers/eio-domain-tasks.mjs", import.meta.url);

/** Every 16th round trip is timed on its own, for the medians (harness.mjs, latencyStats). */
export const TIMED_EVERY = 16;

/**
 * Starts the far end in a domain (under `sw`) and returns the near end: `roundTrips(n, timed)`
 * runs n round trips and pushes the time (ms) of every 16th into `timed`; `stop()` ends the far
 * end. Call it inside a fiber of `Eio.run`.
 */
export function startPingPong(env, sw) {
  const answerPings = Eio.task(domainTasks, "answerPings");
  let [ping, resolver] = Eio.Promise.create({ shared: true });
  const sender = { ping: resolver };
  resolver = null;
  // The job's arguments live as long as the job: hand the first ping over in a box emptied once
  // sent, or it would keep every message of the run alive (see answerPings).
  const start = { ping };
  Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, answerPings, start));
  start.ping = null;
  ping = null;
  return {
    *roundTrips(n, timed) {
      for (let i = 0; i < n; i++) {
        const started = i % TIMED_EVERY === 0 ? performance.now() : -1;
        const message = sendPing(sender, i);
        const answer = yield* Eio.Promise.await(message.pong);
        message.next = null;
        if (answer !== i) throw new Error(`shared promise ping-pong: got ${answer} for ${i}`);
        if (started >= 0) timed.push(performance.now() - started);
      }
    },
    stop() {
      Eio.Promise.resolve(sender.ping, null);
    },
  };
}
