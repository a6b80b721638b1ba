/**
 * The types of tasks (see `task.ts`): kept apart from the `task` function that makes them.
 * @module
 */

declare const taskBrand: unique symbol;

/**
 * Code another domain can run: an export of a module. `Args` and `Result` are the types of the
 * export's parameters and return value (after `yield*` for a generator function).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * export function greet(name: string) { return `hello ${name}`; }
 * const task: Eio.Task<[string], string> = Eio.task(import.meta.url, "greet");
 * console.log(task.moduleUrl === import.meta.url);
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
