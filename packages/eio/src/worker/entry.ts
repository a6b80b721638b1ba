/**
 * The entry point of a domain's worker thread (its own file in `dist`, `domain-worker.js`). It
 * imports the runtime chunk that `index.js` imports too, so the task modules this domain loads
 * (`import "eio-ts"`) share one runtime instance, one scheduler, with it.
 * @internal
 * @module
 */
import { workerData } from "node:worker_threads";
import type { DomainStart } from "../domains/messages.js";
import { runDomain } from "./runner.js";

runDomain(workerData as DomainStart);
