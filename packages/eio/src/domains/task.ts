/**
 * Tasks: the names of code that another domain can run. Closures cannot cross threads in
 * JavaScript (OCaml domains share the heap, so Eio passes a closure), so a task names an
 * exported function of a module instead, and its arguments travel as cloned values.
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isAbsolute } from "node:path";
import { TaskName } from "./task-name.js";

import type { Task } from "../core/task-type.js";

export type { Task };

/**
 * What a task built from a function of type `F` returns: for a generator function, what it
 * returns; for an async function, what its promise gives.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * function* job(n: number) { return String(n); }
 * const text: Eio.TaskResultOf<typeof job> = "42";
 * console.log(text);
 * ```
 */
export type TaskResultOf<F> = F extends (...args: never[]) => Generator<unknown, infer R, unknown> ? R : F extends (...args: never[]) => infer R ? Awaited<R> : unknown;
/**
 * The parameters of a task built from a function of type `F`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * function job(a: number, b: string) { return b.repeat(a); }
 * const args: Eio.TaskArgsOf<typeof job> = [2, "ab"];
 * console.log(args);
 * ```
 */
export type TaskArgsOf<F> = F extends (...args: infer A) => unknown ? A : unknown[];

/**
 * A task's type, from the type of the module's export.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * export function* fib(n: number): Generator<never, number> { return n < 2 ? n : 1; }
 * const task: Eio.TaskOf<typeof fib> = Eio.task(import.meta.url, "fib");
 * console.log(task.exportName);
 * ```
 */
export type TaskOf<F> = Task<TaskArgsOf<F>, TaskResultOf<F>>;

/**
 * Names code that another domain can run: the export `exportName` of the module at
 * `moduleUrl` (usually `import.meta.url` of the module that defines it, or
 * `new URL("./jobs.js", import.meta.url)`). In the other domain a generator function is run as
 * a fiber, a plain function is called (an `async` function's promise is awaited there).
 * The module is loaded once per domain. eio-ts only: Eio passes closures instead.
 *
 * Suspends: never. Throws a `TypeError` for a bad URL or name, or a local module file that
 * does not exist; a missing export is reported by the run that needs it.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * export function* double(n: number) { return n * 2; }
 * const task = Eio.task<[number], number>(import.meta.url, "double");
 * console.log(task.exportName);
 * ```
 */
export function task<Args extends unknown[] = unknown[], Result = unknown>(moduleUrl: string | URL, exportName: string): Task<Args, Result> {
  let url: URL;
  if (moduleUrl instanceof URL) {
    url = moduleUrl;
  } else if (typeof moduleUrl === "string") {
    if (isAbsolute(moduleUrl) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(moduleUrl)) {
      url = pathToFileURL(moduleUrl);
    } else {
      try {
        url = new URL(moduleUrl);
      } catch {
        throw new TypeError(
          `Eio.task: module URL ${JSON.stringify(moduleUrl)} is not an absolute URL or path. Use import.meta.url or new URL("./file.js", import.meta.url).`,
        );
      }
    }
  } else {
    throw new TypeError(`Eio.task: expected a module URL (string or URL), got ${typeof moduleUrl}`);
  }
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(`Eio.task: expected the name of an export of ${url.href}, got ${JSON.stringify(exportName)}`);
  }
  if (url.protocol === "file:" && !existsSync(fileURLToPath(url))) {
    throw new TypeError(`Eio.task: the module ${url.href} does not exist. Check the path (it is resolved from the URL, not the working directory).`);
  }
  return new TaskName<Args, Result>(url.href, exportName);
}
