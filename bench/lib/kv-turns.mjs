// How `bench/kv.mjs` loads the servers of one fsync policy at one pipeline depth: they take
// turns, test by test, so that the servers compared in a row of the report were measured within
// seconds of each other.
import { runLoad, SUITE } from "./kv-load.mjs";

/**
 * Loads the servers `up` (`{ server, started, label }`, all started): an unmeasured pass of the
 * whole suite on each (`warmup` requests), then each test of the suite (`measured` requests) on
 * each server in turn, the order rotated from test to test. Run one server after the other (a
 * minute or more each), the rows fell in different moments of this VM, whose speed drifts by tens
 * of percent: the single domain measured 0.91x and 0.60x of Redis's SET in two runs of the same
 * code on 2026-12-04. A server only gets the tests it speaks (`server.tests`, the whole suite
 * unless given); one whose load fails is left out of the tests after, and says why. Resolves
 * one entry per server: `{ server, label, results, failed, seconds }` (`results` by test name,
 * as `runLoad` gives them; `failed` the message or null; `seconds` of load).
 */
export async function runTurns(up, { pipeline, warmup, measured, timeoutMs, load = runLoad }) {
  const turns = up.map(({ server, started, label }) => ({ server, started, label, tests: server.tests ?? SUITE, results: {}, failed: null, seconds: 0 }));
  const timed = async (turn, requests, tests) => {
    const began = performance.now();
    try {
      return await load({ port: turn.started.port, requests, pipeline, timeoutMs, tests });
    } catch (error) {
      turn.failed = error.message;
      return {};
    } finally {
      turn.seconds += (performance.now() - began) / 1000;
    }
  };
  for (const turn of turns) await timed(turn, warmup, turn.tests);
  for (const [i, test] of SUITE.entries()) {
    const takers = turns.filter((t) => t.failed === null && t.tests.includes(test));
    for (let k = 0; k < takers.length; k++) {
      const turn = takers[(i + k) % takers.length];
      Object.assign(turn.results, await timed(turn, measured, [test]));
    }
  }
  return turns.map(({ server, label, results, failed, seconds }) => ({ server, label, results, failed, seconds }));
}
