/**
 * Command-line and environment settings, under Redis's option names where Redis has one
 * (`--port`, `--bind`, `--dir`, `--maxclients`, `--requirepass`, `--appendfsync`, `--timeout`,
 * `--proto-max-bulk-len`, `--client-query-buffer-limit`), with Redis's defaults, bounds and size
 * syntax (`512mb`); `--repair-log` does at start what `redis-check-aof --fix` does. Each flag also reads `KV_` and its name in capitals (`KV_MAXCLIENTS`);
 * flags win. `kv-server --help` prints them all ({@link HELP}).
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as LogFile from "./log-file.js";
import * as OutputLimit from "./output-limit.js";

/**
 * When the log is fsynced, as Redis's `appendfsync`: `always` before every reply to a write
 * (the blog's "committed before I return"), `everysec` once a second, `no` never (the kernel
 * writes it back when it likes; a crash of the machine loses what it had not written).
 *
 * @example
 * ```ts
 * const policy: Config.Appendfsync = "everysec";
 * ```
 */
export type Appendfsync = "always" | "everysec" | "no";

/**
 * How to start on a log damaged before its end (`--repair-log`): `skip` drops only the damaged
 * bytes, `truncate` cuts the log there (as `redis-check-aof --fix`). A torn tail needs neither.
 *
 * @example
 * ```ts
 * const repair: Config.RepairLog = "truncate";
 * ```
 */
export type RepairLog = "skip" | "truncate";

/**
 * The server's settings.
 *
 * @example
 * ```ts
 * const config: Config = Config.parse(["--port", "7000", "--maxclients", "100"]);
 * ```
 */
export interface Config {
  /** Address to listen on (`--bind`, or its old name `--host`). */
  bind: string;
  port: number;
  dir: string;
  /** Connection domains besides the main one. */
  domains: number;
  /** Log size that triggers a rewrite. */
  compactBytes: number;
  /** Run the store as a fiber on the main thread instead of in a storage domain. */
  singleDomain: boolean;
  /** Clients served at once; one more gets `-ERR max number of clients reached`. */
  maxclients: number;
  /** The password AUTH must give before any other command, or null for none. */
  requirepass: string | null;
  appendfsync: Appendfsync;
  /** How the log is opened for appending (`--log-open-flags`): O_DSYNC, O_DIRECT, or neither. */
  logOpenFlags: LogFile.Flags;
  /** Close a client idle for this many seconds (0: never). */
  timeout: number;
  /** The longest bulk string a client may send, in bytes. */
  protoMaxBulkLen: number;
  /** The most bytes of an unfinished command a client may have buffered before it is closed. */
  clientQueryBufferLimit: number;
  /** How to start on a log damaged before its end, or null to refuse to start (the default). */
  repairLog: RepairLog | null;
  /** Redis's `client-output-buffer-limit`: replies a client may leave unread (none by default). */
  clientOutputBufferLimit: OutputLimit.Limits;
  /** Redis's `protected-mode`: with no password, only loopback clients are served. */
  protectedMode: boolean;
}

/**
 * `examples/kv-server/data/`, next to `src/` and `dist/`.
 *
 * @example
 * ```ts
 * Config.parse([]).dir === Config.DEFAULT_DIR; // true unless KV_DIR is set
 * ```
 */
export const DEFAULT_DIR: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "data");

interface Option {
  flag: string;
  /** What the value looks like in the help, or null for a switch. */
  value: string | null;
  initial: string;
  help: string;
}

const OPTIONS: Option[] = [
  { flag: "port", value: "N", initial: "6380", help: "TCP port (0: any free port; the address is printed)" },
  { flag: "bind", value: "ADDR", initial: "127.0.0.1", help: "address to listen on (--host is another name for it)" },
  { flag: "dir", value: "PATH", initial: "examples/kv-server/data", help: "data directory (the default is git-ignored)" },
  { flag: "maxclients", value: "N", initial: "10000", help: "clients at once; one more gets -ERR max number of clients reached" },
  { flag: "requirepass", value: "PASSWORD", initial: "", help: "clients must AUTH with it before other commands (empty: none)" },
  { flag: "appendfsync", value: "always|everysec|no", initial: "always", help: "fsync the log before each reply to a write, once a second, or never" },
  { flag: "log-open-flags", value: "none|dsync|direct", initial: "none", help: "how the log is opened: dsync is O_DSYNC (each write durable,\nno fdatasync); direct is O_DIRECT (page cache bypassed, still\nan fdatasync per batch; refused where the file system has no\ndirect I/O); direct,dsync is both" },
  { flag: "timeout", value: "SECONDS", initial: "0", help: "close a client idle this long (0: never)" },
  { flag: "proto-max-bulk-len", value: "SIZE", initial: "512mb", help: "longest bulk string a client may send" },
  { flag: "client-query-buffer-limit", value: "SIZE", initial: "1gb", help: "a client with more of a command buffered is closed" },
  { flag: "client-output-buffer-limit", value: "'CLASS HARD SOFT SECONDS'", initial: "normal 0 0 0", help: "close a client with more replies unread than HARD bytes, or than\nSOFT bytes for SECONDS (0: no limit; classes normal, pubsub)" },
  { flag: "protected-mode", value: "yes|no", initial: "yes", help: "with no requirepass, refuse clients not on the loopback interface" },
  { flag: "repair-log", value: "skip|truncate", initial: "", help: "start on a log damaged before its end: skip the bad bytes, or\ntruncate the log there (as redis-check-aof --fix); keeps kv.log.damaged" },
  { flag: "compact-bytes", value: "SIZE", initial: "64mb", help: "log size that triggers a rewrite" },
  { flag: "domains", value: "N", initial: "0", help: "connection domains besides the main one" },
  { flag: "single-domain", value: null, initial: "", help: "run the store as a fiber on the main thread, not in a domain" },
];

const ALIASES: Record<string, string> = { host: "bind" };

function envName(flag: string): string {
  return `KV_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * What `kv-server --help` prints.
 *
 * @example
 * ```ts
 * console.log(Config.HELP);
 * ```
 */
export const HELP: string = [
  "usage: kv-server [options]",
  "",
  "A Redis-protocol key-value store on eio-ts. Options (each also read from the environment",
  "variable shown; sizes as in Redis: 1048576, 1mb = 1024*1024, 1m = 1000*1000, also k and g):",
  "",
  ...OPTIONS.map((option) => {
    const left = `  --${option.flag}${option.value === null ? "" : ` ${option.value}`}`;
    const initial = option.value === null ? "off" : option.initial === "" ? "none" : option.initial;
    const help = option.help.replaceAll("\n", `\n${" ".repeat(38)}`);
    return `${left.padEnd(38)}${help}\n${" ".repeat(38)}default ${initial}, env ${envName(option.flag)}`;
  }),
  `${"  --help".padEnd(38)}print this and exit`,
].join("\n");

function invalid(flag: string, text: string, expected: string): RangeError {
  return new RangeError(`kv-server: --${flag} must be ${expected}, got ${JSON.stringify(text)} (see kv-server --help)`);
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(flag, text, `an integer from ${min} to ${max}`);
  return n;
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };

/** A size in Redis's syntax (`1048576`, `512mb`, `1g`; units in any case), at least `min`. */
function size(flag: string, text: string, min: number): number {
  const match = /^(\d+)([a-z]*)$/i.exec(text);
  const unit = match === null ? undefined : UNITS[match[2]!.toLowerCase()];
  const n = unit === undefined ? NaN : Number(match![1]) * unit;
  if (!Number.isSafeInteger(n) || n < min) throw invalid(flag, text, `a size of at least ${min} bytes (such as 1048576, 64mb or 1gb)`);
  return n;
}

function appendfsync(text: string): Appendfsync {
  const policy = text.toLowerCase();
  if (policy === "always" || policy === "everysec" || policy === "no") return policy;
  throw invalid("appendfsync", text, "one of always, everysec, no");
}

function yesNo(flag: string, text: string): boolean {
  const value = text.toLowerCase();
  if (value === "yes" || value === "no") return value === "yes";
  throw invalid(flag, text, "yes or no");
}

function outputLimit(text: string): OutputLimit.Limits {
  try {
    return OutputLimit.parse(text);
  } catch (error) {
    throw invalid("client-output-buffer-limit", text, `'CLASS HARD SOFT SECONDS' repeated, as in Redis (${(error as Error).message})`);
  }
}

function repairLog(text: string): RepairLog | null {
  const repair = text.toLowerCase();
  if (repair === "") return null;
  if (repair === "skip" || repair === "truncate") return repair;
  throw invalid("repair-log", text, "skip or truncate");
}

/**
 * Reads the settings from `argv` (without node and the script) and `env`; flags win. Throws
 * a `TypeError` for an unknown flag and a `RangeError` for a bad value, naming both.
 *
 * @example
 * ```ts
 * Config.parse(process.argv.slice(2)); // e.g. --port 7000 --dir /tmp/kv
 * Config.parse(["--proto-max-bulk-len", "1mb"]).protoMaxBulkLen; // 1048576
 * Config.parse([], { KV_PORT: "7001" }).port; // 7001
 * ```
 */
export function parse(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=([^]*))?$/.exec(arg);
    const name = match === null ? undefined : (ALIASES[match[1]!] ?? match[1]!);
    const option = OPTIONS.find((o) => o.flag === name);
    if (option === undefined) throw new TypeError(`kv-server: unknown argument ${JSON.stringify(arg)} (see kv-server --help)`);
    if (option.value === null) {
      if (match![2] !== undefined) throw new TypeError(`kv-server: --${option.flag} takes no value, got ${JSON.stringify(arg)}`);
      flags.set(option.flag, "1");
      continue;
    }
    const value = match![2] ?? argv[++i];
    if (value === undefined) throw new TypeError(`kv-server: ${arg} needs a value (${option.value})`);
    flags.set(option.flag, value);
  }
  const get = (flag: string): string => {
    const fromEnv = env[envName(flag)] ?? (flag === "bind" ? env.KV_HOST : undefined);
    return flags.get(flag) ?? fromEnv ?? OPTIONS.find((o) => o.flag === flag)!.initial;
  };
  const bind = get("bind");
  if (bind === "") throw invalid("bind", bind, "an address such as 127.0.0.1");
  const requirepass = get("requirepass");
  return {
    bind,
    port: integer("port", get("port"), 0, 65535),
    dir: path.resolve(flags.get("dir") ?? env.KV_DIR ?? DEFAULT_DIR),
    domains: integer("domains", get("domains"), 0, 64),
    singleDomain: !["", "0"].includes(get("single-domain")),
    compactBytes: size("compact-bytes", get("compact-bytes"), 1),
    maxclients: integer("maxclients", get("maxclients"), 1, 4294967295),
    requirepass: requirepass === "" ? null : requirepass,
    appendfsync: appendfsync(get("appendfsync")),
    logOpenFlags: LogFile.parseFlags(get("log-open-flags")),
    timeout: integer("timeout", get("timeout"), 0, 2147483647),
    protoMaxBulkLen: size("proto-max-bulk-len", get("proto-max-bulk-len"), 1024 * 1024),
    clientQueryBufferLimit: size("client-query-buffer-limit", get("client-query-buffer-limit"), 1024 * 1024),
    repairLog: repairLog(get("repair-log")),
    clientOutputBufferLimit: outputLimit(get("client-output-buffer-limit")),
    protectedMode: yesNo("protected-mode", get("protected-mode")),
  };
}
