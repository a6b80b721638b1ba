/**
 * What `Eio.task` makes: a task's module URL and export name, and its number in this thread's
 * task table once sent. Apart from the public task.ts (the `Task` types and `Eio.task`).
 * @internal
 * @module
 */
/** A task, as the runtime holds it. */
// Args and Result type the task for its callers (through `Task`), not its fields.
export class TaskName<Args extends unknown[], Result> {
  /** Its number in this thread's task table (0 until first sent), so a job names it cheaply. */
  number = 0;
  constructor(
    readonly moduleUrl: string,
    readonly exportName: string,
  ) {}
  toString(): string {
    return `task ${this.exportName} of ${this.moduleUrl}`;
  }
}

/** Checks that `value` is a task; for the functions that run one. */
export function checkTask(value: unknown, what: string): TaskName<unknown[], unknown> {
  if (!(value instanceof TaskName)) {
    throw new TypeError(`${what}: expected a task (from Eio.task(moduleUrl, exportName)), got ${typeof value === "function" ? "a function (functions cannot cross domains: export it and name it with Eio.task)" : String(value)}`);
  }
  return value;
}
