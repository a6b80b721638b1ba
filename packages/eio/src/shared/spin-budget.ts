/**
 * How long an idle thread should spin before it parks: adapted to what spinning recently
 * bought. Spinning pays only when the other thread is on a core at the same moment and
 * answers within the spin; otherwise it burns the core the other side needs (2 cores, many
 * threads). So the budget follows the wake-ups actually seen:
 *
 * - a spin that found work sets the budget back to the maximum;
 * - a spin that missed, where the wake-up then came soon after it (within the maximum
 *   budget), means a longer spin would have paid: the budget doubles;
 * - a spin that missed, where the wake-up came late (or never, as far as we know), means
 *   spinning was wasted: the budget halves, down to the minimum.
 *
 * A hot ping-pong therefore keeps spinning through an occasional stall, and a thread waiting
 * on long jobs soon spins for only a few microseconds each time it goes idle. Short spins
 * are self-fulfilling in a ping-pong (the other side, not spinning either, answers through
 * the OS, which is slow), so every {@link PROBE_EVERY}th spin at the minimum is a full one: if
 * the other side has become hot again, that spin pays and the budget is back.
 *
 * After {@link MISSES_IN_A_ROW} missed spins in a row, a wake-up soon after the spin halves the
 * budget too: when the cores are taken (another process spinning at the same priority), the
 * other side's answer comes just after the spin ends because the spin ended, and the core it
 * gave back let the other side run. Doubling then kept a pool's parent spinning 40-50 µs and
 * its domain 230-300 µs around every task, each spin missing, at 160-400 µs a task (two
 * threads that block at once pay two OS wake-ups, 50-90 µs measured here).
 * @internal
 * @module
 */

/** How often a thread whose budget is at the minimum spins for the maximum instead. */
const PROBE_EVERY = 32;
/** Missed spins in a row after which a wake-up soon after the spin no longer doubles the budget. */
const MISSES_IN_A_ROW = 4;

export class SpinBudget {
  /** The current budget, in milliseconds (what `performance.now()` measures). */
  private budget: number;
  private sinceProbe = 0;
  /** When the last missed spin ended (`performance.now()`), or -1 once it was accounted for. */
  private missedAt = -1;
  /** Spins that missed since the last one that paid. */
  private misses = 0;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
  ) {
    this.budget = maxMs;
  }

  /** How long to spin this time, in milliseconds (what `performance.now()` measures). */
  get ms(): number {
    if (this.budget > this.minMs || ++this.sinceProbe < PROBE_EVERY) return this.budget;
    this.sinceProbe = 0;
    return this.maxMs;
  }

  /** A spin missed and no wake-up was accounted for since: {@link wokeAt} would adapt. */
  get awaitingWake(): boolean {
    return this.missedAt >= 0;
  }

  /** The spin found work. */
  paid(): void {
    this.missedAt = -1;
    this.misses = 0;
    this.budget = this.maxMs;
  }

  /** The spin found nothing; the thread parks now (`now` is `performance.now()`). */
  missed(now: number): void {
    this.missedAt = now;
    this.misses++;
  }

  /**
   * A wake-up arrived after a missed spin (`now` is `performance.now()`): adapt to how long
   * after the spin it came. Harmless to call when no spin missed.
   */
  wokeAt(now: number): void {
    if (this.missedAt < 0) return;
    const late = now - this.missedAt > this.maxMs || this.misses >= MISSES_IN_A_ROW;
    this.missedAt = -1;
    this.budget = late ? Math.max(this.minMs, this.budget / 2) : Math.min(this.maxMs, this.budget * 2);
  }

  /** The thread was woken by something else, or gave up waiting: the spin did not pay. */
  wasted(): void {
    this.missedAt = -1;
    this.budget = Math.max(this.minMs, this.budget / 2);
  }
}
