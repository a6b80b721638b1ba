/**
 * The task an additional domain of `Net.runServer` runs (in a domain of the `DomainManager`,
 * like Eio's `Domain_manager.run dm` in `run_server`): listen on this domain's own copy of the
 * socket, run the same accept loop as the calling domain, and send handler errors back on a
 * shared stream. `stop` arrives through a shared cell; cancelling the task (the caller was
 * cancelled) stops the loop and its handlers at once.
 * @internal
 * @module
 */
import { Cancelled } from "../core/errors.js";
import { awaitNative, pair } from "../core/fiber.js";
import type { Operation } from "../core/scheduler.js";
import { onReleaseCancellable, run as runSwitch, type Switch } from "../core/switch.js";
import { noBusySpin } from "./runner.js";
import { importModule } from "./task-loader.js";
import * as Stream from "../sync/stream.js";
import { listenOnDuplicate } from "../io/duplicate-listener.js";
import { ListeningSocket } from "../io/listening-socket.js";
import { fromNodeError } from "../io/net-errors.js";
import { type ConnectionHandler, serverLoop } from "../io/run-server.js";
import type { Sockaddr } from "../io/sockaddr.js";

/** `signals[STOP]` becomes 1 when the server's `stop` resolves. */
export const STOP = 0;
/** `signals[ERRORS]` counts the errors added to the errors stream (the calling domain waits on it). */
export const ERRORS = 1;
/** `signals[FINISHED]` becomes 1 once every domain has returned. */
export const FINISHED = 2;

/**
 * The cells by which the domains of one server signal each other. Waits on them go through
 * `Atomics.waitAsync`, not shared promises or a blocking `Stream.take`: a fiber parked on a
 * shared object makes its domain spin on the shared heap's doorbell whenever it is idle, which a
 * busy server is between every two events.
 */
export function serverSignals(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(3 * 4));
}

/** Waits until `signals[cell]` is no longer `seen`. */
export function* awaitChange(signals: Int32Array, cell: number, seen: number): Operation<void> {
  while (Atomics.load(signals, cell) === seen) {
    const wait = Atomics.waitAsync(signals, cell, seen);
    if (wait.async) yield* awaitNative(wait.value);
  }
}

/**
 * What the calling domain gives each additional domain: plain data only. The shared errors
 * stream and the handler's arguments travel as separate task arguments: the
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
  /** The signals of {@link serverSignals}, shared with the calling domain. */
  readonly signals: Int32Array;
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
  Atomics.add(signals, ERRORS, 1);
  Atomics.notify(signals, ERRORS);
}

/**
 * The built-in task of an additional server domain. `errors` (shared) gets handler errors, never
 * `Cancelled`; `hasStop` says whether the server has a `stop`; `args` go to the handler.
 * @internal
 */
export function* serveInDomain(config: ServerDomainConfig, errors: Stream.Stream<Error>, hasStop: boolean, ...args: unknown[]): Operation<void> {
  noBusySpin(); // this domain is ours alone, and its fibers wait on sockets
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
      awaitStop: hasStop ? () => awaitChange(config.signals, STOP, 0) : null,
      onError: (error) => report(errors, config.signals, error),
    });
  }, { name: "runServer domain" });
}
