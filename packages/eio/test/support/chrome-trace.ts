/**
 * The rules of Chrome's trace-event format (the JSON Object Format that Perfetto and
 * chrome://tracing read) that a trace from `Trace.toChromeJson` must keep. Throws the first rule
 * broken, naming the event; returns the parsed events.
 */
export interface ChromeEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  id?: number;
  cat?: string;
  bp?: string;
  s?: string;
  args?: Record<string, unknown>;
}

export function checkChromeTrace(json: string): ChromeEvent[] {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { traceEvents?: unknown }).traceEvents)) {
    throw new Error("not the JSON Object Format: no traceEvents array");
  }
  const events = (parsed as { traceEvents: ChromeEvent[] }).traceEvents;
  const fail = (e: ChromeEvent, rule: string): never => {
    throw new Error(`${rule}: ${JSON.stringify(e)}`);
  };
  const isInt = (v: unknown): boolean => Number.isInteger(v);
  const track = (e: ChromeEvent): string => `${e.pid}/${e.tid}`;
  const processNames = new Set<number>();
  const threadNames = new Set<string>();
  const slices = new Map<string, ChromeEvent[]>();
  const begins = new Map<string, number>();
  const flows = new Map<number, { s: ChromeEvent[]; f: ChromeEvent[] }>();
  for (const e of events) {
    if (typeof e.name !== "string" || typeof e.ph !== "string" || !isInt(e.pid) || !isInt(e.tid)) fail(e, "every event has a name, ph, pid and tid");
    if (e.ph !== "M" && (typeof e.ts !== "number" || !Number.isFinite(e.ts) || e.ts < 0)) fail(e, "every event but metadata has a time ts >= 0");
    switch (e.ph) {
      case "M":
        if (typeof e.args?.name !== "string" && typeof e.args?.sort_index !== "number") fail(e, "a metadata event has args.name or args.sort_index");
        if (e.name === "process_name") processNames.add(e.pid);
        else if (e.name === "thread_name") threadNames.add(track(e));
        else if (e.name !== "process_sort_index" && e.name !== "thread_sort_index") fail(e, "unknown metadata event");
        break;
      case "X": {
        if (typeof e.dur !== "number" || !Number.isFinite(e.dur) || e.dur < 0) fail(e, "a complete event (X) has a duration dur >= 0");
        const list = slices.get(track(e));
        if (list === undefined) slices.set(track(e), [e]);
        else list.push(e);
        break;
      }
      case "B":
      case "E":
        begins.set(track(e), (begins.get(track(e)) ?? 0) + (e.ph === "B" ? 1 : -1));
        if (begins.get(track(e))! < 0) fail(e, "an end (E) without its begin (B) on its track");
        break;
      case "i":
        if (e.s !== "t" && e.s !== "p" && e.s !== "g") fail(e, 'an instant event has a scope s of "t", "p" or "g"');
        break;
      case "s":
      case "f": {
        if (!isInt(e.id) || typeof e.cat !== "string") fail(e, "a flow event has an integer id and a cat");
        if (e.ph === "f" && e.bp !== "e") fail(e, 'a flow end binds to its enclosing slice (bp: "e")');
        let pair = flows.get(e.id!);
        if (pair === undefined) flows.set(e.id!, (pair = { s: [], f: [] }));
        pair[e.ph].push(e);
        break;
      }
      default:
        fail(e, "a phase this trace does not use");
    }
  }
  for (const [at, open] of begins) if (open !== 0) throw new Error(`track ${at}: ${open} begin events (B) without their end (E)`);
  for (const e of events) {
    if (!processNames.has(e.pid)) fail(e, "no process_name metadata names this pid");
    if (e.tid !== 0 && !threadNames.has(track(e))) fail(e, "no thread_name metadata names this tid");
  }
  // Slices on a track are disjoint or nested, never crossing.
  for (const list of slices.values()) {
    const sorted = [...list].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const open: ChromeEvent[] = [];
    for (const e of sorted) {
      while (open.length > 0 && open[open.length - 1]!.ts! + open[open.length - 1]!.dur! <= e.ts!) open.pop();
      const outer = open[open.length - 1];
      if (outer !== undefined && e.ts! + e.dur! > outer.ts! + outer.dur!) fail(e, `a slice crosses the end of ${JSON.stringify(outer)} on its track`);
      open.push(e);
    }
  }
  // Each flow id: one start and one end, the end not before the start, each inside a slice of its
  // track (where Perfetto and chrome://tracing bind them).
  const inSlice = (e: ChromeEvent): boolean => (slices.get(track(e)) ?? []).some((x) => x.ts! <= e.ts! && e.ts! <= x.ts! + x.dur!);
  for (const [id, { s, f }] of flows) {
    if (s.length !== 1 || f.length !== 1) throw new Error(`flow id ${id}: ${s.length} starts and ${f.length} ends, not one of each`);
    if (f[0]!.ts! < s[0]!.ts!) fail(f[0]!, "a flow ends before it starts");
    if (f[0]!.cat !== s[0]!.cat || f[0]!.name !== s[0]!.name) fail(f[0]!, "a flow's ends differ in cat or name");
    for (const end of [s[0]!, f[0]!]) if (!inSlice(end)) fail(end, "a flow event outside every slice of its track");
  }
  return events;
}
