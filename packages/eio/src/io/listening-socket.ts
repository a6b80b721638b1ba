/**
 * The public type of a listening socket, apart from its implementations (a Node server, a mock).
 * @internal
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import type { Switch } from "../core/switch-type.js";
import type { Stream } from "./net-stream.js";
import type { StreamAddr } from "./sockaddr.js";

/**
 * A socket waiting for connections (Eio's `Net.listening_socket`). Opaque: use `Eio.Net`.
 * `Eio.Mock.Net.listeningSocket` makes one for tests.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const socket: Eio.Net.ListeningSocket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     console.log("port" in Eio.Net.listeningAddr(socket));
 *   });
 * });
 * ```
 */
export interface ListeningSocket {
  /** The address it listens on. @internal */
  readonly address: StreamAddr;
  /** Waits for a connection and attaches it to `sw`. @internal */
  acceptOn(sw: Switch): Operation<[Stream, StreamAddr]>;
  /** Closes it now; closing twice is harmless. @internal */
  closeNow(): void;
}

/** Whether `value` is a listening socket (real or mock). @internal */
export function isListeningSocket(value: unknown): value is ListeningSocket {
  return typeof value === "object" && value !== null && typeof (value as ListeningSocket).acceptOn === "function";
}
