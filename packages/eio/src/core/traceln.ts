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

const defaultSink: TracelnSink = (line) => {
  process.stdout.write(`+${line}\n`);
};

/**
 * Formats its arguments like `console.log` and writes the line to the traceln sink of the
 * current fiber (by default standard output, prefixed with `+` as Eio does). Set the sink with
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
  const sink = (fiber?.vars.get(tracelnKey) as TracelnSink | undefined) ?? defaultSink;
  const line = format(...args);
  fiber?.scheduler.tracer?.fiberLog(fiber, line);
  sink(line);
}
