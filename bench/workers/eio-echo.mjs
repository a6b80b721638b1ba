// The echo handler of the net suite, as a module so that other domains can run it (Eio.task).
import { isMainThread } from "node:worker_threads";
import * as Eio from "eio-ts";

/** Copies everything the client sends back to it, until the client closes its side. */
export function* echo(flow) {
  yield* Eio.Flow.copy(flow, flow);
}

/** This thread's cell in the counts of {@link countingEcho}: 0 for the main thread. */
let cell = -1;

/**
 * {@link echo}, counting the connections each thread takes in `counts` (shared): the main
 * thread's in cell 0, each other thread's in the next free cell (its last cell hands them out),
 * so the suite can say how a sample's connections were spread over the domains.
 */
export function* countingEcho(flow, _addr, counts) {
  if (cell < 0) cell = isMainThread ? 0 : 1 + Atomics.add(counts, counts.length - 1, 1);
  Atomics.add(counts, cell, 1);
  yield* Eio.Flow.copy(flow, flow);
}
