/**
 * The public type of a connection, apart from its implementations (a Node socket, a mock
 * flow): what `Net.connect` and `Net.accept` return.
 * @internal
 * @module
 */
import type { TwoWay } from "./flow.js";

/**
 * A connection (Eio's `Net.stream_socket`): a two-way flow that can be closed. Opaque: pass it
 * to `Eio.Flow` and `Eio.BufRead` functions. `Eio.Mock.Flow` makes one for tests.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     const flow: Eio.Net.Stream = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
 *     yield* Eio.Flow.write(flow, "hello");
 *   });
 * });
 * ```
 */
export interface Stream extends TwoWay {
  /** Closes it now; closing twice is harmless. @internal */
  closeNow(): void;
}
