/**
 * The tasks this domain was told of, each loaded once (with `loadTask`, as every road loads a
 * task), and the jobs that arrive while their module is still loading. A missing module or
 * export fails the job with `loadTask`'s error.
 * A job that waits keeps its arguments encoded: they are decoded once the module has loaded,
 * so that classes it registers (`Eio.registerErrorClass`) are known to the decoder.
 * @internal
 * @module
 */
import type { Scheduler } from "../core/scheduler.js";
import { releasePayload } from "../domains/codec.js";
import { loadTask, type TaskFunction } from "../domains/load-task.js";

interface LoadedTask {
  readonly moduleUrl: string;
  readonly exportName: string;
  fn: TaskFunction | null;
  error: Error | null;
  /** Jobs waiting for the module: [job id, encoded arguments]. */
  waiting: [number, Buffer][];
}

export class TaskLoader {
  private readonly tasks = new Map<number, LoadedTask>();
  private loading = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly start: (jobId: number, fn: TaskFunction, args: unknown[]) => void,
    private readonly fail: (jobId: number, error: Error) => void,
    private readonly decode: (payload: Buffer) => unknown[],
  ) {}

  /** True if task `number`'s module has loaded (or failed to): its jobs' arguments can be decoded now. */
  ready(number: number): boolean {
    const task = this.tasks.get(number);
    return task === undefined || task.fn !== null || task.error !== null;
  }

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
    for (const [jobId, payload] of waiting) {
      if (task.error !== null) {
        releasePayload(payload);
        this.fail(jobId, task.error);
      } else {
        this.start(jobId, task.fn!, this.decode(payload));
      }
    }
    this.scheduler.removeExternalWait();
  }

  /** Runs a job; `args` are decoded, or still encoded if the module is not {@link ready}. */
  run(number: number, jobId: number, args: unknown[] | Buffer): void {
    const task = this.tasks.get(number);
    if (task === undefined) {
      this.fail(jobId, new Error(`Domain protocol error: task ${number} was never defined.`));
      return;
    }
    if (Buffer.isBuffer(args)) task.waiting.push([jobId, args]);
    else if (task.error !== null) this.fail(jobId, task.error);
    else this.start(jobId, task.fn!, args);
  }
}
