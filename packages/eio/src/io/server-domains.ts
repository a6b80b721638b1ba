/**
 * The main domain's side of a multi-domain `runServer`: start one worker per additional domain,
 * lend it the listening socket's descriptor, pass `stop` on, and relay handler errors to
 * `onError` here. Each worker joins the shared heap and gets `args` through the domains' codec,
 * so shared streams and promises among them arrive live.
 *
 * Node 20 cannot duplicate a descriptor, so every thread polls the very same one, and whoever
 * closes it first closes it for all; a number closed twice may by then name another file. So a
 * worker that stops serving stays alive and idle instead of exiting (exiting closes its
 * handles), and the main domain never closes a lent descriptor: it stops accepting and leaves
 * the close to process exit. Idle workers are unref'd, so they never keep the process alive.
 * @internal
 * @module
 */
import { Worker } from "node:worker_threads";
import { protect } from "../core/cancel.js";
import { awaitNative, fork } from "../core/fiber.js";
import { type Fiber, type Operation, runBody, suspend } from "../core/scheduler.js";
import type { Switch } from "../core/switch.js";
import { encodeArgs } from "../domains/domain-manager.js";
import { allocateDomainId, currentArena } from "../shared/index.js";
import type { ListeningSocket } from "./listening-socket.js";
import { type FromDomain, receiveError, type ServerDomainData, type TaskRef, type ToDomain } from "./server-messages.js";

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

/** Where the worker finds `serveInWorker`: this very module's bundle (dist/index.js). */
const ENTRY = import.meta.url;

/**
 * The worker's first code. A task module written in TypeScript (a program run with
 * `node --import tsx`) needs tsx's loader in this thread too: workers do not inherit it.
 */
const BOOTSTRAP = `
const { workerData, parentPort } = require("node:worker_threads");
async function start() {
  if (workerData.tsxApi !== null) (await import(workerData.tsxApi)).register();
  const runtime = await import(workerData.entry);
  runtime.__serveInWorker(workerData, parentPort);
}
start().catch((e) =>
  parentPort.postMessage({ type: "fatal", error: { name: "Error", message: "Cannot start a server domain: " + (e && e.message), stack: e && e.stack } }),
);`;

/** Where tsx's loader API is, when the task is a TypeScript module and tsx can be found. */
function typeScriptLoader(moduleUrl: string | URL): string | null {
  if (!/\.[cm]?tsx?$/.test(String(moduleUrl))) return null;
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    return null;
  }
}

/** A queue of worker messages that one fiber waits on. */
class Inbox {
  private items: FromDomain[] = [];
  private waiter: Fiber | null = null;
  exited = false;

  push(message: FromDomain): void {
    this.items.push(message);
    const fiber = this.waiter;
    if (fiber !== null) {
      this.waiter = null;
      fiber.scheduler.removeExternalWait();
      fiber.scheduler.wake(fiber, undefined);
    }
  }

  *take(): Operation<FromDomain> {
    while (this.items.length === 0) {
      yield* suspend<void>("Net.runServer domain", (fiber) => {
        this.waiter = fiber;
        fiber.scheduler.addExternalWait();
        fiber.cancelFn = (cancelled) => {
          this.waiter = null;
          fiber.scheduler.removeExternalWait();
          fiber.scheduler.wakeError(fiber, cancelled);
        };
      });
    }
    return this.items.shift()!;
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
    entry: ENTRY,
    fd: descriptorOf(socket),
    address: socket.address,
    handler: { moduleUrl: String(config.handler.moduleUrl), exportName: config.handler.exportName },
    argsBytes: new Uint8Array(0),
    argsShared: [],
    arena: currentArena().buffer,
    domainId: 0,
    limitCells: config.limitCells,
    maxConnections: config.maxConnections,
    hasStop: config.awaitStop !== null,
    parked: new Int32Array(new SharedArrayBuffer(4)),
    tsxApi: typeScriptLoader(config.handler.moduleUrl),
  };
  const workers: Worker[] = [];
  for (let i = 0; i < config.count; i++) {
    fork(sw, () => superviseDomain(socket, data, config.args, config.onError, workers));
  }
  const awaitStop = config.awaitStop;
  if (awaitStop !== null) {
    fork(sw, function* () {
      yield* awaitStop();
      for (const worker of workers) post(worker, { type: "stop" });
    });
  }
}

/** Waits until the domain's thread has parked (see server-worker.ts). */
function* awaitParked(cell: Int32Array): Operation<void> {
  while (Atomics.load(cell, 0) === 0) {
    const wait = Atomics.waitAsync(cell, 0, 0);
    if (wait.async) yield* awaitNative(wait.value);
  }
}

function post(worker: Worker, message: ToDomain): void {
  worker.postMessage(message);
}

function* superviseDomain(
  socket: ListeningSocket,
  data: ServerDomainData,
  args: unknown[],
  onError: (e: unknown) => unknown,
  workers: Worker[],
): Operation<void> {
  const encoded = encodeArgs(args, "Net.runServer");
  const domainData: ServerDomainData = {
    ...data,
    argsBytes: new Uint8Array(encoded.buffer.subarray(0, encoded.length)),
    argsShared: [...encoded.shared],
    domainId: allocateDomainId(),
    parked: new Int32Array(new SharedArrayBuffer(4)),
  };
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: domainData });
  workers.push(worker);
  const inbox = new Inbox();
  worker.on("message", (message: FromDomain) => inbox.push(message));
  worker.on("error", (error) => inbox.push({ type: "fatal", error: { name: error.name, message: error.message, stack: error.stack } }));
  worker.on("exit", () => {
    inbox.exited = true;
    inbox.push({ type: "done" });
  });
  socket.lent = true;
  let finished = false;
  try {
    for (;;) {
      const message = yield* inbox.take();
      if (message.type === "error") yield* runBody(onError(receiveError(message.error)));
      else if (message.type === "fatal") throw receiveError(message.error);
      else if (message.type === "done") {
        finished = true;
        return;
      }
    }
  } finally {
    if (!finished && !inbox.exited) {
      post(worker, { type: "cancel" });
      // Protected: this domain's handlers must be gone before our switch may finish.
      yield* protect(function* () {
        for (;;) {
          const message = yield* inbox.take();
          if (message.type === "done") return;
        }
      });
    }
    if (!inbox.exited) yield* protect(() => awaitParked(domainData.parked));
    worker.unref();
  }
}
