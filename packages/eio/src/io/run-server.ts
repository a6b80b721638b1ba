/**
 * `Net.runServer`: accept connections forever, each handled in its own fiber, optionally in
 * several domains at once on the same listening socket. Mirrors Eio's `Net.run_server`.
 * @module
 */
import { Cancelled } from "../core/errors.js";
import { type Operation, runBody } from "../core/scheduler.js";
import { run as runSwitch } from "../core/switch.js";
import * as EioPromise from "../core/promise.js";
import { createLimitCells } from "./connection-limit.js";
import { isListeningSocket, type ListeningSocket } from "./listening-socket.js";
import { NodeListeningSocket } from "./net-listener.js";
import { checkManager } from "../domains/domain-manager-type.js";
import type { Task } from "../domains/task.js";
import type { DomainManager } from "../domains/domain-manager.js";
import { serverLoop } from "./server-loop.js";
import { serveInDomains, type TaskRef, isTaskRef, loadHandler } from "./server-domains.js";
import type { StreamAddr } from "./sockaddr.js";
import type { Stream } from "./net-stream.js";

/**
 * Handles one connection: `(flow, clientAddr, ...args)`; a generator function or a plain one.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const handler: Eio.Net.ConnectionHandler<[string]> = (flow, _addr, motd) => Eio.Flow.copyString(motd, flow);
 * console.log(typeof handler);
 * ```
 */
export type ConnectionHandler<A extends unknown[] = unknown[]> = (flow: Stream, clientAddr: StreamAddr, ...args: A) => unknown;

/**
 * Options for {@link runServer}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Net.RunServerOptions = { maxConnections: 1000, onError: (e) => console.error(e.message) };
 * console.log(options.maxConnections);
 * ```
 */
export interface RunServerOptions<A extends unknown[] = unknown[]> {
  /**
   * `[domainManager, n]`: also accept in `n` more domains, started with this domain manager, on the same
   * socket. The handler must then be a task (`Eio.task(import.meta.url, "handler")`).
   */
  additionalDomains?: readonly [domainManager: DomainManager, count: number];
  /** Extra arguments for the handler, after the flow and address; cloned to each domain. */
  args?: A;
  /** At most this many connections open at once, over all domains. */
  maxConnections?: number;
  /** When this promise resolves, stop accepting, wait for the open connections, and return. */
  stop?: EioPromise.Promise<unknown>;
  /**
   * Called with each error a handler throws, in this domain, whichever domain the handler ran
   * in (errors from other domains arrive as `Error`s with the same name, message and stack).
   * Never called with `Cancelled`. If it throws, the server fails.
   */
  onError: (error: Error) => unknown;
}

function validate(socket: unknown, handler: unknown, options: RunServerOptions): void {
  if (!isListeningSocket(socket)) {
    throw new TypeError(`Net.runServer: expected a listening socket (from Net.listen), got ${String(socket)}`);
  }
  if (typeof options !== "object" || options === null || typeof options.onError !== "function") {
    throw new TypeError("Net.runServer: options.onError must be a function (error) => ...; it receives every handler error");
  }
  const max = options.maxConnections;
  if (max !== undefined && (typeof max !== "number" || !(max >= 1) || (!Number.isInteger(max) && max !== Infinity))) {
    throw new RangeError(`Net.runServer: options.maxConnections must be a positive integer, got ${String(max)}`);
  }
  if (options.args !== undefined && !Array.isArray(options.args)) {
    throw new TypeError(`Net.runServer: options.args must be an array of extra handler arguments, got ${typeof options.args}`);
  }
  const extra = options.additionalDomains;
  if (extra !== undefined) {
    if (!Array.isArray(extra) || extra.length !== 2) {
      throw new TypeError("Net.runServer: options.additionalDomains must be a pair [env.domainMgr, count]");
    }
    checkManager(extra[0], "Net.runServer: additionalDomains[0]");
    const count = extra[1];
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      throw new RangeError(`Net.runServer: the domain count in additionalDomains must be an integer >= 0, got ${String(count)}`);
    }
    if (count > 0 && !(socket instanceof NodeListeningSocket)) {
      throw new TypeError("Net.runServer: additionalDomains shares the socket's descriptor, so it needs a socket of the system's network (Net.listen on env.net), not a mock");
    }
    if (count > 0 && !isTaskRef(handler)) {
      throw new TypeError(
        "Net.runServer: with additionalDomains the handler must be a task that every domain can load: Eio.task(import.meta.url, \"handler\")",
      );
    }
  }
  if (typeof handler !== "function" && !isTaskRef(handler)) {
    throw new TypeError(`Net.runServer: expected a handler function (flow, addr, ...args) => ... or a task, got ${typeof handler}`);
  }
}

/**
 * Accepts connections on `socket` and handles each one in a new fiber with
 * `handler(flow, clientAddr, ...args)`; the connection is closed when the handler ends. A
 * handler error goes to `onError` and never stops the server. With `additionalDomains:
 * [dm, n]`, `n` more domains accept on the same socket, so connections spread over threads.
 * Mirrors `Eio.Net.run_server`.
 *
 * Every domain, this one included, imports a task handler's module. If that module is the
 * program's entry, still in a top-level `await` (on this very server, say), it cannot be
 * imported: this fails with an error saying so after 2 seconds, rather than hang. With
 * additional domains each domain listens on its own duplicate of the socket's descriptor and
 * closes it when it stops, so after this returns the socket is the caller's alone, still open.
 *
 * Suspends: until `stop` resolves and every connection has finished (then returns `stop`'s
 * value) — use `yield*`. Cancelling the caller cancels every handler in every domain at once.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
 *     const [stop, setStop] = Eio.Promise.create<string>();
 *     Eio.Fiber.fork(sw, function* () {
 *       const { port } = Eio.Net.listeningAddr(socket) as Eio.Net.TcpAddr;
 *       const reply = yield* Eio.Net.withTcpConnect(env.net, { host: "127.0.0.1", service: String(port) }, (flow) =>
 *         Eio.BufRead.line(Eio.BufRead.of(flow, { maxSize: 100 })));
 *       console.log("client got:", reply);
 *       Eio.Promise.resolve(setStop, "done");
 *     });
 *     const result = yield* Eio.Net.runServer(socket, (flow) => Eio.Flow.copyString("welcome\n", flow), {
 *       stop,
 *       onError: (e) => console.log("handler failed:", e.message),
 *     });
 *     console.log("server returned", result);
 *   });
 * });
 * ```
 */
export function* runServer<A extends unknown[] = unknown[]>(
  socket: ListeningSocket,
  handler: ConnectionHandler<A> | Task<[Stream, StreamAddr, ...A], unknown>,
  options: RunServerOptions<A>,
): Operation<unknown> {
  validate(socket, handler, options as RunServerOptions);
  const args = (options.args ?? []) as unknown as A;
  const max = options.maxConnections ?? Infinity;
  const domains = options.additionalDomains?.[1] ?? 0;
  const stop = options.stop;
  const awaitStop = stop === undefined ? null : () => EioPromise.await(stop);
  const onError = options.onError;
  const reportError = (error: unknown): unknown => (error instanceof Cancelled ? undefined : onError(toError(error)));
  const limitCells = max === Infinity ? null : createLimitCells();
  const fn: ConnectionHandler<A> = isTaskRef(handler) ? yield* loadHandler<ConnectionHandler<A>>(handler) : (handler as ConnectionHandler<A>);
  return yield* runSwitch<unknown>(function* (sw) {
    if (domains > 0) {
      serveInDomains(sw, socket as NodeListeningSocket, {
        domainManager: options.additionalDomains![0],
        handler: handler as unknown as TaskRef,
        args,
        count: domains,
        limitCells,
        maxConnections: max,
        awaitStop,
        onError: (error) => onError(error),
      });
    }
    return yield* serverLoop(sw, socket, {
      handler: (flow, addr) => fn(flow, addr, ...args),
      limitCells,
      maxConnections: max,
      awaitStop,
      onError: reportError,
    });
  }, { name: "runServer" });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

