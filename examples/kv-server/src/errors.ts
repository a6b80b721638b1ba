/**
 * Redis 7.0's error replies, word for word.
 * @module
 */

/**
 * Redis's error replies, word for word.
 *
 * @example
 * ```ts
 * Resp.error(Errors.arity("get")); // -ERR wrong number of arguments for 'get' command
 * ```
 */
export const Errors = {
  syntax: "ERR syntax error",
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  overflow: "ERR increment or decrement would overflow",
  nanOrInfinity: "ERR increment would produce NaN or Infinity",
  mustBePositive: "ERR value is out of range, must be positive",
  noKey: "ERR no such key",
  indexOutOfRange: "ERR index out of range",
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  tooLong: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  invalidCursor: "ERR invalid cursor",
  minMaxNotFloat: "ERR min or max is not a float",
  minMaxNotLex: "ERR min or max not valid string range item",
  arity: (name: string) => `ERR wrong number of arguments for '${name}' command`,
  expireTime: (name: string) => `ERR invalid expire time in '${name}' command`,
  unknownSubcommand: (sub: Buffer, command: string) =>
    `ERR unknown subcommand '${sub.toString("latin1").slice(0, 128)}'. Try ${command.toUpperCase()} HELP.`,
  unknown(args: Buffer[]): string {
    let rest = "";
    for (let i = 1; i < args.length && rest.length < 128; i++) {
      rest += `'${args[i]!.toString("latin1").slice(0, 128 - rest.length)}' `;
    }
    return `ERR unknown command '${args[0]!.toString("latin1").slice(0, 128)}', with args beginning with: ${rest}`;
  },
} as const;

/**
 * The longest string a value may grow to, as Redis's default `proto-max-bulk-len` (512 MB).
 *
 * @example
 * ```ts
 * Buffer.alloc(MAX_STRING + 1); // APPEND refuses to make this
 * ```
 */
export const MAX_STRING = 512 * 1024 * 1024;
