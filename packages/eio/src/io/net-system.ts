/**
 * The system's network, `env.net` of every real run: Node's sockets and resolver behind the
 * `Net` capability.
 * @internal
 * @module
 */
import * as nodeNet from "node:net";
import * as fs from "node:fs";
import { type Operation, suspend } from "../core/scheduler.js";
import { onReleaseCancellable, type Switch } from "../core/switch.js";
import type { ListenConfig, Net } from "./net-capability.js";
import { fromNodeError } from "./net-errors.js";
import { NodeListeningSocket } from "./net-listener.js";
import { lookupName, lookupSystem } from "./net-lookup.js";
import { hasReusePort, noReusePort } from "./net-reuse-port.js";
import { openUdpSocket } from "./net-udp.js";
import { formatSockaddr, type StreamAddr } from "./sockaddr.js";
import { adoptSocket, type SocketStream } from "./socket-stream.js";

function* listenOn(sw: Switch, address: StreamAddr, config: ListenConfig): Operation<NodeListeningSocket> {
  const { backlog } = config;
  if (config.reusePort && !hasReusePort) throw noReusePort("Net.listen");
  if ("path" in address && config.reuseAddr) removeStaleSocket(address.path);
  const server = nodeNet.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true });
  yield* suspend<void>("Net.listen", (fiber) => {
    const scheduler = fiber.scheduler;
    scheduler.addExternalWait();
    const done = (error: Error | null): void => {
      server.removeListener("listening", onListening);
      server.removeListener("error", onError);
      scheduler.removeExternalWait();
      if (error === null) scheduler.wake(fiber, undefined);
      else scheduler.wakeError(fiber, fromNodeError(error, `Cannot listen on ${describe(address)}`));
    };
    const onListening = (): void => done(null);
    const onError = (error: Error): void => done(error);
    server.once("listening", onListening);
    server.once("error", onError);
    fiber.cancelFn = (cancelled) => {
      server.removeListener("listening", onListening);
      server.removeListener("error", onError);
      server.close();
      scheduler.removeExternalWait();
      scheduler.wakeError(fiber, cancelled);
    };
    if ("path" in address) server.listen({ path: address.path, backlog });
    else server.listen({ host: address.host, port: address.port, backlog, ...(config.reusePort ? { reusePort: true } : {}) });
  });
  const socket = new NodeListeningSocket(server, toStreamAddr(server.address(), address), backlog);
  socket.hook = onReleaseCancellable(sw, () => socket.closeNow());
  return socket;
}

function removeStaleSocket(path: string): void {
  try {
    if (fs.statSync(path).isSocket()) fs.unlinkSync(path);
  } catch {
    // Nothing there: nothing to remove.
  }
}

function toStreamAddr(address: string | nodeNet.AddressInfo | null, fallback: StreamAddr): StreamAddr {
  if (address === null) return fallback;
  if (typeof address === "string") return { path: address };
  return { host: address.address, port: address.port };
}

function* connectTo(sw: Switch, address: StreamAddr): Operation<SocketStream> {
  const socket =
    "path" in address
      ? nodeNet.connect({ path: address.path, allowHalfOpen: true })
      : nodeNet.connect({ host: address.host, port: address.port, allowHalfOpen: true, noDelay: true });
  yield* suspend<void>("Net.connect", (fiber) => {
    const scheduler = fiber.scheduler;
    scheduler.addExternalWait();
    const done = (error: Error | null): void => {
      socket.removeListener("connect", onConnect);
      socket.removeListener("error", onError);
      scheduler.removeExternalWait();
      if (error === null) scheduler.wake(fiber, undefined);
      else scheduler.wakeError(fiber, fromNodeError(error, `connecting to ${formatSockaddr(address)}`));
    };
    const onConnect = (): void => done(null);
    const onError = (error: Error): void => done(error);
    socket.once("connect", onConnect);
    socket.once("error", onError);
    fiber.cancelFn = (cancelled) => {
      socket.removeListener("connect", onConnect);
      socket.removeListener("error", onError);
      socket.destroy();
      scheduler.removeExternalWait();
      scheduler.wakeError(fiber, cancelled);
    };
  });
  return adoptSocket(sw, socket, address);
}

function describe(addr: StreamAddr): string {
  return "path" in addr ? formatSockaddr(addr) : `${addr.host}:${addr.port}`;
}

/** The one system network: `env.net` of every run that is not a mock's. @internal */
export const theNet: Net = Object.freeze({
  listenOn,
  connectTo,
  datagramOn: openUdpSocket,
  lookup: lookupSystem,
  lookupName,
});
