/**
 * `traceln`, as in Eio: print a debugging line. It is synchronous and never switches fibers,
 * so adding traces never changes the order in which fibers run.
 * @module
 */
import { format } from "node:util";
import { currentFiberOrNull } from "./scheduler.js";

/**
 * Where traceln lines go: a function of one formatted line (no trailing newline).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const lines: string[] = [];
 * const sink: Eio.TracelnSink = (line) => lines.push(line);
 * await Eio.run(() => Eio.traceln("captured"), { traceln: sink });
 * console.log(lines);
 * ```
 */
export type TracelnSink = (line: string) => void;

/** The fiber-local key that holds the current sink. @internal */
export const tracelnKey = Object.freeze({ description: "traceln" });

// Standard error, as Eio's default. Through Node's `process.stderr`, the stream `console.error`
// and `env.stderr` write to, so traces keep their order with those. Node writes to a terminal or
// a file at once, and to a pipe at once while it has room, so when standard output and error
// share one (a terminal, `2>&1`) traces also keep their order with `console.log` and
// `env.stdout`, as Eio's flush after each line gives.
const defaultSink: TracelnSink = (line) => {
  process.stderr.write(`+${line}\n`);
};

/** Where `traceln` writes in the current fiber (the default outside fibers). @internal */
export function currentSink(): TracelnSink {
  return (currentFiberOrNull()?.vars.get(tracelnKey) as TracelnSink | undefined) ?? defaultSink;
}

/**
 * Formats its arguments like `console.log` and writes the line to the traceln sink of the
 * current fiber (by default standard error, prefixed with `+`, as Eio does). Set the sink with
 * `Eio.run(main, { traceln })`. Mirrors `Eio.traceln`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* () {
 *   Eio.traceln("x = %d", 42);
 * });
 * ```
 */
export function traceln(...args: unknown[]): void {
  const fiber = currentFiberOrNull();
  const sink = currentSink();
  const line = format(...args);
  fiber?.scheduler.tracer?.fiberLog(fiber, line);
  sink(line);
}
