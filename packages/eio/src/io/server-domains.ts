/**
 * The calling domain's side of a multi-domain `runServer`: each additional domain is a domain
 * of the `DomainManager` running the built-in task `serveInDomain` (worker/serve-in-domain.ts,
 * named by URL, never imported), as Eio's `run_server` runs its loop under
 * `Domain_manager.run dm`. This side passes `stop` on through shared cells (shared/cells.ts)
 * and hands the handler errors that arrive on a shared stream to `onError`.
 * @internal
 * @module
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { all, awaitNative, both, fork } from "../core/fiber.js";
import { type Operation, runBody } from "../core/scheduler.js";
import type { Switch } from "../core/switch.js";
import { type DomainManager, run as runInDomain } from "../domains/domain-manager.js";
import { exportedFunction, importModule } from "../domains/load-task.js";
import { TaskName } from "../domains/task-name.js";
import { serveInDomainUrl } from "../domains/worker-entries.js";
import { add, awaitChange, createCells, read, write } from "../shared/cells.js";
import * as Stream from "../sync/stream.js";
import type { NodeListeningSocket as ListeningSocket } from "./net-listener.js";
import type { StreamAddr } from "./sockaddr.js";

/** `signals[STOP]` becomes 1 when the server's `stop` resolves. */
export const STOP = 0;
/** `signals[ERRORS]` counts the errors added to the errors stream (the calling domain waits on it). */
export const ERRORS = 1;
/** `signals[FINISHED]` becomes 1 once every domain has returned. */
export const FINISHED = 2;

/**
 * The cells by which the domains of one server signal each other. Waits on them park the event
 * loop (shared/cells.ts), not a shared promise or a blocking `Stream.take`: a fiber parked on a
 * shared object makes its domain watch the shared heap whenever it is idle, which a busy server
 * is between every two events.
 */
function serverSignals(): Int32Array {
  return createCells(3);
}

/**
 * What the calling domain gives each additional domain: plain data only. The shared errors
 * stream and the handler's arguments travel as separate task arguments: the
 * domains' codec keeps a typed array over shared memory (such as `limitCells`) shared only
 * in a value that holds no shared handle.
 */
export interface ServerDomainConfig {
  /** The calling domain's listening descriptor: only duplicated there, never used directly. */
  readonly fd: number;
  readonly backlog: number;
  readonly address: StreamAddr;
  readonly handler: { readonly moduleUrl: string; readonly exportName: string };
  readonly limitCells: Int32Array | null;
  readonly maxConnections: number;
  /** The signals of {@link serverSignals}, shared with the calling domain. */
  readonly signals: Int32Array;
}

/** A reference to code another domain can load: an exported function of a module. */
export interface TaskRef {
  readonly moduleUrl: string | URL;
  readonly exportName: string;
}

/** True for a task reference (`Eio.task(moduleUrl, exportName)`). */
export function isTaskRef(value: unknown): value is TaskRef {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as TaskRef).exportName === "string" &&
    (typeof (value as TaskRef).moduleUrl === "string" || (value as { moduleUrl: unknown }).moduleUrl instanceof URL)
  );
}

/** The program's entry module, as its `import.meta.url` names it; null if there is none. */
function entryUrl(): string | null {
  const main = process.argv[1];
  if (main === undefined) return null;
  try {
    return pathToFileURL(realpathSync(main)).href;
  } catch {
    return null;
  }
}

/** An entry module that has finished evaluating imports in well under this (it is cached). */
const ENTRY_GRACE_MS = 2000;

/**
 * Loads the handler task in the calling domain, as every road loads a task (load-task.ts).
 *
 * The program's entry module cannot be imported while it is still evaluating: a top-level
 * `await` on this very server would wait for the import, and the import for the await. An
 * entry that has finished evaluating is cached and imports at once, so an entry import that
 * takes seconds is that deadlock: fail with the fix instead of hanging.
 */
export function* loadHandler<F>(task: TaskRef, what = "Net.runServer"): Operation<F> {
  const url = String(task.moduleUrl);
  return exportedFunction(yield* loadModule(url, what, "handler task"), url, task.exportName) as F;
}

/**
 * Imports the module of a task to run in this domain, failing with the fix (see
 * {@link loadHandler}) if it is the program's entry still evaluating. `whose` names the task
 * in that error ("handler task").
 */
export function* loadModule(url: string, what: string, whose: string): Operation<Record<string, unknown>> {
  const loading = importModule(url);
  let module: Record<string, unknown> | null;
  if (url !== entryUrl()) {
    module = yield* awaitNative(loading);
  } else {
    let timer: NodeJS.Timeout | undefined;
    const late = new globalThis.Promise<null>((resolve) => (timer = setTimeout(resolve, ENTRY_GRACE_MS, null)));
    try {
      module = yield* awaitNative(globalThis.Promise.race([loading, late]));
    } finally {
      clearTimeout(timer);
    }
    if (module === null) {
      throw new Error(
        `${what}: the ${whose}'s module ${url} is the program's entry, and it is still evaluating ` +
          "(a top-level await, probably on this very run), so it cannot be imported until the run returns. " +
          "Move the task into a module of its own, or start the program without a top-level await (Eio.run(...).catch(...)).",
      );
    }
  }
  return module;
}

/** The built-in task of each additional domain. */
const SERVE = new TaskName<[ServerDomainConfig, Stream.Stream<Error>, boolean, ...unknown[]], void>(serveInDomainUrl, "serveInDomain");

/** Room for handler errors on their way to `onError` (a domain reporting more waits). */
const ERROR_QUEUE = 256;

/** What {@link serveInDomains} needs. */
export interface DomainsConfig {
  domainManager: DomainManager;
  handler: TaskRef;
  args: unknown[];
  count: number;
  limitCells: Int32Array | null;
  maxConnections: number;
  awaitStop: (() => Operation<unknown>) | null;
  onError: (error: Error) => unknown;
}

function descriptorOf(socket: ListeningSocket): number {
  const fd = (socket.server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) {
    throw new Error("Net.runServer: cannot share this listening socket with other domains: it has no file descriptor (is it closed?).");
  }
  return fd;
}

/**
 * Starts `config.count` server domains, supervised by fibers of `sw`. They finish when `stop`
 * resolves and their connections are done; an error that is not a handler's (a domain that
 * cannot listen, or `onError` throwing) fails `sw`, which cancels the other domains.
 * The socket must stay open until `sw` finishes: the domains duplicate its descriptor.
 */
export function serveInDomains(sw: Switch, socket: ListeningSocket, config: DomainsConfig): void {
  const errors = Stream.create<Error>(ERROR_QUEUE, { shared: true, label: "runServer errors" });
  const signals = serverSignals();
  const domainConfig: ServerDomainConfig = {
    fd: descriptorOf(socket),
    backlog: socket.backlog,
    address: socket.address,
    handler: { moduleUrl: String(config.handler.moduleUrl), exportName: config.handler.exportName },
    limitCells: config.limitCells,
    maxConnections: config.maxConnections,
    signals,
  };
  const awaitStop = config.awaitStop;
  if (awaitStop !== null) {
    fork(sw, function* () {
      yield* awaitStop();
      write(signals, STOP, 1);
    });
  }
  const domains = Array.from({ length: config.count }, () => () =>
    runInDomain(config.domainManager, SERVE, domainConfig, errors, awaitStop !== null, ...config.args));
  function* report(): Operation<void> {
    for (let error = Stream.takeNonblocking(errors); error !== undefined; error = Stream.takeNonblocking(errors)) {
      yield* runBody(config.onError(error));
    }
  }
  fork(sw, () =>
    both(
      function* () {
        yield* all(domains);
        write(signals, FINISHED, 1);
        add(signals, ERRORS, 1);
      },
      function* (): Operation<void> {
        for (;;) {
          const seen = read(signals, ERRORS);
          // Read FINISHED first: once it is set, every error is already in the stream.
          const finished = read(signals, FINISHED) === 1;
          yield* report();
          if (finished) return;
          yield* awaitChange(signals, ERRORS, seen);
        }
      },
    ),
  );
}
