/**
 * The server domain's side of a multi-domain `runServer`: a job in a domain of its own that
 * listens on the descriptor lent by the main domain and runs the same accept loop. Handler
 * errors go back through a shared stream; `stop` is a shared promise; cancellation is the job's.
 * @internal
 * @module
 */
import * as nodeNet from "node:net";
import { Cancelled } from "../core/errors.js";
import { awaitNative, first } from "../core/fiber.js";
import { type Operation, suspend } from "../core/scheduler.js";
import { run as runSwitch } from "../core/switch.js";
import * as EioPromise from "../sync/promise.js";
import * as Stream from "../sync/stream.js";
import { ListeningSocket } from "./listening-socket.js";
import { fromNodeError } from "./net-errors.js";
import { serverLoop, type ConnectionHandler } from "./run-server.js";
import { loadTask } from "./server-domains.js";
import { sendError, type SentError, type ServerDomainData } from "./server-messages.js";

function* listenOnDescriptor(data: ServerDomainData): Operation<ListeningSocket> {
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
      scheduler.wakeError(fiber, fromNodeError(error, `Cannot listen on descriptor ${data.fd}`));
    });
    server.listen({ fd: data.fd });
  });
  // Not attached to a switch: the descriptor is the main domain's, never ours to close.
  return new ListeningSocket(server, data.address, false);
}

/**
 * Blocks this thread for good without running its event loop, so it takes no more connections
 * and its handle on the shared descriptor is never closed (until the process exits).
 */
function park(): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}

/** The job each server domain runs (named by a task of the eio-ts bundle). @internal */
export function* serveInDomain(
  data: ServerDomainData,
  args: unknown[],
  stop: EioPromise.Promise<void> | null,
  cancelled: EioPromise.Promise<void>,
  errors: Stream.Stream<SentError | null>,
): Operation<void> {
  try {
    if (data.tsxApi !== null) {
      const api = yield* awaitNative(import(data.tsxApi) as globalThis.Promise<{ register(): void }>);
      api.register();
    }
    const handler = yield* loadTask<ConnectionHandler>(data.handler);
    const socket = yield* listenOnDescriptor(data);
    try {
      yield* first<void>(
        () =>
          runSwitch<void>((sw) =>
            serverLoop(sw, socket, {
              handler: (flow, addr) => handler(flow, addr, ...args),
              limitCells: data.limitCells,
              maxConnections: data.maxConnections,
              awaitStop: stop === null ? null : () => EioPromise.await(stop),
              onError: function* (error) {
                if (!(error instanceof Cancelled)) yield* Stream.add(errors, sendError(error));
              },
            }),
          ),
        function* () {
          yield* EioPromise.await(cancelled);
          throw new Cancelled(new Error("Net.runServer was cancelled"));
        },
      );
    } finally {
      socket.closeNow();
    }
  } finally {
    // After this job's result has been sent (that happens as it returns).
    setImmediate(park);
  }
}
