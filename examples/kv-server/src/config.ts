/**
 * Command-line and environment settings: `--port` / `KV_PORT` (default 6380), `--host` /
 * `KV_HOST` (default 127.0.0.1), `--dir` / `KV_DIR` (default `data/` in this package),
 * `--domains` / `KV_DOMAINS` (connection domains besides the main one), `--compact-bytes` /
 * `KV_COMPACT_BYTES` (log size that triggers a rewrite), `--single-domain` / `KV_SINGLE_DOMAIN=1`
 * (everything on the main thread: the store is a fiber there, not a domain of its own).
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The server's settings.
 *
 * @example
 * ```ts
 * const config: Config = Config.parse(["--port", "7000"]);
 * ```
 */
export interface Config {
  host: string;
  port: number;
  dir: string;
  domains: number;
  compactBytes: number;
  /** Run the store as a fiber on the main thread instead of in a storage domain. */
  singleDomain: boolean;
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

const USAGE = "usage: kv-server [--port N] [--host ADDR] [--dir PATH] [--domains N] [--compact-bytes N] [--single-domain]";

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`kv-server: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}\n${USAGE}`);
  }
  return n;
}

/**
 * Reads the settings from `argv` (without node and the script) and `env`; flags win.
 *
 * @example
 * ```ts
 * Config.parse(process.argv.slice(2)); // e.g. --port 7000 --dir /tmp/kv
 * Config.parse([], { KV_PORT: "7001" }).port; // 7001
 * ```
 */
export function parse(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--single-domain") {
      flags.set("single-domain", "1");
      continue;
    }
    const match = /^--(port|host|dir|domains|compact-bytes)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new TypeError(`kv-server: unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new TypeError(`kv-server: ${arg} needs a value\n${USAGE}`);
    flags.set(match[1]!, value);
  }
  const get = (flag: string, variable: string): string | undefined => flags.get(flag) ?? env[variable];
  return {
    host: get("host", "KV_HOST") ?? "127.0.0.1",
    port: integer("--port", get("port", "KV_PORT") ?? "6380", 0, 65535),
    dir: path.resolve(get("dir", "KV_DIR") ?? DEFAULT_DIR),
    domains: integer("--domains", get("domains", "KV_DOMAINS") ?? "0", 0, 64),
    singleDomain: (get("single-domain", "KV_SINGLE_DOMAIN") ?? "0") !== "0",
    compactBytes: integer("--compact-bytes", get("compact-bytes", "KV_COMPACT_BYTES") ?? String(64 * 1024 * 1024), 1, Number.MAX_SAFE_INTEGER),
  };
}
