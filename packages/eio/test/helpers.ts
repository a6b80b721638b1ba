/**
 * Test helpers: run a program and collect what it printed with `Eio.traceln`, then its outcome,
 * as one list of lines (the shape of Eio's MDX tests: output, then the result or exception).
 */
import * as Eio from "../src/index.js";
import type { Env } from "../src/index.js";

/** A short, stable rendering of a thrown value, nesting causes and combined errors. */
export function show(error: unknown): string {
  if (error instanceof Eio.MultipleErrors) return `MultipleErrors[${error.errors.map(show).join(", ")}]`;
  if (error instanceof Eio.Cancel.Cancelled) return `Cancelled(${show(error.cause)})`;
  if (error instanceof Error) return error.name === "Error" ? error.message : `${error.name}: ${error.message}`;
  if (typeof error === "symbol") return error.description ?? "symbol";
  return String(error);
}

/**
 * Runs `main` under `Eio.run`, returning the traced lines followed by `-> value` or
 * `!! error` (rendered by {@link show}).
 */
export async function traced(main: (env: Env) => unknown, options: Eio.RunOptions = {}): Promise<string[]> {
  const lines: string[] = [];
  try {
    const value = await Eio.run(main, { ...options, traceln: (line) => lines.push(line) });
    if (value !== undefined) lines.push(`-> ${typeof value === "string" ? value : JSON.stringify(value)}`);
  } catch (error) {
    lines.push(`!! ${show(error)}`);
  }
  return lines;
}

/** Eio's `Failure "msg"`: a plain error with a message. */
export function failure(message: string): Error {
  return new Error(message);
}

export { Eio };
