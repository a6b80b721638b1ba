/**
 * A stand-in for `Eio.Net` until it lands: a listening `node:net` server whose connections are
 * accepted by a fiber, each turned into a {@link Channel}. @internal
 * @module
 */
import * as net from "node:net";
import * as Eio from "eio-ts";
import type { Channel } from "./connection.js";

/** A listening socket and the connections not yet accepted. */
export interface Listener {
  server: net.Server;
  waiting: net.Socket[];
  wake: (() => void) | null;
}

export function* listen(host: string, port: number): Eio.Operation<Listener> {
  const listener: Listener = { server: net.createServer({ noDelay: true }), waiting: [], wake: null };
  listener.server.on("connection", (socket) => {
    listener.waiting.push(socket);
    listener.wake?.();
  });
  yield* Eio.Fiber.awaitNative(
    new Promise<void>((resolve, reject) => {
      listener.server.once("error", reject);
      listener.server.listen({ host, port, backlog: 511 }, () => resolve());
    }),
  );
  return listener;
}

export function address(listener: Listener): { host: string; port: number } {
  const address = listener.server.address() as net.AddressInfo;
  return { host: address.address, port: address.port };
}

export function* accept(listener: Listener): Eio.Operation<net.Socket> {
  while (listener.waiting.length === 0) {
    yield* Eio.Fiber.awaitNative((signal) => new Promise<void>((resolve) => {
      listener.wake = resolve;
      signal.addEventListener("abort", () => resolve());
    }));
    listener.wake = null;
  }
  return listener.waiting.shift()!;
}

export function close(listener: Listener): void {
  listener.server.close();
}

export function channel(socket: net.Socket): Channel {
  const chunks: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  socket.on("data", (chunk) => {
    chunks.push(chunk);
    wake?.();
  });
  const finish = (): void => {
    ended = true;
    wake?.();
  };
  socket.on("end", finish);
  socket.on("close", finish);
  socket.on("error", finish);
  return {
    *read() {
      while (chunks.length === 0 && !ended) {
        yield* Eio.Fiber.awaitNative((signal) => new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener("abort", () => resolve());
        }));
        wake = null;
      }
      if (chunks.length === 0) return null;
      return chunks.length === 1 ? chunks.pop()! : Buffer.concat(chunks.splice(0));
    },
    *write(bytes) {
      if (ended) return;
      const drained = socket.write(bytes);
      if (!drained) yield* Eio.Fiber.awaitNative(new Promise<void>((resolve) => {
        socket.once("drain", resolve);
        socket.once("close", resolve);
      }));
    },
  };
}
