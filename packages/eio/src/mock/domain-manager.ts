/**
 * A mock domain manager, as Eio's `Eio_mock.Domain_manager`: "domains" that are fibers of the
 * calling domain, each with a fake domain id that `traceln` can print, so tests of code that
 * starts domains are deterministic and show which domain did what.
 * @module
 */
import { awaitNative, createKey, get, type Key, withBinding } from "../core/fiber.js";
import { isGenerator, type Operation, runBody } from "../core/scheduler.js";
import { currentSink, tracelnKey, type TracelnSink } from "../core/traceln.js";
import { DomainManager } from "../domains/domain-manager-type.js";
import { exportedFunction, type TaskFunction } from "../domains/load-task.js";
import { loadModule } from "../io/server-domains.js";

/**
 * The current fake domain's id (Eio's `Eio_mock.Domain_manager.id`): `"0"` in the body of
 * {@link run}, `"1"`, `"2"` ... in the domains a mock manager runs, in the order they start.
 * Unset outside them.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(() =>
 *   Eio.Mock.DomainManager.run(() => console.log(Eio.Fiber.get(Eio.Mock.DomainManager.id))),
 * );
 * ```
 */
export const id: Key<string> = createKey<string>("mock domain id");

/**
 * Makes a mock domain manager (Eio's `Eio_mock.Domain_manager.create`): asked to run a task in
 * a new domain, it runs it in the calling fiber, with {@link id} set to a fresh id (from 1, in
 * order). Its arguments and result are not copied, since they never leave the domain. Use it
 * wherever a domain manager goes (`DomainManager.run`). The first task of a module waits for
 * the module to load (an `import`), so other fibers may run first, as they would while a real
 * domain starts; the manager's later tasks of that module start at once, as in Eio's mock.
 * A task's module is imported in this thread, so it cannot be the program's entry while that
 * waits in a top-level await for this run: move the task to a module of its own, or start the
 * program without a top-level await (an error says so if you forget).
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * import { threadId } from "node:worker_threads";
 * export const whichThread = () => threadId;
 * // No top-level await: the task's module is this one, imported in this thread.
 * Eio.Mock.run(function* () {
 *   const dm = Eio.Mock.DomainManager.create();
 *   const here = yield* Eio.DomainManager.run(dm, Eio.task<[], number>(import.meta.url, "whichThread"));
 *   console.log(here === threadId);
 * }).catch((e: unknown) => console.error(e));
 * ```
 */
export function create(): DomainManager {
  const dm = new DomainManager(undefined);
  let nextId = 1;
  // The modules of its tasks so far, so that each is imported (a wait) once per manager: the
  // same program traces the same lines whatever ran before it.
  const modules = new Map<string, Record<string, unknown>>();
  dm.runHere = function* (task, args) {
    const self = nextId++;
    const fn = yield* loadHere(modules, task.moduleUrl, task.exportName);
    return yield* withBinding(id, String(self), function* () {
      const result = fn(...args);
      if (!isGenerator(result) && typeof (result as PromiseLike<unknown> | null)?.then === "function") return yield* awaitNative(result as PromiseLike<unknown>);
      return yield* runBody(result);
    });
  };
  return dm;
}

function* loadHere(modules: Map<string, Record<string, unknown>>, moduleUrl: string, exportName: string): Operation<TaskFunction> {
  let module = modules.get(moduleUrl);
  if (module === undefined) {
    // The task runs in this thread: its module may be the program's entry, which cannot be
    // imported while its top-level await waits for this very run (an error says so).
    module = yield* loadModule(moduleUrl, "DomainManager.run (mock)", "task");
    modules.set(moduleUrl, module);
  }
  return exportedFunction(module, moduleUrl, exportName);
}

/** The sinks made by {@link withDomainTracing}. */
const prefixing = new WeakSet<TracelnSink>();

/**
 * Runs `fn()` with `traceln` lines prefixed by the current fake domain's id, as `[1] line`
 * (none where {@link id} is unset). Mirrors `Eio_mock.Domain_manager.with_domain_tracing`.
 *
 * Suspends: if `fn` does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(() =>
 *   Eio.Mock.DomainManager.withDomainTracing(() =>
 *     Eio.Fiber.withBinding(Eio.Mock.DomainManager.id, "7", () => Eio.traceln("hello")),
 *   ),
 * );
 * ```
 */
export function withDomainTracing<T>(fn: () => unknown): Operation<T> {
  const outer = currentSink();
  // Already prefixing (run inside withDomainTracing, say): once is enough.
  if (prefixing.has(outer)) return runBody<T>(fn());
  const sink: TracelnSink = (line) => {
    const domain = get(id);
    outer(domain === undefined ? line : `[${domain}] ${line}`);
  };
  prefixing.add(sink);
  return withBinding<T, TracelnSink>(tracelnKey as unknown as Key<TracelnSink>, sink, fn);
}

/**
 * Runs `fn(dm)` with a new mock domain manager `dm` ({@link create}), with domain tracing
 * ({@link withDomainTracing}) and {@link id} `"0"`. Mirrors `Eio_mock.Domain_manager.run`.
 *
 * Suspends: if `fn` does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * export function* work(name: string) {
 *   Eio.traceln("working on %s", name);
 *   return name.length;
 * }
 * // No top-level await: the task's module is this one, imported in this thread.
 * Eio.Mock.run(() =>
 *   Eio.Mock.DomainManager.run(function* (dm) {
 *     const task = Eio.task<[string], number>(import.meta.url, "work");
 *     const [a, b] = yield* Eio.Fiber.pair<number, number>(
 *       () => Eio.DomainManager.run(dm, task, "apples"),
 *       () => Eio.DomainManager.run(dm, task, "pears"),
 *     );
 *     Eio.traceln("results %d %d", a, b);
 *   }),
 * ).catch((e: unknown) => console.error(e));
 * ```
 */
export function run<T>(fn: (dm: DomainManager) => unknown): Operation<T> {
  if (typeof fn !== "function") throw new TypeError(`Mock.DomainManager.run: expected a function (dm) => ..., got ${typeof fn}`);
  const dm = create();
  return withDomainTracing<T>(() => withBinding<T, string>(id, "0", () => fn(dm)));
}
