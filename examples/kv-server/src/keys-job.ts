/**
 * KEYS, split up: over a million keys the walk and the glob matching take long enough to stall
 * every other client, so the storage loop runs it a slice of keys at a time ({@link step}) and
 * serves the other requests between slices. What it returns is what SCAN guarantees: every key
 * present for the whole walk, each once (a Map's iteration visits each entry once, goes on past
 * removals and reaches entries added meanwhile).
 * @module
 */
import * as CommandName from "./command-name.js";
import * as Glob from "./glob.js";
import * as Resp from "./resp.js";
import * as Table from "./table.js";

/**
 * A KEYS under way.
 *
 * @example
 * ```ts
 * const job: KeysJob.Job | null = KeysJob.start(table, [Buffer.from("KEYS"), Buffer.from("*")], Date.now());
 * ```
 */
export interface Job {
  readonly keys: Iterator<string>;
  readonly matches: (key: string) => boolean;
  readonly found: Buffer[];
}

/**
 * Keys looked at per slice: a slice takes a few milliseconds.
 *
 * @example
 * ```ts
 * KeysJob.SLICE_KEYS; // 16384
 * ```
 */
export const SLICE_KEYS = 16384;

/**
 * Starts a KEYS if `args` is one (well-formed: the connection checked its arity), else null.
 *
 * @example
 * ```ts
 * KeysJob.start(table, [Buffer.from("GET"), Buffer.from("k")], Date.now()); // null
 * ```
 */
export function start(table: Table.Table, args: Buffer[], now: number): Job | null {
  if (args.length !== 2 || args[0]!.length !== 4 || CommandName.of(args[0]!) !== "keys") return null;
  return { keys: Table.keys(table, now), matches: Glob.compile(args[1]!.toString("latin1")), found: [] };
}

/**
 * Looks at up to `budget` more keys; returns the reply once every key has been looked at, else
 * null (call again later).
 *
 * @example
 * ```ts
 * let reply: Buffer | null;
 * while ((reply = KeysJob.step(job, KeysJob.SLICE_KEYS)) === null) serveOthers();
 * ```
 */
export function step(job: Job, budget: number): Buffer | null {
  for (let i = 0; i < budget; i++) {
    const next = job.keys.next();
    if (next.done) return Resp.bulkArray(job.found);
    if (job.matches(next.value)) job.found.push(Table.keyBytes(next.value));
  }
  return null;
}
