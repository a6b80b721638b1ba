/**
 * Staging: how a pool job reaches a domain that is full without a round trip through the
 * parent when the domain frees up.
 *
 * Eio's workers *take* jobs from a shared queue whenever their running weight is below 1, so
 * nobody stands between a finished job and the next one. Ours are sent by the parent, which
 * would learn that a domain freed up only from its result, and then send the next job: two
 * wake-ups of sleeping threads between any two jobs of a busy domain. So when no domain
 * accepts a job now, the parent may send it ahead to one domain (at most `STAGING_DEPTH` per
 * domain, each in a cell of its own: a state word in shared memory). The domain starts it by itself as soon as its running weight
 * drops below 1, by a compare-exchange Staged → Running; only then is the job accepted. Until
 * then the parent may still end the staging with its own compare-exchange: Staged → Withdrawn
 * (the submitter was cancelled, or the pool stopped) or Staged → Moved (another domain is free
 * first, and the job starts there instead). Exactly one side wins.
 *
 * The word holds the job's id (its low 28 bits) beside the state, so a domain that reads a
 * stale staged record (withdrawn, and the cell since reused for a newer job) cannot start it.
 *
 * Who gives back the shared handles named in the job's arguments: the parent keeps its encoded
 * copy while the job is staged. Running: the domain owns them (it decoded the arguments), the
 * parent drops its copy. Withdrawn: the parent releases them (`releasePayload`). Moved: the
 * parent sends its copy to the other domain, which then owns them. The staging domain never
 * releases a staged payload; it only drops its copy.
 * @internal
 * @module
 */

/** States of a staging cell (the low 3 bits of its word). */
export const enum Staged {
  /** Nothing staged (or the last staged job reached a final state seen by both sides). */
  Empty = 0,
  /** Sent ahead; the domain may start it, the parent may still take it back. */
  Waiting = 1,
  /** The domain started it: accepted, runs to its end. */
  Running = 2,
  /** The parent took it back for good: its submitter was cancelled or the pool stopped. */
  Withdrawn = 3,
  /** The parent took it back to start it in another domain. */
  Moved = 4,
}

/**
 * At most this many jobs are staged in one domain at a time (one cell each). A domain that
 * still has two staged when it starts one does not wake the parent for its last result, so a
 * busy domain wakes the parent about once per `STAGING_DEPTH - 1` jobs, and the parent still
 * has a whole job's time to stage more. Measured with CPU-bound jobs on 2 cores (fib(25), about
 * 0.65 ms): the parent's CPU per job fell from 50-70 µs with 3 to 25-30 µs with 8, every
 * microsecond of it taken from a core the domains needed.
 */
export const STAGING_DEPTH = 8;

const STATE_BITS = 3;
const STATE_MASK = (1 << STATE_BITS) - 1;
const TAG_MASK = 0x0fffffff;
const BYTES = STAGING_DEPTH * 4;

/** The word for job `id` in `state`. */
function word(id: number, state: Staged): number {
  return ((id & TAG_MASK) << STATE_BITS) | state;
}

/** New cells (`STAGING_DEPTH` words), to be shared by one domain and its parent. */
export function createStagingCells(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(BYTES));
}

/** Parent: job `id` is about to be sent ahead in cell `at` (whose last job reached a final state). */
export function stage(cells: Int32Array, at: number, id: number): void {
  Atomics.store(cells, at, word(id, Staged.Waiting));
}

/**
 * Either side: moves job `id` from Waiting to `to`. True if this side won; false if the other
 * side had already ended the staging (or the cell has moved on to a newer job).
 */
export function claim(cells: Int32Array, at: number, id: number, to: Staged.Running | Staged.Withdrawn | Staged.Moved): boolean {
  const waiting = word(id, Staged.Waiting);
  return Atomics.compareExchange(cells, at, waiting, word(id, to)) === waiting;
}

/** The state of job `id` in cell `at` (Empty if the cell belongs to another job). */
export function stateOf(cells: Int32Array, at: number, id: number): Staged {
  const w = Atomics.load(cells, at);
  return w >>> STATE_BITS === (id & TAG_MASK) ? ((w & STATE_MASK) as Staged) : Staged.Empty;
}
