/**
 * The task an additional domain of `Net.runServer` runs (in a domain of the `DomainManager`,
 * like Eio's `Domain_manager.run dm` in `run_server`): listen on this domain's own copy of the
 * socket, run the same accept loop as the calling domain, and send handler errors back on a
 * shared stream. `stop` is a shared promise; cancelling the task (the caller was cancelled)
 * stops the loop and its handlers at once.
 * @internal
 * @module
 */
import { Cancelled } from "../core/errors.js";
import { awaitNative, pair } from "../core/fiber.js";
import type { Operation } from "../core/scheduler.js";
import { onReleaseCancellable, run as runSwitch, type Switch } from "../core/switch.js";
import { importModule } from "../domains/worker/task-loader.js";
import * as EioPromise from "../sync/promise.js";
import * as Stream from "../sync/stream.js";
import { listenOnDuplicate } from "./duplicate-listener.js";
import { ListeningSocket } from "./listening-socket.js";
import { fromNodeError } from "./net-errors.js";
import { type ConnectionHandler, serverLoop } from "./run-server.js";
import type { Sockaddr } from "./sockaddr.js";

/**
 * What the calling domain gives each additional domain: plain data only. The shared stream,
 * the shared promise and the handler's arguments travel as separate task arguments: the
 * domains' codec keeps a typed array over shared memory (such as `limitCells`) shared only
 * in a value that holds no shared handle.
 */
export interface ServerDomainConfig {
  /** The calling domain's listening descriptor: only duplicated here, never used directly. */
  readonly fd: number;
  readonly backlog: number;
  readonly address: Sockaddr;
  readonly handler: { readonly moduleUrl: string; readonly exportName: string };
  readonly limitCells: Int32Array | null;
  readonly maxConnections: number;
}

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

function* loadHandler(ref: ServerDomainConfig["handler"]): Operation<ConnectionHandler> {
  const module = yield* awaitNative(importModule(ref.moduleUrl));
  const fn = module[ref.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`Net.runServer: the handler task's module ${ref.moduleUrl} exports no function named ${JSON.stringify(ref.exportName)} (found ${typeof fn}).`);
  }
  return fn as ConnectionHandler;
}

/** An error as it can cross domains: if its own fields cannot be cloned, name, message and stack. */
function* report(errors: Stream.Stream<Error | null>, error: unknown): Operation<void> {
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
}

/**
 * The built-in task of an additional server domain. `errors` (shared) gets handler errors, never
 * `Cancelled`; `stop` (shared) resolves when the server's `stop` does; `args` go to the handler.
 * @internal
 */
export function* serveInDomain(
  config: ServerDomainConfig,
  errors: Stream.Stream<Error | null>,
  stop: EioPromise.Promise<void> | null,
  ...args: unknown[]
): Operation<void> {
  yield* runSwitch<void>(function* (sw) {
    // Both take a while (a module to import, a helper process to start): do them together.
    const [handler, socket] = yield* pair<ConnectionHandler, ListeningSocket>(
      () => loadHandler(config.handler),
      () => listenHere(sw, config),
    );
    yield* serverLoop(sw, socket, {
      handler: (flow, addr) => handler(flow, addr, ...args),
      limitCells: config.limitCells,
      maxConnections: config.maxConnections,
      awaitStop: stop === null ? null : () => EioPromise.await(stop),
      onError: (error) => report(errors, error),
    });
  }, { name: "runServer domain" });
}
