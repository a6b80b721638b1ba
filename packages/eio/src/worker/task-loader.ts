/**
 * The tasks this domain was told of, each loaded once (with `loadTask`, as every road loads a
 * task), and the jobs that arrive while their module is still loading. A missing module or
 * export fails the job with `loadTask`'s error.
 * @internal
 * @module
 */
import type { Scheduler } from "../core/scheduler.js";
import { loadTask, type TaskFunction } from "../domains/load-task.js";

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
    loadTask(moduleUrl, exportName).then(
      (fn) => {
        task.fn = fn;
        this.loaded(task);
      },
      (error: unknown) => {
        task.error = error as Error;
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
