// The measuring core shared by every suite: a scenario is one workload (say "1M items through a
// stream of capacity 1") run by several implementations; each implementation is timed with its own
// tinybench `Bench`, so slow peers can run fewer units per iteration without slowing the fast ones.
import { Bench } from "tinybench";

/**
 * Budgets for one implementation. A full run must stay under ~6 minutes on 2 shared cores, so an
 * iteration is a whole workload (often 100 ms - 2 s) and we take a few of them, not thousands.
 */
export const FULL = { time: 1500, iterations: 3, warmupIterations: 1, warmupTime: 0, maxSampleMs: 2500 };
/** `--quick`: one warm-up and two samples, for smoke tests of the harness itself. */
export const QUICK = { time: 0, iterations: 2, warmupIterations: 1, warmupTime: 0 };

/**
 * Times `impl.run(n)` and returns a row: nanoseconds per unit and units per second.
 * `impl.skip` (a string) marks an implementation that cannot run here, with the reason.
 *
 * With `budget.maxSampleMs`, a timed trial on a tenth of the workload comes first, and if the
 * whole would take longer than that, the workload is cut (to a multiple of `step`) so that a
 * sample fits: on a shared 2-core machine a spinning baseline can be 100x slower than on an idle
 * one, and the whole run must still end in minutes. The row then says `reducedFrom`. `fixedN` opts out (when n is the scenario itself).
 */
export async function measure(impl, n, budget, { step = 1, fixedN = false } = {}) {
  if (impl.skip) return { name: impl.name, n, skipped: impl.skip };
  if (impl.warmupMs !== undefined && budget.time > 0) budget = { ...budget, warmupTime: impl.warmupMs };
  const { maxSampleMs, ...options } = budget;
  const bench = new Bench({ ...options, throws: true, name: impl.name });
  let failure = null;
  let reducedFrom;
  bench.add(impl.name, async () => {
    const out = await withTimeout(impl.run(n), SAMPLE_TIMEOUT_MS, `${impl.name}: one sample took over ${SAMPLE_TIMEOUT_MS / 1000} s (hung?)`);
    // An implementation may time itself (to leave out start-up it cannot avoid).
    if (out && typeof out === "object" && typeof out.overriddenDuration === "number") return out;
    return undefined;
  });
  try {
    await withTimeout(Promise.resolve(impl.before?.()), SAMPLE_TIMEOUT_MS, `${impl.name}: setup took over ${SAMPLE_TIMEOUT_MS / 1000} s`);
    if (maxSampleMs && !fixedN && !impl.fixedN) {
      // The trial moves a tenth of the workload, so that it is short even when the machine is not.
      const trialN = Math.max(step, Math.floor(n / 10 / step) * step);
      const now = options.now ?? (() => performance.now());
      const started = now();
      await withTimeout(Promise.resolve(impl.run(trialN)), SAMPLE_TIMEOUT_MS, `${impl.name}: the trial run took over ${SAMPLE_TIMEOUT_MS / 1000} s (hung?)`);
      const expected = ((now() - started) * n) / trialN;
      if (expected > maxSampleMs) {
        const cut = Math.max(step, Math.floor((n * maxSampleMs) / expected / step) * step);
        if (cut < n) [reducedFrom, n] = [n, cut];
      }
    }
    // Single units timed alone (see `latencyStats`) count from the samples on, not the trial.
    impl.timed?.splice(0);
    await bench.run();
  } catch (error) {
    failure = error;
  } finally {
    try {
      await withTimeout(Promise.resolve(impl.after?.()), 10_000, `${impl.name}: did not stop within 10 s`);
    } catch (error) {
      failure ??= error;
    }
  }
  const task = bench.tasks[0];
  const result = task?.result;
  const error = failure ?? result?.error;
  if (error) return { name: impl.name, n, failed: describe(error) };
  const meanMs = result.latency.mean;
  const latency = impl.timed === undefined ? undefined : latencyStats(impl.timed);
  return {
    name: impl.name,
    n,
    ...(reducedFrom === undefined ? {} : { reducedFrom }),
    ...(latency === undefined ? {} : { latency }),
    samples: result.latency.samples?.length ?? task.runs,
    meanMs,
    rme: result.latency.rme,
    nsPerUnit: (meanMs * 1e6) / n,
    perSecond: n / (meanMs / 1000),
  };
}

/**
 * Mean, median, p90 and p99 (ns) of single units timed alone, from `impl.timed` (ms, pushed by
 * the implementation; the cross-thread scenarios time one round trip in 16). A sample's mean
 * hides its shape: on a shared machine a few slow units (a thread descheduled, a garbage
 * collection) weigh on it, and the median says what a unit usually costs. Undefined when no
 * unit was timed.
 */
export function latencyStats(timedMs) {
  if (timedMs.length === 0) return undefined;
  const ns = timedMs.map((ms) => ms * 1e6).sort((a, b) => a - b);
  const mid = ns.length >> 1;
  const at = (q) => ns[Math.min(ns.length - 1, Math.floor(q * ns.length))];
  return {
    count: ns.length,
    meanNs: ns.reduce((a, b) => a + b, 0) / ns.length,
    medianNs: ns.length % 2 === 1 ? ns[mid] : (ns[mid - 1] + ns[mid]) / 2,
    p90Ns: at(0.9),
    p99Ns: at(0.99),
  };
}

/** A hung implementation (say, a lost cross-thread wake-up) must fail its row, not the run. */
const SAMPLE_TIMEOUT_MS = 60_000;

async function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error) {
  const e = error?.cause && error.message?.includes("throws") ? error.cause : error;
  return `${e?.name ?? "Error"}: ${e?.message ?? String(e)}`.split("\n")[0];
}

/**
 * Runs a scenario: every implementation, then the ratios against `eio-ts` (how many times faster
 * eio-ts is than each peer; above 1 means eio-ts wins) and the issue's targets.
 */
export async function runScenario(scenario, budget, log = console.log) {
  // A scenario may ask every implementation to run it longer before the samples (never in
  // `--quick`, whose budget has no time): see `warmupMs` in suites/domains.mjs.
  if (scenario.warmupMs !== undefined && budget.time > 0) budget = { ...budget, warmupTime: scenario.warmupMs };
  const rows = scenario.interleave === undefined ? [] : await runInterleaved(scenario, budget, log);
  for (const impl of scenario.interleave === undefined ? scenario.impls : []) {
    const n = impl.n ?? scenario.n;
    const started = performance.now();
    const row = await measure(impl, n, budget, { step: scenario.step, fixedN: scenario.fixedN });
    row.seconds = Math.round((performance.now() - started) / 100) / 10;
    log(`  ${scenario.id} / ${impl.name} (n=${formatCount(n)}): ${row.skipped ?? (row.failed ? `failed: ${row.failed}` : `${row.seconds} s`)}`);
    rows.push(row);
  }
  const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
  const eio = byName["eio-ts"];
  for (const row of rows) {
    if (ok(row) && ok(eio)) row.eioSpeedup = row.nsPerUnit / eio.nsPerUnit;
    const base = scenario.baseline && byName[scenario.baseline];
    if (ok(row) && ok(base)) row.vsBaseline = base.nsPerUnit / row.nsPerUnit;
  }
  const targets = (scenario.targets ?? []).map((target) => checkTarget(target, byName));
  return { id: scenario.id, title: scenario.title, unit: scenario.unit, baseline: scenario.baseline ?? null, notes: scenario.notes ?? [], rows, targets };
}

/**
 * `scenario.interleave` rounds (the budget's `iterations` with `--quick`): every implementation
 * is set up and warmed up first, then each round takes one sample of each, in an order rotated
 * every round, and the rows are made from those samples. On a VM whose speed drifts by tens of
 * percent over seconds, rows measured one after the other compare different moments of the
 * machine; taking turns gives every row the same moments. The workload is never cut (a trial
 * would need a row of its own), and each sample is one tinybench run of one iteration.
 */
async function runInterleaved(scenario, budget, log) {
  const rounds = budget.time > 0 ? scenario.interleave : budget.iterations;
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`${scenario.id}: interleave must be a positive integer of rounds, got ${rounds}`);
  const bench = new Bench({ time: 0, iterations: 1, warmup: false, throws: false, ...(budget.now ? { now: budget.now } : {}) });
  const entries = scenario.impls.map((impl) => ({ impl, n: impl.n ?? scenario.n, samples: [], failure: null, ready: false }));
  const fail = (entry, error) => {
    entry.failure ??= error;
  };
  const live = () => entries.filter((e) => e.ready && e.failure === null);
  try {
    for (const entry of entries) {
      const { impl } = entry;
      if (impl.skip) continue;
      try {
        await withTimeout(Promise.resolve(impl.before?.()), SAMPLE_TIMEOUT_MS, `${impl.name}: setup took over ${SAMPLE_TIMEOUT_MS / 1000} s`);
        entry.ready = true;
      } catch (error) {
        fail(entry, error);
        continue;
      }
      bench.add(impl.name, async () => {
        const out = await withTimeout(impl.run(entry.n), SAMPLE_TIMEOUT_MS, `${impl.name}: one sample took over ${SAMPLE_TIMEOUT_MS / 1000} s (hung?)`);
        if (out && typeof out === "object" && typeof out.overriddenDuration === "number") return out;
        return undefined;
      });
    }
    for (const entry of live()) {
      const { impl } = entry;
      const warmupMs = budget.time > 0 ? (impl.warmupMs ?? budget.warmupTime ?? 0) : 0;
      const until = performance.now() + warmupMs;
      try {
        for (let i = 0; i < (budget.warmupIterations ?? 0) || performance.now() < until; i++) {
          await withTimeout(Promise.resolve(impl.run(entry.n)), SAMPLE_TIMEOUT_MS, `${impl.name}: a warm-up run took over ${SAMPLE_TIMEOUT_MS / 1000} s (hung?)`);
        }
      } catch (error) {
        fail(entry, error);
      }
      impl.timed?.splice(0);
      impl.beginSamples?.();
    }
    for (let round = 0; round < rounds; round++) {
      const turn = live();
      for (let k = 0; k < turn.length; k++) {
        const entry = turn[(round + k) % turn.length];
        const task = bench.getTask(entry.impl.name);
        await task.run();
        if (task.result?.error) fail(entry, task.result.error);
        else entry.samples.push(task.result.latency.samples[0]);
      }
    }
  } finally {
    for (const entry of entries) {
      if (!entry.ready) continue;
      try {
        await withTimeout(Promise.resolve(entry.impl.after?.()), 10_000, `${entry.impl.name}: did not stop within 10 s`);
      } catch (error) {
        fail(entry, error);
      }
    }
  }
  return entries.map((entry) => {
    const { impl, n, samples } = entry;
    const row = interleavedRow(impl, n, samples, entry.failure);
    log(`  ${scenario.id} / ${impl.name} (n=${formatCount(n)}): ${row.skipped ?? (row.failed ? `failed: ${row.failed}` : `${samples.length} samples taken in turns`)}`);
    return row;
  });
}

/** Student's t at 95% for 1-10 degrees of freedom (tinybench's rme uses the same). */
const T95 = [Infinity, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** A row from interleaved samples (ms per sample of `n` units), as {@link measure} makes one. */
function interleavedRow(impl, n, samples, failure) {
  if (impl.skip) return { name: impl.name, n, skipped: impl.skip };
  if (failure !== null) return { name: impl.name, n, failed: describe(failure) };
  if (samples.length === 0) return { name: impl.name, n, failed: "Error: no sample was taken" };
  const meanMs = samples.reduce((a, b) => a + b, 0) / samples.length;
  const df = samples.length - 1;
  const sd = df === 0 ? 0 : Math.sqrt(samples.reduce((a, b) => a + (b - meanMs) ** 2, 0) / df);
  const rme = df === 0 ? 0 : ((sd / Math.sqrt(samples.length)) * (T95[df] ?? 1.96) * 100) / meanMs;
  const latency = impl.timed === undefined ? undefined : latencyStats(impl.timed);
  return {
    name: impl.name,
    n,
    ...(latency === undefined ? {} : { latency }),
    samples: samples.length,
    interleaved: true,
    meanMs,
    rme,
    nsPerUnit: (meanMs * 1e6) / n,
    perSecond: n / (meanMs / 1000),
  };
}

/** True when a row holds a measurement (not skipped, not failed). */
export function ok(row) {
  return row !== undefined && typeof row.nsPerUnit === "number" && Number.isFinite(row.nsPerUnit);
}

/**
 * A target names the rows it needs and a check over them. When one of them has no measurement
 * the target is reported as "n/a" with the reason, never as met.
 */
function checkTarget(target, byName) {
  const timed = (row) => !target.needsLatency || row.latency !== undefined;
  const missing = target.needs.filter((name) => !ok(byName[name]) || !timed(byName[name]));
  if (missing.length > 0) {
    const reason = (row) => row?.skipped ?? row?.failed ?? (row === undefined ? "not run" : "no unit timed alone");
    const why = missing.map((name) => `${name}: ${reason(byName[name])}`).join("; ");
    return { text: target.text, status: "n/a", value: why };
  }
  const { met, value } = target.check(byName);
  return { text: target.text, status: met ? "met" : "not met", value };
}

/** "eio-ts at least `factor`x faster than `peer`" (per unit of work). */
export function faster(peer, factor, text) {
  return {
    text: text ?? `eio-ts at least ${factor}x ${peer}`,
    needs: ["eio-ts", peer],
    check: (r) => {
      const x = r[peer].nsPerUnit / r["eio-ts"].nsPerUnit;
      return { met: x >= factor, value: `${x.toFixed(2)}x` };
    },
  };
}

/**
 * "eio-ts within `factor`x of `peer`" (eio-ts may be slower, by at most that much); `subject`
 * names another row to hold to it instead (an eio-ts variant, or a floor).
 */
export function within(peer, factor, text, subject = "eio-ts") {
  return {
    text: text ?? `${subject} within ${factor}x of ${peer}`,
    needs: [subject, peer],
    check: (r) => {
      const x = r[subject].nsPerUnit / r[peer].nsPerUnit;
      return { met: x <= factor, value: `${subject} takes ${x.toFixed(2)}x its time` };
    },
  };
}

/**
 * "eio-ts's median within `factor`x of `peer`'s", over units timed alone (`impl.timed`): the
 * targets of the cross-thread round trips, where the mean mostly measures the machine's noise.
 * `subject` is the row held to it (eio-ts unless given: a floor may be held to another floor).
 */
export function medianWithin(peer, factor, text, subject = "eio-ts") {
  return {
    text: text ?? `${subject}'s median within ${factor}x of ${peer}'s`,
    needs: [subject, peer],
    needsLatency: true,
    check: (r) => {
      const [mine, other] = [r[subject].latency.medianNs, r[peer].latency.medianNs];
      const x = mine / other;
      return { met: x <= factor, value: `medians ${formatTime(mine)} and ${formatTime(other)}: ${subject} takes ${x.toFixed(2)}x its time` };
    },
  };
}

/** A scenario row for an implementation whose API is missing: says so instead of failing. */
export function unavailable(name, what) {
  return { name, skip: `skipped: ${what} not available`, run: () => undefined };
}

export function formatCount(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

export function formatTime(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

export function formatRate(perSecond) {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${perSecond.toFixed(1)}/s`;
}
