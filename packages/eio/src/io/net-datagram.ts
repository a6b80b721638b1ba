/**
 * The public type of a datagram socket, apart from its implementations (Node's dgram, a mock).
 * @internal
 * @module
 */
import type { Operation } from "../core/scheduler.js";
import type { DatagramAddr } from "./sockaddr.js";

/**
 * A UDP socket (Eio's `Net.datagram_socket`), from `Net.datagramSocket`. Opaque: use
 * `Net.send` and `Net.recv` (and `Net.connectDatagram` to give it a peer); close it with
 * `Flow.close` or its switch.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const socket: Eio.Net.DatagramSocket = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
 *     console.log(Eio.Net.formatSockaddr(Eio.Net.datagramAddr(socket)).startsWith("udp:127.0.0.1:"));
 *   });
 * });
 * ```
 */
export interface DatagramSocket {
  /** The address it is bound to. @internal */
  readonly address: DatagramAddr;
  /** Sends one datagram made of `bufs` to `dst`, or to its peer (null: it must be connected). @internal */
  sendTo(dst: DatagramAddr | null, bufs: readonly Uint8Array[]): Operation<void>;
  /** Sets its peer: sends without a destination go there, and only its datagrams arrive. @internal */
  connect(dst: DatagramAddr): Operation<void>;
  /** Waits for a datagram, copies what fits into `buffer`. @internal */
  recvInto(buffer: Uint8Array): Operation<[DatagramAddr, number]>;
  /** @internal */
  closeNow(): void;
}

/** Whether `value` is a datagram socket (real or mock). @internal */
export function isDatagramSocket(value: unknown): value is DatagramSocket {
  return typeof value === "object" && value !== null && typeof (value as DatagramSocket).recvInto === "function";
}
