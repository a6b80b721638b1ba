/**
 * The task an additional domain of `Net.runServer` runs (in a domain of the `DomainManager`,
 * like Eio's `Domain_manager.run dm` in `run_server`): listen on this domain's own copy of the
 * socket, run the same accept loop as the calling domain, and send handler errors back on a
 * shared stream. `stop` arrives through a shared cell (shared/cells.ts); cancelling the task
 * (the caller was cancelled) stops the loop and its handlers at once. Its own entry in `dist`:
 * the calling domain names it by URL (domains/worker-entries.ts).
 * @internal
 * @module
 */
import { Cancelled } from "../core/errors.js";
import { awaitNative, pair } from "../core/fiber.js";
import type { Operation } from "../core/scheduler.js";
import { onReleaseCancellable, run as runSwitch, type Switch } from "../core/switch.js";
import { loadTask } from "../domains/load-task.js";
import { add, awaitChange } from "../shared/cells.js";
import * as Stream from "../sync/stream.js";
import { listenOnDuplicate } from "../io/duplicate-listener.js";
import { NodeListeningSocket as ListeningSocket } from "../io/net-listener.js";
import { fromNodeError } from "../io/net-errors.js";
import type { ConnectionHandler } from "../io/run-server.js";
import { serverLoop } from "../io/server-loop.js";
import { ERRORS, type ServerDomainConfig, STOP } from "../io/server-domains.js";
import { parkAtOnce } from "../shared/idle-policy.js";

function* listenHere(sw: Switch, config: ServerDomainConfig): Operation<ListeningSocket> {
  let server;
  try {
    server = yield* awaitNative(listenOnDuplicate(config.fd, config.backlog, { pauseOnConnect: true, allowHalfOpen: true, noDelay: true }));
  } catch (error) {
    throw error instanceof Error && "code" in error ? fromNodeError(error, "Net.runServer: cannot listen in another domain") : error;
  }
  const socket = new ListeningSocket(server, config.address, config.backlog);
  socket.hook = onReleaseCancellable(sw, () => socket.closeNow());
  return socket;
}

/**
 * Sends a handler error to the calling domain; if its own fields cannot be cloned, just its name,
 * message and stack.
 */
function* report(errors: Stream.Stream<Error>, signals: Int32Array, error: unknown): Operation<void> {
  if (error instanceof Cancelled) return;
  const value = error instanceof Error ? error : new Error(String(error));
  try {
    yield* Stream.add(errors, value);
  } catch (failure) {
    if (failure instanceof Cancelled) throw failure;
    const plain = new Error(value.message);
    Object.defineProperty(plain, "name", { value: value.name, configurable: true, writable: true });
    plain.stack = value.stack;
    yield* Stream.add(errors, plain);
  }
  add(signals, ERRORS, 1);
}

/**
 * The built-in task of an additional server domain. `errors` (shared) gets handler errors, never
 * `Cancelled`; `hasStop` says whether the server has a `stop`; `args` go to the handler.
 */
export function* serveInDomain(config: ServerDomainConfig, errors: Stream.Stream<Error>, hasStop: boolean, ...args: unknown[]): Operation<void> {
  parkAtOnce(); // this domain is ours alone, and its fibers wait on sockets
  yield* runSwitch<void>(function* (sw) {
    // Both take a while (a module to import, a helper process to start): do them together.
    const [handler, socket] = yield* pair<ConnectionHandler, ListeningSocket>(
      () => awaitNative(loadTask(config.handler.moduleUrl, config.handler.exportName)) as Operation<ConnectionHandler>,
      () => listenHere(sw, config),
    );
    yield* serverLoop(sw, socket, {
      handler: (flow, addr) => handler(flow, addr, ...args),
      limitCells: config.limitCells,
      maxConnections: config.maxConnections,
      awaitStop: hasStop ? () => awaitChange(config.signals, STOP, 0) : null,
      onError: (error) => report(errors, config.signals, error),
    });
  }, { name: "runServer domain" });
}
