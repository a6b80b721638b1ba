/**
 * The type of a task (code another domain can run; `Eio.task` makes one), apart from the
 * domains runtime so that the folders below it can name tasks in their types (a shared
 * `Eio.Pool` takes its functions as tasks).
 * @internal
 * @module
 */
declare const taskBrand: unique symbol;

/**
 * Code another domain can run: an export of a module. `Args` and `Result` are the types of the
 * export's parameters and return value (after `yield*` for a generator function). Made by
 * `Eio.task`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * export function* double(n: number) {
 *   return n * 2;
 * }
 * const doubler: Eio.Task<[number], number> = Eio.task<[number], number>(import.meta.url, "double");
 * console.log(doubler.exportName);
 * ```
 */
export interface Task<Args extends unknown[] = unknown[], Result = unknown> {
  /** The module's URL (`file:` URLs for local files). */
  readonly moduleUrl: string;
  /** The name of the export to call. */
  readonly exportName: string;
  /** @internal */
  readonly [taskBrand]?: (...args: Args) => Result;
}

