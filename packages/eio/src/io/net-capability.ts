/**
 * The network capability, apart from the `Net` module that re-exports its type: what any
 * network (the system's, a mock) implements, and what `Net`'s functions call.
 * @internal
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import type { Switch } from "../core/switch-type.js";
import type { ListeningSocket } from "./listening-socket.js";
import type { DatagramSocket } from "./net-datagram.js";
import type { Stream } from "./net-stream.js";
import type { DatagramAddr, Sockaddr, StreamAddr } from "./sockaddr.js";

/** What `Net.listen` passes on, checked. @internal */
export interface ListenConfig {
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly backlog: number;
}

/**
 * The network capability, `env.net` (Eio's `Net.t`): code that is given it may use the network.
 * `Eio.Mock.Net.make` makes a scripted one for tests.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => {
 *   const net: Eio.Net.Net = env.net;
 *   console.log(net === Eio.Stdenv.net(env));
 * });
 * ```
 */
export interface Net {
  /** @internal */
  listenOn(sw: Switch, addr: StreamAddr, config: ListenConfig): Operation<ListeningSocket>;
  /** @internal */
  connectTo(sw: Switch, addr: StreamAddr): Operation<Stream>;
  /** @internal */
  datagramOn(sw: Switch, addr: DatagramAddr | "udp4" | "udp6", config: { reuseAddr: boolean; reusePort: boolean }): Operation<DatagramSocket>;
  /** All addresses for `host` and `service`, possibly none. @internal */
  lookup(host: string, service: string): Operation<Sockaddr[]>;
  /** @internal */
  lookupName(addr: Sockaddr): Operation<[host: string, service: string]>;
}

/** Whether `value` is a network (the system's or a mock). @internal */
export function isNet(value: unknown): value is Net {
  return typeof value === "object" && value !== null && typeof (value as Net).listenOn === "function" && typeof (value as Net).lookup === "function";
}
