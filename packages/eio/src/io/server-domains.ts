/**
 * The main domain's side of a multi-domain `runServer`: start one domain per additional domain,
 * lend it the listening socket's descriptor, pass `stop` on (as a shared promise), and relay
 * handler errors (through a shared stream) to `onError` here. `args` travel with the domains'
 * codec, so shared streams and promises among them arrive live.
 *
 * Node 20 cannot duplicate a descriptor, so every thread polls the very same one, and whoever
 * closes it first closes it for all; a number closed twice may by then name another file. So a
 * worker that stops serving parks its thread instead of exiting (exiting closes its handles),
 * and the main domain never closes a lent descriptor: it stops accepting and leaves the close to
 * process exit. So a server domain is never stopped: when its job ends it parks its thread
 * (blocked, so its event loop no longer takes connections), and its worker is unref'd so it
 * never keeps the process alive.
 * @internal
 * @module
 */
import { Cancelled } from "../core/errors.js";
import { awaitNative, fork } from "../core/fiber.js";
import { currentFiber, type Fiber, type Operation, runBody, suspendUnchecked } from "../core/scheduler.js";
import type { Switch } from "../core/switch.js";
import { encodeArgs } from "../domains/domain-manager.js";
import { Domain } from "../domains/domain.js";
import { hubOf } from "../domains/hub.js";
import { checkTask, task, type TaskName } from "../domains/task.js";
import * as EioPromise from "../sync/promise.js";
import * as Stream from "../sync/stream.js";
import type { ListeningSocket } from "./listening-socket.js";
import { receiveError, type SentError, type ServerDomainData, type TaskRef } from "./server-messages.js";

export type { TaskRef } from "./server-messages.js";

/** True for a task reference (`Eio.task(moduleUrl, exportName)`). */
export function isTaskRef(value: unknown): value is TaskRef {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as TaskRef).exportName === "string" &&
    (typeof (value as TaskRef).moduleUrl === "string" || (value as { moduleUrl: unknown }).moduleUrl instanceof URL)
  );
}

/** Imports a task's module in this domain and returns the exported function. */
export function* loadTask<F>(task: TaskRef): Operation<F> {
  const url = String(task.moduleUrl);
  const module = yield* awaitNative(import(url) as globalThis.Promise<Record<string, unknown>>);
  const fn = module[task.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot load task ${task.exportName} from ${url}: the module exports no function by that name (found ${typeof fn}).`);
  }
  return fn as F;
}

/** The task each server domain runs: `serveInDomain`, exported (internal) by this very bundle. */
const SERVE_EXPORT = "__serveInDomain";
const ENTRY = import.meta.url;

/** Where tsx's loader API is, when the task is a TypeScript module and tsx can be found. */
function typeScriptLoader(moduleUrl: string | URL): string | null {
  if (!/\.[cm]?tsx?$/.test(String(moduleUrl))) return null;
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    return null;
  }
}

/** What {@link serveInDomains} needs. */
export interface DomainsConfig {
  handler: TaskRef;
  args: unknown[];
  count: number;
  limitCells: Int32Array | null;
  maxConnections: number;
  awaitStop: (() => Operation<unknown>) | null;
  onError: (error: unknown) => unknown;
}

function descriptorOf(socket: ListeningSocket): number {
  const fd = (socket.server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) {
    throw new Error("Net.runServer: cannot share this listening socket with other domains: it has no file descriptor (is it closed?).");
  }
  return fd;
}

/** Starts `config.count` server domains in `sw`; each is supervised by a fiber of `sw`. */
export function serveInDomains(sw: Switch, socket: ListeningSocket, config: DomainsConfig): void {
  const data: ServerDomainData = {
    fd: descriptorOf(socket),
    address: socket.address,
    handler: { moduleUrl: String(config.handler.moduleUrl), exportName: config.handler.exportName },
    limitCells: config.limitCells,
    maxConnections: config.maxConnections,
    tsxApi: typeScriptLoader(config.handler.moduleUrl),
  };
  // Handler errors come back through a shared stream; `null` marks a domain that has finished.
  const errors = Stream.create<SentError | null>(256, { shared: true });
  let stop: EioPromise.Promise<void> | null = null;
  const awaitStop = config.awaitStop;
  if (awaitStop !== null) {
    const [promise, resolver] = EioPromise.create<void>({ shared: true });
    stop = promise;
    fork(sw, function* () {
      yield* awaitStop();
      EioPromise.resolve(resolver, undefined);
    });
  }
  // Cancellation travels as a shared promise too, so it reaches the server loop directly.
  const [cancelled, cancel] = EioPromise.create<void>({ shared: true });
  const serve = checkTask(task(ENTRY, SERVE_EXPORT), "Net.runServer");
  socket.lent = true;
  for (let i = 0; i < config.count; i++) {
    fork(sw, () => superviseDomain(serve, [data, config.args, stop, cancelled, errors], errors, cancel));
  }
  const onError = config.onError;
  fork(sw, function* () {
    for (let running = config.count; running > 0; ) {
      const sent = yield* Stream.take(errors);
      if (sent === null) running--;
      else yield* runBody(onError(receiveError(sent)));
    }
  });
}

/**
 * Runs one server domain as a job of a domain of its own. Like `DomainManager.run`, except that
 * the domain is never stopped: stopping would close the shared descriptor (see the top).
 */
function* superviseDomain(
  serve: TaskName<unknown[], unknown>,
  args: unknown[],
  errors: Stream.Stream<SentError | null>,
  cancel: EioPromise.Resolver<void>,
): Operation<void> {
  const caller = currentFiber();
  const encoded = encodeArgs(args, "Net.runServer");
  const domain = new Domain(hubOf(caller.scheduler));
  let outcome: { ok: boolean; value: unknown } | null = null;
  let waiter: Fiber | null = null;
  let cancelled = false;
  const jobId = domain.run(serve, encoded.buffer, encoded.length, encoded.shared, {
    settle(ok, value) {
      outcome = { ok, value };
      if (waiter !== null) waiter.scheduler.wake(waiter, undefined);
    },
  });
  while (outcome === null) {
    // Unchecked: after a cancellation we still wait for the domain's handlers to finish.
    yield* suspendUnchecked<void>("Net.runServer domain", (fiber) => {
      waiter = fiber;
      if (!cancelled) {
        fiber.cancelFn = () => {
          cancelled = true;
          EioPromise.tryResolve(cancel, undefined);
          domain.cancel(jobId);
        };
      }
    });
  }
  domain.worker.unref();
  const { ok, value } = outcome as { ok: boolean; value: unknown };
  if (!ok && !(value instanceof Cancelled)) throw value;
  if (!cancelled) yield* Stream.add(errors, null);
}
