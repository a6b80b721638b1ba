/**
 * The trace recorder: the scheduler's {@link Tracer}, turning its calls into {@link TraceEvent}s.
 * One recorder per domain while `Trace.record` runs there.
 * @internal
 * @module
 */
import type { CancelContext } from "../core/cancel-context.js";
import type { Fiber, Tracer } from "../core/scheduler.js";
import type { TraceEvent } from "./events.js";

/** The name a fiber gets in a trace: its function's name, or "fiber N" for an anonymous one. */
function fiberName(fiber: Fiber, body: unknown): string {
  const name = typeof body === "function" ? body.name : "";
  return name === "" ? `fiber ${fiber.id}` : name;
}

type CreateEvent = Extract<TraceEvent, { kind: "create" }>;

export class Recorder implements Tracer {
  readonly events: TraceEvent[] = [];
  /** Each fiber's "create" event (fibers made before recording get one when first seen). */
  private readonly creates = new Map<number, CreateEvent>();
  /** Unnamed switches, numbered in the order they first appear. */
  private readonly switches = new Map<object, number>();

  /** `origin` is the recording's start, in ms since the epoch (`performance.timeOrigin` based). */
  constructor(
    readonly domain: number,
    readonly origin: number,
  ) {}

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
  private see(fiber: Fiber, name = `fiber ${fiber.id}`): void {
    if (this.creates.has(fiber.id)) return;
    this.push({ kind: "create", t: this.now(), domain: this.domain, fiber: fiber.id, parent: null, name, switch: this.switchOf(fiber.ctx) });
  }

  private push(event: TraceEvent): void {
    if (event.kind === "create") this.creates.set(event.fiber, event);
    this.events.push(event);
  }

  /** The fiber that called `Trace.record`: it is running now. */
  begin(fiber: Fiber): void {
    this.see(fiber, "record");
    this.push({ kind: "resume", t: this.now(), domain: this.domain, fiber: fiber.id });
  }

  /**
   * The events from index `from` on, as a trace of their own: times count from its first event,
   * and fibers made before it get their "create" event first.
   */
  eventsFrom(from: number): TraceEvent[] {
    const slice = this.events.slice(from);
    if (slice.length === 0) return slice;
    const t0 = slice[0]!.t;
    const created = new Set<number>();
    const earlier: TraceEvent[] = [];
    const named = (fiber: number): void => {
      if (created.has(fiber)) return;
      created.add(fiber);
      earlier.push({ ...this.creates.get(fiber)!, t: t0 });
    };
    for (const e of slice) {
      if (e.kind === "create") created.add(e.fiber);
      else named(e.fiber);
      if (e.kind === "wake" && e.by !== null) named(e.by);
    }
    return [...earlier, ...slice].map((e) => ({ ...e, t: e.t - t0 }));
  }

  fiberCreated(fiber: Fiber, parent: Fiber | null, body: unknown): void {
    if (parent !== null) this.see(parent);
    this.push({
      kind: "create",
      t: this.now(),
      domain: this.domain,
      fiber: fiber.id,
      parent: parent?.id ?? null,
      name: fiberName(fiber, body),
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
    this.push({ kind: "wake", t: this.now(), domain: this.domain, fiber: fiber.id, by: by?.id ?? null });
  }

  fiberExited(fiber: Fiber, ok: boolean): void {
    this.see(fiber);
    this.push({ kind: "exit", t: this.now(), domain: this.domain, fiber: fiber.id, ok });
  }

  fiberLog(fiber: Fiber, line: string): void {
    this.see(fiber);
    this.push({ kind: "log", t: this.now(), domain: this.domain, fiber: fiber.id, line });
  }
}
