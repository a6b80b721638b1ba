// The echo handler of the net suite, as a module so that other domains can run it (Eio.task).
import * as Eio from "eio-ts";

/** Copies everything the client sends back to it, until the client closes its side. */
export function* echo(flow) {
  yield* Eio.Flow.copy(flow, flow);
}
