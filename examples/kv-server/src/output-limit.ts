/**
 * Redis's `client-output-buffer-limit`: how many bytes of replies a client may leave unread
 * before it is disconnected. A client over its `hard` limit is closed at once; one over its
 * `soft` limit for more than `softSeconds` is closed then. Zero means no limit, and Redis's
 * default for normal clients is no limit at all (`normal 0 0 0`). The replica and pubsub classes
 * are kept and reported as Redis does (pubsub applies to subscribed clients).
 * @module
 */

/**
 * One class's limits, in bytes and seconds (0: none).
 *
 * @example
 * ```ts
 * const limit: OutputLimit.Limit = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };
 * ```
 */
export interface Limit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/**
 * The limits of every client class, as `client-output-buffer-limit` holds them.
 *
 * @example
 * ```ts
 * OutputLimit.parse("normal 64mb 16mb 30").normal.hard; // 67108864
 * ```
 */
export interface Limits {
  normal: Limit;
  replica: Limit;
  pubsub: Limit;
}

/**
 * Redis 7.0's defaults: `normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60`.
 *
 * @example
 * ```ts
 * OutputLimit.DEFAULT.normal.hard; // 0: normal clients have no limit, as in Redis
 * ```
 */
export const DEFAULT: Readonly<Limits> = Object.freeze({
  normal: { hard: 0, soft: 0, softSeconds: 0 },
  replica: { hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60 },
  pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 },
});

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };

function memory(text: string): number | null {
  const match = /^(\d+)([a-z]*)$/i.exec(text);
  const unit = match === null ? undefined : UNITS[match[2]!.toLowerCase()];
  const n = unit === undefined ? NaN : Number(match![1]) * unit;
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Reads Redis's syntax, `<class> <hard> <soft> <soft-seconds>` repeated, onto `base` (the
 * classes not named keep their limits). Throws a `RangeError` with Redis's CONFIG SET message.
 *
 * @example
 * ```ts
 * OutputLimit.parse("normal 10mb 5mb 10").normal; // { hard: 10485760, soft: 5242880, softSeconds: 10 }
 * OutputLimit.parse("normal 10mb"); // throws: Wrong number of arguments in buffer limit configuration.
 * ```
 */
export function parse(text: string, base: Readonly<Limits> = DEFAULT): Limits {
  const words = text.split(/\s+/).filter((word) => word !== "");
  if (words.length === 0 || words.length % 4 !== 0) throw new RangeError("Wrong number of arguments in buffer limit configuration.");
  const limits: Limits = { normal: { ...base.normal }, replica: { ...base.replica }, pubsub: { ...base.pubsub } };
  for (let i = 0; i < words.length; i += 4) {
    const name = words[i]!.toLowerCase();
    const key = name === "slave" || name === "replica" ? "replica" : name === "normal" || name === "pubsub" ? name : null;
    if (key === null) throw new RangeError("Invalid client class specified in buffer limit configuration.");
    const hard = memory(words[i + 1]!);
    const soft = memory(words[i + 2]!);
    const softSeconds = /^\d+$/.test(words[i + 3]!) ? Number(words[i + 3]) : null;
    if (hard === null || soft === null || softSeconds === null || !Number.isSafeInteger(softSeconds)) {
      throw new RangeError("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    }
    limits[key] = { hard, soft, softSeconds };
  }
  return limits;
}

/**
 * Redis's CONFIG GET text for the limits.
 *
 * @example
 * ```ts
 * OutputLimit.format(OutputLimit.DEFAULT); // "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
 * ```
 */
export function format(limits: Readonly<Limits>): string {
  const one = (name: string, limit: Limit): string => `${name} ${limit.hard} ${limit.soft} ${limit.softSeconds}`;
  return [one("normal", limits.normal), one("slave", limits.replica), one("pubsub", limits.pubsub)].join(" ");
}

/**
 * The message Redis logs when it closes a client over its limit.
 *
 * @example
 * ```ts
 * console.log(OutputLimit.closedMessage("id=3 addr=127.0.0.1:50000", "hard limit of 33554432 bytes"));
 * ```
 */
export function closedMessage(client: string, why: string): string {
  return `kv-server: client ${client} closed for overcoming of output buffer limits (${why}).`;
}
