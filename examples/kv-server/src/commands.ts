/**
 * The data commands, run by the storage loop against the table: each takes the request's
 * arguments and returns the encoded reply. Unknown names and wrong arity are answered on the
 * connection side (`session.ts`), with Redis's exact messages, before anything is queued.
 *
 * Each family has its own table: strings (`string-commands.ts`), keys (`key-commands.ts`),
 * hashes, lists, sets and sorted sets (`hash-commands.ts` ... `zset-commands.ts`). Connection
 * commands (PING, HELLO, CLIENT, ...) live in `session.ts`: they touch no data.
 * @module
 */
import * as CommandName from "./command-name.js";
import type { Context, DataCommand } from "./data-command.js";
import { Errors } from "./errors.js";
import { bitmapCommands } from "./bitmap-commands.js";
import { hashCommands } from "./hash-commands.js";
import { keyCommands } from "./key-commands.js";
import { listCommands } from "./list-commands.js";
import * as Resp from "./resp.js";
import { setCommands } from "./set-commands.js";
import { stringCommands } from "./string-commands.js";
import type * as Table from "./table.js";
import { zsetCommands } from "./zset-commands.js";

export type { Context, DataCommand } from "./data-command.js";
export { Errors, MAX_STRING } from "./errors.js";
export { parseInteger } from "./numbers.js";

const NO_CONTEXT: Context = { info: () => "" };

/**
 * The data commands by lower-case name, with Redis's arity (negative: at least that many).
 *
 * @example
 * ```ts
 * dataCommands.get("set")?.arity; // -3: SET key value [options...]
 * ```
 */
export const dataCommands: ReadonlyMap<string, { arity: number; run: DataCommand }> = new Map(
  [stringCommands, bitmapCommands, keyCommands, hashCommands, listCommands, setCommands, zsetCommands].flatMap((family) => Object.entries(family)),
);

/**
 * True when `args` has the number of arguments that `arity` allows (Redis's convention).
 *
 * @example
 * ```ts
 * arityOk(-3, ["SET", "k"]); // false
 * arityOk(2, ["GET", "k"]);  // true
 * ```
 */
export function arityOk(arity: number, args: readonly unknown[]): boolean {
  return arity >= 0 ? args.length === arity : args.length >= -arity;
}

/**
 * Runs one data command and returns the reply bytes. The storage loop calls it; a command that
 * throws (a bug, or a reply too large to build) becomes an error reply, not a crash of the
 * storage domain.
 *
 * @example
 * ```ts
 * const args = ["INCR", "n"].map((a) => Buffer.from(a));
 * execute(table, args, Date.now()).toString(); // ":1\r\n"
 * ```
 */
export function execute(table: Table.Table, args: Buffer[], now: number, context: Context = NO_CONTEXT): Buffer {
  const name = CommandName.of(args[0]!);
  const command = dataCommands.get(name);
  if (command === undefined) return Resp.error(Errors.unknown(args));
  if (!arityOk(command.arity, args)) return Resp.error(Errors.arity(name));
  try {
    return command.run(table, args, now, context);
  } catch (error) {
    return Resp.error(`ERR internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
