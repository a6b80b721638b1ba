/**
 * The worker side of a multi-domain `runServer`: an Eio runtime in this thread, listening on
 * the descriptor lent by the main domain, running the same accept loop. Handler errors are sent
 * back with their name, message and stack; `stop` and cancellation arrive as messages.
 * @internal
 * @module
 */
import * as nodeNet from "node:net";
import type { MessagePort } from "node:worker_threads";
import { Cancelled } from "../core/errors.js";
import { awaitNative } from "../core/fiber.js";
import { type Operation, suspend } from "../core/scheduler.js";
import { run as runSwitch, type Switch } from "../core/switch.js";
import { run } from "../run.js";
import { Decoder } from "../domains/codec.js";
import { attachArena } from "../shared/index.js";
import { ListeningSocket } from "./listening-socket.js";
import { fromNodeError } from "./net-errors.js";
import { serverLoop, type ConnectionHandler } from "./run-server.js";
import { loadTask } from "./server-domains.js";
import { type FromDomain, sendError, type ServerDomainData, type ToDomain } from "./server-messages.js";

function* listenOnDescriptor(sw: Switch, fd: number, data: ServerDomainData): Operation<ListeningSocket> {
  const server = nodeNet.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true });
  yield* suspend<void>("Net.listen", (fiber) => {
    const scheduler = fiber.scheduler;
    scheduler.addExternalWait();
    server.once("listening", () => {
      scheduler.removeExternalWait();
      scheduler.wake(fiber, undefined);
    });
    server.once("error", (error) => {
      scheduler.removeExternalWait();
      scheduler.wakeError(fiber, fromNodeError(error, `Cannot listen on descriptor ${fd}`));
    });
    server.listen({ fd });
  });
  const socket = new ListeningSocket(server, data.address, false);
  // Stops accepting when the domain's switch ends; the descriptor stays open (the main domain owns it).
  socket.hook = null;
  void sw;
  return socket;
}

/**
 * Keeps this thread alive, idle, for as long as the process runs: exiting would close its handle
 * on the shared descriptor under the other domains. (Blocking it in `Atomics.wait` instead makes
 * Node abort at process exit.) The cell tells the main domain that we are done.
 */
function park(cell: Int32Array): void {
  setInterval(() => {}, 1 << 30);
  Atomics.store(cell, 0, 1);
  Atomics.notify(cell, 0);
}

/** Entry point of a server domain (called by the worker bootstrap). @internal */
export function serveInWorker(data: ServerDomainData, port: MessagePort): void {
  const send = (message: FromDomain): void => port.postMessage(message);
  const controller = new AbortController();
  let stopRequested: () => void = () => {};
  const stopped = new globalThis.Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  port.on("message", (message: ToDomain) => {
    if (message.type === "stop") stopRequested();
    else controller.abort(new Error("Net.runServer was cancelled"));
  });
  // Join the shared heap before anything decodes a shared handle or waits on one.
  attachArena(data.arena, data.domainId);
  const argsBytes = Buffer.from(data.argsBytes.buffer, data.argsBytes.byteOffset, data.argsBytes.byteLength);
  const decoder = new Decoder().reset(argsBytes, 0, argsBytes.length, data.argsShared);
  const args: unknown[] = [];
  while (!decoder.done) args.push(decoder.value());
  const main = function* (): Operation<void> {
    const handler = yield* loadTask<ConnectionHandler>(data.handler);
    yield* runSwitch<void>(function* (sw) {
      const socket = yield* listenOnDescriptor(sw, data.fd, data);
      send({ type: "ready" });
      try {
        yield* serverLoop(sw, socket, {
          handler: (flow, addr) => handler(flow, addr, ...args),
          limitCells: data.limitCells,
          maxConnections: data.maxConnections,
          awaitStop: data.hasStop ? () => awaitNative(stopped) : null,
          onError: (error) => {
            if (!(error instanceof Cancelled)) send({ type: "error", error: sendError(error) });
          },
        });
      } finally {
        socket.closeNow();
      }
    });
  };
  const finish = (error: unknown): void => {
    if (error !== null && !(error instanceof Cancelled)) send({ type: "fatal", error: sendError(error) });
    send({ type: "done" });
    park(data.parked);
  };
  run(main, { signal: controller.signal }).then(
    () => finish(null),
    (error: unknown) => finish(error),
  );
}
