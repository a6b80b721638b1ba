/**
 * The one way a task's code is found: import its module, take its export. Every road that runs
 * a task by name goes through here (a domain's jobs from `DomainManager.run` and `ExecutorPool`,
 * and `Net.runServer`'s handler task in the calling domain and in each additional domain), so a
 * missing export gives the same error whichever road met it.
 * @internal
 * @module
 */
import { isMainThread } from "node:worker_threads";

/** What a task names: an exported function. */
export type TaskFunction = (...args: unknown[]) => unknown;

/** Loads tsx's loader into this thread, once: the parent's `--import tsx` does not reach workers. */
let typeScriptLoader: globalThis.Promise<void> | null = null;
function loadTypeScript(): globalThis.Promise<void> {
  const name = "tsx/esm/api"; // not a literal: the bundler must leave it to run time
  typeScriptLoader ??= (import(name) as globalThis.Promise<{ register(): void }>).then((tsx) => tsx.register());
  return typeScriptLoader;
}

/**
 * Imports a task's module. In a worker, a TypeScript module is loaded through tsx when it is
 * installed (the main thread runs TypeScript only if it was started with a loader already).
 */
export async function importModule(moduleUrl: string): globalThis.Promise<Record<string, unknown>> {
  if (!isMainThread && /\.[cm]?tsx?$/.test(new URL(moduleUrl).pathname)) {
    try {
      await loadTypeScript();
    } catch (error) {
      throw new TypeError(`To run the TypeScript module ${moduleUrl} in a domain, install tsx (npm install -D tsx) or compile it to JavaScript.`, { cause: error });
    }
  }
  try {
    return (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new TypeError(`Eio.task: cannot load the module ${moduleUrl}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * The function `exportName` of a loaded module. An export that is `undefined` counts as missing:
 * a module may leave one unset in some threads (`if (isMainThread) ...`).
 */
export function exportedFunction(module: Record<string, unknown>, moduleUrl: string, exportName: string): TaskFunction {
  const fn = module[exportName];
  if (typeof fn === "function") return fn as TaskFunction;
  if (fn === undefined) {
    const names = Object.keys(module).filter((k) => typeof module[k] === "function").sort();
    throw new TypeError(`Eio.task: no export named ${JSON.stringify(exportName)} in module ${moduleUrl} (its exported functions: ${names.join(", ") || "none"})`);
  }
  throw new TypeError(`Eio.task: the export ${JSON.stringify(exportName)} of module ${moduleUrl} is a ${fn === null ? "null" : typeof fn}, not a function`);
}

/** Imports `moduleUrl` and returns its function `exportName`, or fails with a clear error. */
export async function loadTask(moduleUrl: string, exportName: string): globalThis.Promise<TaskFunction> {
  return exportedFunction(await importModule(moduleUrl), moduleUrl, exportName);
}
