/**
 * The entry point of a domain's worker thread (its own file in `dist`). It loads the runtime
 * bundle named by the parent, the same module that tasks get with `import "eio-ts"`, so that
 * the task code and the domain's scheduler share one instance of the runtime.
 * @internal
 * @module
 */
import { workerData } from "node:worker_threads";
import type { DomainStart } from "../domains/messages.js";

const start = workerData as DomainStart;
const runtime = (await import(start.runtimeUrl)) as { __runDomain(start: DomainStart): void };
runtime.__runDomain(start);
