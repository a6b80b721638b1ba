/**
 * `fc.assert` for this repository's property tests: a failure says how to replay it, and the
 * `FC_SEED` (and `FC_PATH`) environment variables replay it. Every property test goes through
 * {@link assertProperty}, so one failure in CI can be run again on any machine:
 *
 *   FC_SEED=-1534826174 FC_PATH=12:0:1 npx vitest run packages/eio/test/shared/codec.test.ts -t 'records of any keys'
 *
 * `FC_SEED` alone runs the same values in the same order (and shrinks again); with `FC_PATH` as
 * well, fast-check goes straight to the shrunk counterexample.
 */
import fc from "fast-check";
import { expect } from "vitest";

/** The replay parameters from `FC_SEED` and `FC_PATH`, or none when `FC_SEED` is unset. */
export function replayParameters(env: Record<string, string | undefined> = process.env): { seed?: number; path?: string } {
  const seedText = env.FC_SEED;
  const path = env.FC_PATH;
  if (seedText === undefined || seedText === "") {
    if (path !== undefined && path !== "") throw new Error(`FC_PATH (${path}) needs FC_SEED too: set both as the failure printed them`);
    return {};
  }
  const seed = Number(seedText);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer (the seed a failed property printed), got ${JSON.stringify(seedText)}`);
  return path !== undefined && path !== "" ? { seed, path } : { seed };
}

/** `text` quoted for a POSIX shell. */
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** The command that replays `details` from the test that is running now. */
function replayCommand(details: fc.RunDetails<unknown>): string {
  const { testPath, currentTestName } = expect.getState();
  const file = testPath === undefined ? "<test file>" : testPath.startsWith(process.cwd() + "/") ? testPath.slice(process.cwd().length + 1) : testPath;
  // `-t` is a regular expression matched against the test's name.
  const name = currentTestName?.split(" > ").pop();
  const only = name === undefined ? "" : ` -t ${shellQuote(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))}`;
  const path = details.counterexamplePath === null ? "" : ` FC_PATH=${details.counterexamplePath}`;
  return `FC_SEED=${details.seed}${path} npx vitest run ${file}${only}`;
}

function failure(details: fc.RunDetails<unknown>, report: string | undefined): Error {
  const error = new Error(`${report ?? "Property failed"}\n\nReplay: ${replayCommand(details)}`);
  if (details.errorInstance !== null) error.cause = details.errorInstance;
  return error;
}

/**
 * `fc.assert(property, params)` with the seed (and path) of `FC_SEED`/`FC_PATH` when set, and a
 * failure message that ends with the command that replays it.
 */
export function assertProperty<Ts>(property: fc.IAsyncProperty<Ts>, params?: fc.Parameters<Ts>): Promise<void>;
export function assertProperty<Ts>(property: fc.IProperty<Ts>, params?: fc.Parameters<Ts>): void;
export function assertProperty<Ts>(property: fc.IRawProperty<Ts>, params: fc.Parameters<Ts> = {}): void | Promise<void> {
  const all = { ...params, ...replayParameters() };
  if (property.isAsync()) {
    return (fc.check(property, all) as Promise<fc.RunDetails<Ts>>).then(async (details) => {
      if (details.failed) throw failure(details as fc.RunDetails<unknown>, await fc.asyncDefaultReportMessage(details));
    });
  }
  const details = fc.check(property, all) as fc.RunDetails<Ts>;
  if (details.failed) throw failure(details as fc.RunDetails<unknown>, fc.defaultReportMessage(details));
}
