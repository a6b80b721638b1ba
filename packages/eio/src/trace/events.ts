/**
 * What a trace is made of: one event per thing a fiber did, in the order they happened.
 * @module
 */

/**
 * One thing a fiber did, recorded by {@link record}. Every event has its kind, `t` (microseconds
 * since the recording started), the `domain` it happened in (0 for the main thread) and the
 * `fiber`'s id (unique within a domain):
 *
 * - `create`: the fiber was made, by `parent` (null for a fiber made before the recording, first
 *   seen in it), named after its function (`fiber` if anonymous) and attached to `switch`
 *   (`Switch(name)`, or null outside any switch);
 * - `resume`: it started running;
 * - `suspend`: it stopped, waiting `on` something (`Promise.await`, `Stream.take`, ...);
 * - `wake`: it became runnable, woken `by` another fiber of its domain (null: by a timer, I/O or
 *   another domain);
 * - `log`: it wrote a `traceln` `line`;
 * - `exit`: it ended, `ok` or with an error.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const trace = yield* Eio.Trace.record(() => Eio.traceln("hi"));
 *   const logs: Eio.Trace.TraceEvent[] = trace.events.filter((e) => e.kind === "log");
 *   console.log(logs.length);
 * });
 * ```
 */
export type TraceEvent =
  | {
      /** The fiber was made. */
      kind: "create";
      /** Microseconds since the recording started. */
      t: number;
      /** The domain it happened in (0: the main thread). */
      domain: number;
      /** The fiber, numbered from 0 in each domain in the order fibers first appear in the trace. */
      fiber: number;
      /** The fiber that forked it, or null for a fiber made before the recording. */
      parent: number | null;
      /** Its function's name, or `fiber` for an anonymous one. */
      name: string;
      /** Its switch: `Switch(name)`, or `Switch#n` for an unnamed one; null outside any switch. */
      switch: string | null;
    }
  | {
      /** The fiber started running. */
      kind: "resume";
      /** Microseconds since the recording started. */
      t: number;
      /** The domain it happened in (0: the main thread). */
      domain: number;
      /** The fiber, numbered from 0 in each domain in the order fibers first appear in the trace. */
      fiber: number;
    }
  | {
      /** The fiber stopped to wait. */
      kind: "suspend";
      /** Microseconds since the recording started. */
      t: number;
      /** The domain it happened in (0: the main thread). */
      domain: number;
      /** The fiber, numbered from 0 in each domain in the order fibers first appear in the trace. */
      fiber: number;
      /** What it waits on: `Promise.await`, `Stream.take`, ... */
      on: string;
    }
  | {
      /** The fiber became runnable. */
      kind: "wake";
      /** Microseconds since the recording started. */
      t: number;
      /** The domain it happened in (0: the main thread). */
      domain: number;
      /** The fiber, numbered from 0 in each domain in the order fibers first appear in the trace. */
      fiber: number;
      /** The fiber that woke it, or null (a timer, I/O, a fiber outside the trace). */
      by: number | null;
      /** The domain of the fiber that woke it (another domain's, for a shared promise or stream). */
      byDomain: number;
    }
  | {
      /** The fiber wrote a `traceln` line. */
      kind: "log";
      /** Microseconds since the recording started. */
      t: number;
      /** The domain it happened in (0: the main thread). */
      domain: number;
      /** The fiber, numbered from 0 in each domain in the order fibers first appear in the trace. */
      fiber: number;
      /** The line. */
      line: string;
    }
  | {
      /** The fiber ended. */
      kind: "exit";
      /** Microseconds since the recording started. */
      t: number;
      /** The domain it happened in (0: the main thread). */
      domain: number;
      /** The fiber, numbered from 0 in each domain in the order fibers first appear in the trace. */
      fiber: number;
      /** False if it ended with an error. */
      ok: boolean;
    };

/**
 * A recorded trace: its events in the order they happened. Make one with {@link record}; read it
 * with {@link toText}, {@link toSvg}, {@link toHtml} or {@link toChromeJson}, or walk `events`
 * yourself.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   const trace: Eio.Trace.Trace = yield* Eio.Trace.record(() => Eio.traceln("hello"));
 *   console.log(trace.events.length > 0);
 * });
 * ```
 */
export class Trace {
  /** The events, fibers numbered in each domain from 0 in the order they first appear. */
  readonly events: readonly TraceEvent[];
  /**
   * How many events came after the ones kept: a recording keeps its first 200,000 (a traced
   * server under load makes millions).
   */
  readonly dropped: number;

  /** @internal */
  constructor(events: readonly TraceEvent[], dropped = 0) {
    this.events = renumber(events);
    this.dropped = dropped;
  }
}

/**
 * Fiber ids count every fiber of the process; a trace numbers its own from 0 per domain, so the
 * same program gives the same trace on every run.
 */
function renumber(events: readonly TraceEvent[]): TraceEvent[] {
  const numbers = new Map<string, number>();
  const counts = new Map<number, number>();
  const local = (domain: number, fiber: number): number => {
    const key = `${domain}/${fiber}`;
    let n = numbers.get(key);
    if (n === undefined) {
      n = counts.get(domain) ?? 0;
      counts.set(domain, n + 1);
      numbers.set(key, n);
    }
    return n;
  };
  return events.map((e) => {
    const fiber = local(e.domain, e.fiber);
    if (e.kind === "create") return { ...e, fiber, parent: e.parent === null ? null : local(e.domain, e.parent) };
    if (e.kind === "wake") return { ...e, fiber, by: e.by === null ? null : local(e.byDomain, e.by) };
    return { ...e, fiber };
  });
}

/** @internal */
export function checkTrace(trace: unknown, what: string): Trace {
  if (!(trace instanceof Trace)) throw new TypeError(`${what}: expected a trace (from Eio.Trace.record), got ${String(trace)}`);
  return trace;
}
