/**
 * Loads the modules that tasks name, once per domain, and holds the jobs that arrive while
 * their module is still loading. A missing module or export fails the job with a clear error.
 * @internal
 * @module
 */
import type { Scheduler } from "../core/scheduler.js";

type TaskFunction = (...args: unknown[]) => unknown;

/** Loads tsx's loader into this thread, once: the parent's `--import tsx` does not reach workers. */
let typeScriptLoader: globalThis.Promise<void> | null = null;
function loadTypeScript(): globalThis.Promise<void> {
  const name = "tsx/esm/api"; // not a literal: the bundler must leave it to run time
  typeScriptLoader ??= (import(name) as globalThis.Promise<{ register(): void }>).then((tsx) => tsx.register());
  return typeScriptLoader;
}

/** Imports a task's module; a TypeScript module is loaded through tsx when it is installed. */
export async function importModule(moduleUrl: string): globalThis.Promise<Record<string, unknown>> {
  if (/\.[cm]?tsx?$/.test(new URL(moduleUrl).pathname)) {
    try {
      await loadTypeScript();
    } catch (error) {
      throw new TypeError(`To run the TypeScript module ${moduleUrl} in a domain, install tsx (npm install -D tsx) or compile it to JavaScript.`, { cause: error });
    }
  }
  return (await import(moduleUrl)) as Record<string, unknown>;
}

interface LoadedTask {
  readonly moduleUrl: string;
  readonly exportName: string;
  fn: TaskFunction | null;
  error: Error | null;
  /** Jobs waiting for the module: [job id, arguments]. */
  waiting: [number, unknown[]][];
}

export class TaskLoader {
  private readonly tasks = new Map<number, LoadedTask>();
  private loading = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly start: (jobId: number, fn: TaskFunction, args: unknown[]) => void,
    private readonly fail: (jobId: number, error: Error) => void,
  ) {}

  /** True when no module is being loaded. */
  get idle(): boolean {
    return this.loading === 0;
  }

  define(number: number, moduleUrl: string, exportName: string): void {
    const task: LoadedTask = { moduleUrl, exportName, fn: null, error: null, waiting: [] };
    this.tasks.set(number, task);
    this.loading++;
    this.scheduler.addExternalWait();
    importModule(moduleUrl).then(
      (module) => {
        const fn = module[exportName];
        if (typeof fn === "function") task.fn = fn as TaskFunction;
        else {
          const names = Object.keys(module).filter((k) => typeof module[k] === "function");
          task.error = new TypeError(
            `Eio.task: the module ${moduleUrl} has no exported function named ${JSON.stringify(exportName)}` +
              (exportName in module ? ` (it is a ${typeof module[exportName]})` : "") +
              `. Its exported functions: ${names.join(", ") || "none"}.`,
          );
        }
        this.loaded(task);
      },
      (error: unknown) => {
        task.error = new TypeError(`Eio.task: cannot load the module ${moduleUrl} in a domain: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        this.loaded(task);
      },
    );
  }

  private loaded(task: LoadedTask): void {
    this.loading--;
    const waiting = task.waiting;
    task.waiting = [];
    for (const [jobId, args] of waiting) this.run1(task, jobId, args);
    this.scheduler.removeExternalWait();
  }

  run(number: number, jobId: number, args: unknown[]): void {
    const task = this.tasks.get(number);
    if (task === undefined) {
      this.fail(jobId, new Error(`Domain protocol error: task ${number} was never defined.`));
      return;
    }
    if (task.fn === null && task.error === null) task.waiting.push([jobId, args]);
    else this.run1(task, jobId, args);
  }

  private run1(task: LoadedTask, jobId: number, args: unknown[]): void {
    if (task.error !== null) this.fail(jobId, task.error);
    else this.start(jobId, task.fn!, args);
  }
}
