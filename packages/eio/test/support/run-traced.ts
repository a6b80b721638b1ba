/** Runs a program with `traceln` captured, as Eio's MDX tests do: the lines, then the outcome. */
import * as Eio from "../../src/index.js";
import * as Mock from "../../src/mock/mock.js";

export interface Traced<T> {
  lines: string[];
  result?: T;
  error?: unknown;
}

type Main = (env: Eio.Env) => unknown;

async function capture<T>(runner: (main: Main, options: Eio.RunOptions) => globalThis.Promise<T>, main: Main): globalThis.Promise<Traced<T>> {
  const lines: string[] = [];
  const traceln = (line: string): void => {
    lines.push(line);
  };
  try {
    const result = await runner(main, { traceln });
    return { lines, result };
  } catch (error) {
    return { lines, error };
  }
}

/** `Eio.run` with traceln captured. */
export function runTraced<T>(main: Main): globalThis.Promise<Traced<T>> {
  return capture<T>((m, o) => Eio.run<T>(m, o), main);
}

/** `Eio.Mock.run` with traceln captured. */
export function mockTraced<T>(main: (env: Mock.MockEnv) => unknown): globalThis.Promise<Traced<T>> {
  return capture<T>((m, o) => Mock.run<T>(m as (env: Mock.MockEnv) => unknown, o), main as Main);
}

/** An error class whose message names it, like OCaml's `exception Cancel`. */
export class Named extends Error {
  constructor(name: string) {
    super(name);
    this.name = name;
  }
}
