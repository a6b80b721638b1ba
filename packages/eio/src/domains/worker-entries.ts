/**
 * The worker side's entry files, by URL. The main side starts them (a domain's thread, a
 * built-in task) and never imports them: the build puts them beside the runtime chunk, which
 * they import, so a domain and the task modules it loads share one runtime.
 * @internal
 * @module
 */

/** A domain's thread boots from this file (`src/worker/entry.ts`). */
export const domainWorkerUrl = new URL("./domain-worker.js", import.meta.url);

/** The module of `Net.runServer`'s built-in task for additional domains (`src/worker/serve-in-domain.ts`). */
export const serveInDomainUrl = new URL("./serve-in-domain.js", import.meta.url).href;
