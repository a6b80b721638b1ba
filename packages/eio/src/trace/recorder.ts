/**
 * The trace recorder: the scheduler's {@link Tracer}, turning its calls into {@link TraceEvent}s.
 * One per domain while something records there: `Trace.record`, a traced `Eio.run`, or (in a
 * domain) a job whose parent records. A domain's recorder ships its events to the parent's with
 * each traced job's result; wake-ups across domains are matched up when a trace is made.
 * @internal
 * @module
 */
import type { CancelContext } from "../core/cancel-context.js";
import { currentFiberOrNull, type Fiber, type Scheduler, type Tracer } from "../core/scheduler.js";
import { peekArena } from "../shared/arena.js";
import { deliveringRecord, setDeliverTracer } from "../shared/doorbell.js";
import type { TraceEvent } from "./events.js";

type CreateEvent = Extract<TraceEvent, { kind: "create" }>;
/** An event as recorded: a wake-up that came through the inbox names its waiter record. */
type Recorded = TraceEvent & { record?: number };

/** A fiber of domain `domain` handed waiter record `record` to another domain at `t`. */
interface Send {
  t: number;
  domain: number;
  fiber: number;
  record: number;
}

/** What a domain's recorder sends its parent with a traced job's result (times since the epoch). */
export interface ForeignEvents {
  events: Recorded[];
  sends: Send[];
  /** Events not kept since the last batch (see {@link MAX_EVENTS}). */
  dropped: number;
}

/**
 * A recorder keeps the first this many events and counts the rest: a traced server under load
 * makes millions, which would fill memory and draw a picture no one could open.
 */
export const MAX_EVENTS = 200_000;

/** The name a fiber gets in a trace: its function's name, or "fiber" for an anonymous one. */
function fiberName(body: unknown): string {
  const name = typeof body === "function" ? body.name : "";
  return name === "" ? "fiber" : name;
}

export class Recorder implements Tracer {
  readonly events: Recorded[] = [];
  private sends: Send[] = [];
  /** Events kept so far (own and other domains'), and those not kept. */
  private kept = 0;
  dropped = 0;
  /** Of `dropped`, those not yet sent to the parent (in a domain). */
  private droppedUnsent = 0;
  /** Events of other domains (times since our origin), from the results of traced jobs. */
  private readonly foreign: Recorded[] = [];
  private readonly foreignSends: Send[] = [];
  /** Each fiber's "create" event (fibers made before recording get one when first seen). */
  private readonly creates = new Map<number, CreateEvent>();
  /** Unnamed switches, numbered in the order they first appear. */
  private readonly switches = new Map<object, number>();

  /** `origin` is the recording's start in ms since the epoch (0: times since the epoch). */
  constructor(
    readonly domain: number,
    readonly origin: number,
  ) {}

  /** A recorder for this thread's domain, its times counted from now. */
  static startingNow(): Recorder {
    return new Recorder(peekArena()?.domainId ?? 0, performance.timeOrigin + performance.now());
  }

  /** The switch `ctx` belongs to (its own or an enclosing one's): `Switch(name)`, or `Switch#n`. */
  private switchOf(ctx: CancelContext | null): string | null {
    for (let c = ctx; c !== null; c = c.parent) {
      const owner = c.owner;
      if (owner === null) continue;
      const name = (owner as { name?: unknown }).name;
      if (typeof name === "string") return `Switch(${name})`;
      let n = this.switches.get(owner);
      if (n === undefined) this.switches.set(owner, (n = this.switches.size + 1));
      return `Switch#${n}`;
    }
    return null;
  }

  /** Microseconds since the recording started. */
  private now(): number {
    return Math.round((performance.timeOrigin + performance.now() - this.origin) * 1000);
  }

  /** Names a fiber that existed before the recording (the one that records, say) on first sight. */
  private see(fiber: Fiber, name = "fiber"): void {
    if (this.creates.has(fiber.id)) return;
    this.push({ kind: "create", t: this.now(), domain: this.domain, fiber: fiber.id, parent: null, name, switch: this.switchOf(fiber.ctx) });
  }

  private push(event: Recorded): void {
    if (!this.keep()) return;
    if (event.kind === "create") this.creates.set(event.fiber, event);
    this.events.push(event);
  }

  /** The fiber that called `Trace.record` on a new recorder: it is running now. */
  begin(fiber: Fiber): void {
    this.see(fiber, "record");
    this.push({ kind: "resume", t: this.now(), domain: this.domain, fiber: fiber.id });
  }

  /**
   * The fiber that called `Trace.record` inside a recording already going on: it runs, so its
   * part of the events starts with it running (see {@link eventsFrom}); returns where it starts.
   */
  mark(fiber: Fiber): number {
    this.see(fiber, "record");
    return this.events.length;
  }

  fiberCreated(fiber: Fiber, parent: Fiber | null, body: unknown): void {
    if (parent !== null) this.see(parent);
    this.push({
      kind: "create",
      t: this.now(),
      domain: this.domain,
      fiber: fiber.id,
      parent: parent?.id ?? null,
      name: fiberName(body),
      switch: this.switchOf(fiber.ctx),
    });
  }

  fiberResumed(fiber: Fiber): void {
    this.see(fiber);
    this.push({ kind: "resume", t: this.now(), domain: this.domain, fiber: fiber.id });
  }

  fiberSuspended(fiber: Fiber, waitingOn: string): void {
    this.see(fiber);
    this.push({ kind: "suspend", t: this.now(), domain: this.domain, fiber: fiber.id, on: waitingOn });
  }

  fiberWoken(fiber: Fiber, by: Fiber | null): void {
    this.see(fiber);
    if (by !== null) this.see(by);
    const event: Recorded = { kind: "wake", t: this.now(), domain: this.domain, fiber: fiber.id, by: by?.id ?? null, byDomain: this.domain };
    const record = by === null ? deliveringRecord() : 0;
    if (record !== 0) event.record = record;
    this.push(event);
  }

  fiberExited(fiber: Fiber, ok: boolean): void {
    this.see(fiber);
    this.push({ kind: "exit", t: this.now(), domain: this.domain, fiber: fiber.id, ok });
  }

  fiberLog(fiber: Fiber, line: string): void {
    this.see(fiber);
    this.push({ kind: "log", t: this.now(), domain: this.domain, fiber: fiber.id, line });
  }

  /** True if one more event may be kept (see {@link MAX_EVENTS}); counts it either way. */
  private keep(): boolean {
    if (this.kept < MAX_EVENTS) {
      this.kept++;
      return true;
    }
    this.dropped++;
    this.droppedUnsent++;
    return false;
  }

  /** `fiber` handed waiter record `record` to another domain (see the doorbell's `deliver`). */
  sent(fiber: Fiber, record: number): void {
    this.see(fiber);
    if (this.kept < MAX_EVENTS) this.sends.push({ t: this.now(), domain: this.domain, fiber: fiber.id, record });
  }

  /** In a domain: everything recorded since the last call, for the parent. */
  takeForeign(): ForeignEvents {
    const taken = { events: this.events.splice(0), sends: this.sends, dropped: this.droppedUnsent };
    this.sends = [];
    this.droppedUnsent = 0;
    return taken;
  }

  /** Takes in another domain's events (times since the epoch). */
  addForeign({ events, sends, dropped }: ForeignEvents): void {
    const shift = this.origin * 1000;
    for (const e of events) if (this.keep()) this.foreign.push({ ...e, t: e.t - shift });
    for (const s of sends) this.foreignSends.push({ ...s, t: s.t - shift });
    this.dropped += dropped;
  }

  /**
   * The events from index `from` of ours on, with the other domains' of the same stretch, as a
   * trace of their own: in time order, times counted from its first event, each fiber's
   * "create" first, and wake-ups that came from another domain naming the fiber that sent them.
   */
  eventsFrom(from: number, running: Fiber | null = null): TraceEvent[] {
    const own = this.events.slice(from);
    if (running !== null) own.unshift({ kind: "resume", t: own[0]?.t ?? this.now(), domain: this.domain, fiber: running.id });
    if (own.length === 0) return [];
    const t0 = own[0]!.t;
    const foreignCreates = new Map<string, Recorded>();
    for (const e of this.foreign) if (e.kind === "create") foreignCreates.set(`${e.domain}/${e.fiber}`, e);
    const merged = [...own, ...this.foreign.filter((e) => e.t >= t0)].sort((a, b) => a.t - b.t);
    // Fibers made before the stretch: their "create" comes first.
    const named = new Set<string>();
    const earlier: TraceEvent[] = [];
    const name = (domain: number, fiber: number): void => {
      const key = `${domain}/${fiber}`;
      if (named.has(key)) return;
      named.add(key);
      const create = domain === this.domain ? this.creates.get(fiber) : foreignCreates.get(key);
      if (create !== undefined) earlier.push({ ...create, t: 0 });
    };
    // Each record's sends in time order (records are reused: a wake-up is from the latest).
    const sends = new Map<number, Send[]>();
    for (const send of [...this.sends, ...this.foreignSends].sort((a, b) => a.t - b.t)) {
      const list = sends.get(send.record);
      if (list === undefined) sends.set(send.record, [send]);
      else list.push(send);
    }
    const out: TraceEvent[] = [];
    for (const e of merged) {
      if (e.kind === "create") named.add(`${e.domain}/${e.fiber}`);
      else name(e.domain, e.fiber);
      const { record, ...event } = e;
      if (event.kind === "wake" && record !== undefined) {
        const send = latestSend(sends.get(record), event.domain, e.t);
        if (send !== undefined) {
          name(send.domain, send.fiber);
          event.by = send.fiber;
          event.byDomain = send.domain;
        }
      } else if (event.kind === "wake" && event.by !== null) {
        name(event.byDomain, event.by);
      }
      out.push({ ...event, t: event.t - t0 } as TraceEvent);
    }
    return [...earlier, ...out];
  }
}

/** Of one record's sends (in time order), the last by another domain than `domain` at or before `t`. */
function latestSend(sends: readonly Send[] | undefined, domain: number, t: number): Send | undefined {
  if (sends === undefined) return undefined;
  for (let i = sends.length - 1; i >= 0; i--) {
    const s = sends[i]!;
    if (s.t <= t && s.domain !== domain) return s;
  }
  return undefined;
}

/** The recorder of `scheduler`, if it records. */
export function recorderOf(scheduler: Scheduler): Recorder | null {
  return scheduler.tracer instanceof Recorder ? scheduler.tracer : null;
}

let attached = 0;

function onDeliver(record: number): void {
  const fiber = currentFiberOrNull();
  if (fiber === null) return;
  const recorder = recorderOf(fiber.scheduler);
  if (recorder !== null) recorder.sent(fiber, record);
}

/**
 * Makes `recorder` `scheduler`'s tracer. While any recorder is attached in this thread, the
 * shared heap's doorbell tells us which fiber wakes which in another domain.
 */
export function attachRecorder(scheduler: Scheduler, recorder: Recorder): void {
  if (attached++ === 0) setDeliverTracer(onDeliver);
  scheduler.tracer = recorder;
}

/** Gives `scheduler` back the tracer it had before (`previous`). */
export function detachRecorder(scheduler: Scheduler, previous: Tracer | null): void {
  scheduler.tracer = previous;
  if (--attached === 0) setDeliverTracer(null);
}
