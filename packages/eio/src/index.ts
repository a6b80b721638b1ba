/**
 * eio-ts: OCaml's Eio concurrency model for TypeScript on Node.js.
 *
 * Read this file as the table of contents, grouped like Eio's `eio.mli`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   yield* Eio.Switch.run((sw) => {
 *     Eio.Fiber.fork(sw, () => Eio.traceln("hello from a fiber"));
 *   });
 * });
 * ```
 * @module eio-ts
 */

// Running a program
export { run, type RunOptions } from "./run.js";
export * as Stdenv from "./stdenv.js";
export type { Env } from "./stdenv.js";

// Fibers, switches and cancellation
export * as Fiber from "./core/fiber.js";
export * as Switch from "./core/switch.js";
export * as Cancel from "./core/cancel.js";
export { traceln, type TracelnSink } from "./core/traceln.js";
export { MultipleErrors, SwitchFinished, DeadlockError } from "./core/errors.js";
export type { Operation } from "./core/scheduler.js";
export type { Result } from "./core/result.js";

// Synchronisation
export * as Promise from "./core/promise.js";
export * as Stream from "./sync/stream.js";
export * as Mutex from "./sync/mutex.js";
export * as Semaphore from "./sync/semaphore.js";
export * as Condition from "./sync/condition.js";
export * as Lazy from "./sync/lazy.js";
export * as Pool from "./sync/pool.js";

// Time, and the deterministic backend with mocks for tests
export * as Time from "./io/time.js";
export * as Mock from "./mock/mock.js";

// Seeing it: what fibers did, as text or as a timeline picture
export * as Trace from "./trace/trace.js";

// Domains: parallelism on worker threads
export { task, type Task, type TaskOf, type TaskArgsOf, type TaskResultOf } from "./domains/task.js";
export * as DomainManager from "./domains/domain-manager.js";
export * as ExecutorPool from "./domains/executor-pool.js";
export { DomainCrashed, PoolClosed } from "./domains/errors.js";
export { registerErrorClass } from "./shared/register-error-class.js";
export { transfer } from "./shared/transfer.js";

// Input and output
export * as Exn from "./io/exn.js";
export { Io } from "./io/exn.js";
export * as Flow from "./io/flow.js";
export * as Net from "./io/net.js";
export * as BufRead from "./io/buf-read.js";
export * as BufWrite from "./io/buf-write.js";

// Files and directories
export * as Path from "./io/path.js";
export * as File from "./io/file.js";
export * as Fs from "./io/fs.js";

// Processes
export * as Process from "./io/process.js";
