/**
 * The settings CONFIG SET can change while the server runs, shared by every domain (the
 * connections' and the store's) in shared memory: Redis's names and texts, as JSON behind a
 * sequence number (a seqlock: odd while written, so a reader in another domain retries rather than
 * read half a write). Readers keep the parsed settings until the number changes.
 * @module
 */
import * as OutputLimit from "./output-limit.js";

/**
 * The shared settings (send it to other domains as is: its memory is shared).
 *
 * @example
 * ```ts
 * const live: LiveConfig.Live = LiveConfig.create({ maxclients: "10000", timeout: "0" });
 * ```
 */
export interface Live {
  /** `[sequence, length]`, then the JSON's bytes. */
  readonly header: Int32Array;
  readonly bytes: Uint8Array;
}

/**
 * The settings, typed, as a connection or the store uses them.
 *
 * @example
 * ```ts
 * LiveConfig.read(live).maxclients; // 10000
 * ```
 */
export interface Settings {
  /** Every setting by its Redis name, as CONFIG GET prints it. */
  readonly text: Readonly<Record<string, string>>;
  readonly requirepass: string | null;
  readonly maxclients: number;
  readonly timeout: number;
  readonly appendfsync: "always" | "everysec" | "no";
  readonly protoMaxBulkLen: number;
  readonly clientQueryBufferLimit: number;
  readonly outputBufferLimit: OutputLimit.Limits;
  readonly protectedMode: boolean;
}

const CAPACITY = 1 << 20;
const cache = new WeakMap<Int32Array, { sequence: number; settings: Settings }>();

/**
 * Shared settings holding `text` (Redis's names to CONFIG GET's texts).
 *
 * @example
 * ```ts
 * const live = LiveConfig.create({ appendfsync: "always", "protected-mode": "yes" });
 * ```
 */
export function create(text: Record<string, string>): Live {
  const live = { header: new Int32Array(new SharedArrayBuffer(8)), bytes: new Uint8Array(new SharedArrayBuffer(CAPACITY)) };
  store(live, text);
  return live;
}

function store(live: Live, text: Record<string, string>): void {
  const json = Buffer.from(JSON.stringify(text));
  if (json.length > CAPACITY) throw new RangeError(`the settings take ${json.length} bytes, more than ${CAPACITY}`);
  Atomics.add(live.header, 0, 1);
  live.bytes.set(json);
  Atomics.store(live.header, 1, json.length);
  Atomics.add(live.header, 0, 1);
}

function typed(text: Record<string, string>): Settings {
  const number = (name: string, fallback: number): number => (text[name] === undefined ? fallback : Number(text[name]));
  return {
    text,
    requirepass: text.requirepass ? text.requirepass : null,
    maxclients: number("maxclients", 10000),
    timeout: number("timeout", 0),
    appendfsync: (text.appendfsync ?? "always") as Settings["appendfsync"],
    protoMaxBulkLen: number("proto-max-bulk-len", 512 * 1024 * 1024),
    clientQueryBufferLimit: number("client-query-buffer-limit", 1024 ** 3),
    outputBufferLimit: OutputLimit.parse(text["client-output-buffer-limit"] ?? "normal 0 0 0"),
    protectedMode: text["protected-mode"] !== "no",
  };
}

/**
 * The settings as they are now (cheap when unchanged since the last call in this domain).
 *
 * @example
 * ```ts
 * if (LiveConfig.read(live).appendfsync === "always") syncNow();
 * ```
 */
export function read(live: Live): Settings {
  for (;;) {
    const sequence = Atomics.load(live.header, 0);
    const cached = cache.get(live.header);
    if (cached !== undefined && cached.sequence === sequence) return cached.settings;
    if (sequence % 2 === 1) continue;
    const json = Buffer.from(live.bytes.subarray(0, Atomics.load(live.header, 1))).toString();
    if (Atomics.load(live.header, 0) !== sequence) continue;
    const settings = typed(JSON.parse(json) as Record<string, string>);
    cache.set(live.header, { sequence, settings });
    return settings;
  }
}

const YES_NO = new Set(["yes", "no"]);

function failed(name: string, why: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`;
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };

/** Checks one value as Redis's CONFIG SET does; returns its CONFIG GET text, or Redis's error. */
function check(name: string, value: string, current: Record<string, string>): { text: string } | { error: string } {
  const integer = (min: number, max: number, memory: boolean): { text: string } | { error: string } => {
    const match = memory ? /^(-?\d+)([a-z]*)$/i.exec(value) : /^(-?\d+)()$/.exec(value);
    const unit = match === null ? undefined : UNITS[match[2]!.toLowerCase()];
    if (unit === undefined) return { error: failed(name, memory ? "argument must be a memory value" : "argument couldn't be parsed into an integer") };
    const n = Number(match![1]) * unit;
    if (!Number.isSafeInteger(n) || n < min || n > max) return { error: failed(name, `argument must be between ${min} and ${max === Number.MAX_SAFE_INTEGER ? "9223372036854775807" : max} inclusive`) };
    return { text: String(n) };
  };
  switch (name) {
    case "requirepass": return { text: value };
    case "maxclients": return integer(1, 4294967295, false);
    case "timeout": return integer(0, 2147483647, false);
    case "proto-max-bulk-len":
    case "client-query-buffer-limit": return integer(1024 * 1024, Number.MAX_SAFE_INTEGER, true);
    case "appendfsync": {
      const policy = value.toLowerCase();
      return ["always", "everysec", "no"].includes(policy) ? { text: policy } : { error: failed(name, "argument(s) must be one of the following: everysec, always, no") };
    }
    case "protected-mode": return YES_NO.has(value.toLowerCase()) ? { text: value.toLowerCase() } : { error: failed(name, "argument must be 'yes' or 'no'") };
    case "client-output-buffer-limit":
      try {
        return { text: OutputLimit.format(OutputLimit.parse(value, OutputLimit.parse(current[name] ?? "normal 0 0 0"))) };
      } catch (error) {
        return { error: failed(name, (error as Error).message) };
      }
    case "dir": return { error: failed(name, "can't set protected config") };
    default: return current[name] !== undefined ? { error: failed(name, "can't set immutable config") } : { error: `ERR Unknown option or number of arguments for CONFIG SET - '${name}'` };
  }
}

/**
 * CONFIG SET: checks every `name value` pair as Redis does, then sets them all, or none. Returns
 * null, or Redis's error message.
 *
 * @example
 * ```ts
 * LiveConfig.set(live, [["maxclients", "100"], ["timeout", "30"]]); // null
 * LiveConfig.set(live, [["maxclients", "0"]]); // "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"
 * ```
 */
export function set(live: Live, pairs: readonly (readonly [string, string])[]): string | null {
  const current = read(live).text;
  const next: Record<string, string> = { ...current };
  const seen = new Set<string>();
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    if (seen.has(name)) return failed(name, "duplicate parameter");
    seen.add(name);
    const result = check(name, value, current);
    if ("error" in result) return result.error;
    next[name] = result.text;
  }
  store(live, next);
  return null;
}
