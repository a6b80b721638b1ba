// The decisions of a thread's idle policy (packages/eio/src/shared/idle-policy.ts): which
// source is spun on, blocked on and parked on, and when the thread must not spin or block.
// Sources and scheduler are stand-ins; `Atomics.wait` is replaced so a block is observed, not
// waited for (the real wake-ups are covered by test/domains/idle-policy.test.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Scheduler } from "../../src/core/scheduler.js";
import { IdleSource, parkAtOnce, watchIdle } from "../../src/shared/idle-policy.js";

/** A source whose arrivals the test sets; it records what the policy asked of it. */
class FakeSource extends IdleSource {
  readonly words = new Int32Array(new SharedArrayBuffer(4));
  readonly index = 0;
  readonly scheduler = null;
  readonly stayParked = true;
  quickMs = Infinity;
  /** Called when `poll` takes something. */
  onTaken: (() => void) | null = null;
  /** Things waiting to be taken; `looks` of the spin before one arrives (see `arriveAfter`). */
  arrivals = 0;
  taken = 0;
  polls = 0;
  looks = 0;
  spinsStarted = 0;
  sleeps: boolean[] = [];
  waiting = 1;
  spinCap = 0.05;
  blockAllowed = true;
  private arriveAt = -1;

  constructor(
    readonly rank: number,
    readonly blocksInARow = 1,
    readonly blockMs = 1,
  ) {
    super();
  }

  /** Something arrives at the spin's `n`th look. */
  arriveAfter(n: number): void {
    this.arriveAt = this.looks + n;
  }

  waits(): number {
    return this.waiting;
  }
  active(): boolean {
    return this.waiting > 0;
  }
  poll(): boolean {
    this.polls++;
    if (this.arrivals === 0) return false;
    this.taken += this.arrivals;
    this.arrivals = 0;
    this.onTaken?.();
    return true;
  }
  ready(): boolean {
    if (++this.looks === this.arriveAt) this.arrivals++;
    return this.arrivals > 0;
  }
  spinMs(): number {
    return this.spinCap;
  }
  spinStarts(): void {
    this.spinsStarted++;
  }
  spinEnds(): void {}
  sleep(blocking: boolean): number {
    this.sleeps.push(blocking);
    return Atomics.load(this.words, 0);
  }
  awake(): void {}
  override mayBlock(): boolean {
    return this.blockAllowed;
  }
}

/** A stand-in scheduler with `otherWaits` external waits besides its sources' (I/O, timers). */
function setup(otherWaits: number, ...sources: FakeSource[]) {
  let io = otherWaits;
  let schedules = 0;
  let onSchedule: (() => void) | null = null;
  const scheduler = {
    onIdle: null as (() => boolean) | null,
    get pendingExternalWaits() {
      return io + sources.reduce((n, s) => n + s.waiting, 0);
    },
    schedule() {
      schedules++;
      onSchedule?.();
    },
  };
  for (const source of sources) watchIdle(scheduler as unknown as Scheduler, source);
  return {
    idle: () => scheduler.onIdle!(),
    /** Sets the scheduler's external waits besides its sources' (a socket opened or closed). */
    setOtherWaits: (n: number) => (io = n),
    schedules: () => schedules,
    nextSchedule: () => new Promise<void>((resolve) => (onSchedule = resolve)),
  };
}

/** Replaces `Atomics.wait`: records each block (source word, timeout) and runs `during` in it. */
function observeBlocks(during: (call: number) => "ok" | "timed-out" = () => "timed-out") {
  const blocks: { words: Int32Array; ms: number }[] = [];
  vi.spyOn(Atomics, "wait").mockImplementation((words, _index, _value, ms) => {
    blocks.push({ words: words as unknown as Int32Array, ms: ms! });
    return during(blocks.length);
  });
  return blocks;
}

/**
 * The policy stops blocking after blocks that timed out, until results come quickly again:
 * a result found while the thread is awake says so. Each test starts from there.
 */
function warm(source: FakeSource, idle: () => boolean): void {
  source.arrivals = 1;
  expect(idle()).toBe(true);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the idle policy's decisions", () => {
  it("with only other domains to wait for, it spins, then blocks on the word of the first source by rank, polling the others in slices", () => {
    const inbox = new FakeSource(0);
    const hub = new FakeSource(1, 20);
    const turn = setup(0, hub, inbox); // registered out of rank order
    warm(inbox, turn.idle);
    const blocks = observeBlocks();
    expect(turn.idle()).toBe(false);
    expect(inbox.spinsStarted).toBe(1);
    expect(hub.spinsStarted).toBe(1);
    expect(inbox.looks).toBeGreaterThanOrEqual(128);
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    for (const block of blocks) {
      expect(block.words).toBe(inbox.words);
      expect(block.ms).toBeCloseTo(0.05); // a slice: the hub is polled between
    }
    // Both announced sleep for a block, then (the block timed out, and the inbox allows one
    // block in a row) again to park, each with a waitAsync pending.
    expect(inbox.sleeps).toEqual([true, false]);
    expect(hub.sleeps).toEqual([true, false]);
    expect(inbox.parked && hub.parked).toBe(true);
  });

  it("with I/O or timers to wait for as well, it neither spins nor blocks: it looks once more and parks", () => {
    const inbox = new FakeSource(0);
    const turn = setup(1, inbox); // a socket, say
    warm(inbox, turn.idle);
    const blocks = observeBlocks();
    inbox.arriveAfter(1); // a spin would find this at its first look
    expect(turn.idle()).toBe(false);
    expect(inbox.looks).toBe(0);
    expect(inbox.spinsStarted).toBe(0);
    expect(blocks).toEqual([]);
    expect(inbox.sleeps).toEqual([false]);
    expect(inbox.parked).toBe(true);
  });

  it("an arrival on the second source during the spin ends it: the turn returns true without blocking, and only that source's arrival is taken", () => {
    const inbox = new FakeSource(0);
    const hub = new FakeSource(1);
    const turn = setup(0, inbox, hub);
    warm(inbox, turn.idle);
    const blocks = observeBlocks();
    hub.arriveAfter(10);
    expect(turn.idle()).toBe(true);
    expect(hub.taken).toBe(1);
    expect(inbox.taken).toBe(1); // the warm-up's only
    expect(blocks).toEqual([]);
    expect(hub.looks).toBe(10);
    expect(inbox.sleeps).toEqual([]);
  });

  it("an arrival on the source not blocked on is found at the next slice: the block ends and the turn returns true", () => {
    const inbox = new FakeSource(0);
    const hub = new FakeSource(1);
    const turn = setup(0, inbox, hub);
    warm(inbox, turn.idle);
    const blocks = observeBlocks(() => {
      hub.arrivals = 1; // the hub's result lands while the thread is blocked on the inbox
      return "timed-out";
    });
    expect(turn.idle()).toBe(true);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.words).toBe(inbox.words);
    expect(hub.taken).toBe(1);
    expect(inbox.parked || hub.parked).toBe(false);
  });

  it("a source that does not allow blocking (a module loading in a domain) keeps the thread from blocking; a source asking for no spin this turn keeps it from spinning", () => {
    const runner = new FakeSource(2);
    const turn = setup(0, runner);
    warm(runner, turn.idle);
    const blocks = observeBlocks();
    runner.blockAllowed = false;
    runner.spinCap = 0; // its last result had to wake the parent
    expect(turn.idle()).toBe(false);
    expect(blocks).toEqual([]);
    expect(runner.looks).toBe(0);
    expect(runner.parked).toBe(true);
    // Allowed again: it blocks on the runner's word for its whole block time (no other source).
    runner.blockAllowed = true;
    runner.spinCap = 0.05;
    warm(runner, turn.idle);
    expect(turn.idle()).toBe(false);
    expect(runner.looks).toBeGreaterThan(0);
    expect(blocks.map((b) => [b.words, b.ms])).toEqual([[runner.words, 1]]);
  });

  it("after a block that timed out, a source with blocksInARow > 1 gets an event-loop turn and blocks again; once they all timed out it parks and stops blocking until results come again", async () => {
    const hub = new FakeSource(1, 3);
    const turn = setup(0, hub);
    warm(hub, turn.idle);
    const blocks = observeBlocks();
    for (let round = 1; round <= 2; round++) {
      const scheduled = turn.nextSchedule();
      expect(turn.idle()).toBe(false);
      expect(hub.parked).toBe(false); // not parked: it comes back after one turn
      await scheduled;
      expect(blocks).toHaveLength(round);
    }
    expect(turn.idle()).toBe(false);
    expect(blocks).toHaveLength(3);
    expect(hub.parked).toBe(true);
    // Quiet now: the next idle turn parks without blocking ...
    expect(turn.idle()).toBe(false);
    expect(blocks).toHaveLength(3);
    // ... until a result comes while the thread is awake.
    warm(hub, turn.idle);
    expect(turn.idle()).toBe(false);
    expect(blocks).toHaveLength(4);
  });

  it("a source that waits for nothing is not spun, blocked or parked on, and does not count as a cross-domain wait", () => {
    const inbox = new FakeSource(0);
    const hub = new FakeSource(1);
    const turn = setup(0, inbox, hub);
    warm(inbox, turn.idle);
    hub.waiting = 0;
    const blocks = observeBlocks();
    expect(turn.idle()).toBe(false);
    expect(hub.spinsStarted).toBe(0);
    expect(hub.sleeps).toEqual([]);
    expect(hub.parked).toBe(false);
    expect(blocks.every((b) => b.words === inbox.words && b.ms === 1)).toBe(true);
    // Nothing waits at all: the turn ends at once.
    inbox.waiting = 0;
    const looks = inbox.looks;
    expect(turn.idle()).toBe(false);
    expect(inbox.looks).toBe(looks);
  });

  it("a parked source that rings is polled and parked again; a ring counts as results coming quickly again only within the source's quickMs of parking", async () => {
    const inbox = new FakeSource(0);
    const turn = setup(0, inbox);
    warm(inbox, turn.idle);
    const blocks = observeBlocks();
    /** Another thread's producer: publishes, changes the word and notifies. */
    const ring = (): Promise<void> => {
      const taken = new Promise<void>((resolve) => (inbox.onTaken = resolve));
      inbox.arrivals = 1;
      Atomics.add(inbox.words, 0, 1);
      Atomics.notify(inbox.words, 0);
      return taken;
    };
    expect(turn.idle()).toBe(false); // blocked once, timed out, parked: quiet now
    expect(blocks).toHaveLength(1);
    expect(inbox.parked).toBe(true);

    inbox.quickMs = 0; // no ring is quick
    await ring();
    expect(inbox.taken).toBe(2);
    expect(inbox.parked).toBe(true); // re-armed at once
    expect(turn.idle()).toBe(false);
    expect(blocks).toHaveLength(1); // still quiet: no block

    inbox.quickMs = Infinity; // any ring is quick
    await ring();
    expect(inbox.taken).toBe(3);
    expect(turn.idle()).toBe(false);
    expect(blocks).toHaveLength(2); // blocking resumed
  });

  it("with I/O, a source that stays parked is not announced and looked at again at every idle turn; once the policy woke it (a ring, a spin), the next turn announces its sleep again", async () => {
    const runner = new FakeSource(2);
    const turn = setup(1, runner); // a server's thread: a socket to read
    warm(runner, turn.idle);
    expect(turn.idle()).toBe(false);
    expect(runner.sleeps).toEqual([false]);
    expect(runner.parked).toBe(true);
    // A busy server goes idle after every read: each turn polls the source once, and that is all.
    for (let i = 0; i < 3; i++) {
      const polls = runner.polls;
      expect(turn.idle()).toBe(false);
      expect(runner.polls).toBe(polls + 1);
    }
    expect(runner.sleeps).toEqual([false]);
    // Something arrives while it is parked: the producer changes the word and notifies.
    const taken = new Promise<void>((resolve) => (runner.onTaken = resolve));
    runner.arrivals = 1;
    Atomics.add(runner.words, 0, 1);
    Atomics.notify(runner.words, 0);
    await taken;
    expect(runner.sleeps).toEqual([false, false]); // the ring woke it and re-armed it, announced
    expect(turn.idle()).toBe(false);
    expect(runner.sleeps).toEqual([false, false]);
    // No I/O for a turn: the thread spins on the source (which wakes it) and finds an arrival.
    turn.setOtherWaits(0);
    runner.arriveAfter(1);
    expect(turn.idle()).toBe(true);
    expect(runner.spinsStarted).toBe(1);
    turn.setOtherWaits(1);
    expect(turn.idle()).toBe(false);
    expect(runner.sleeps).toEqual([false, false, false]); // woken by the spin: announced again
    expect(runner.parked).toBe(true);
  });

  // Last: parkAtOnce is for good, for the whole thread.
  it("a thread told to park at once (a server domain) never spins, even with only other domains to wait for", () => {
    const runner = new FakeSource(2);
    const turn = setup(0, runner);
    warm(runner, turn.idle);
    observeBlocks();
    parkAtOnce();
    runner.arriveAfter(1);
    expect(turn.idle()).toBe(false);
    expect(runner.looks).toBe(0);
    expect(runner.spinsStarted).toBe(0);
  });
});
