import { describe, expect, it } from "vitest";
import * as Config from "../src/config.js";
import * as OutputLimit from "../src/output-limit.js";

describe("Config.parse", () => {
  it("has Redis's defaults", () => {
    const config = Config.parse([], {});
    expect(config).toEqual({
      bind: "127.0.0.1", port: 6380, dir: Config.DEFAULT_DIR, domains: 0, compactBytes: 64 * 1024 * 1024,
      singleDomain: false, maxclients: 10000, requirepass: null, appendfsync: "always", timeout: 0,
      protoMaxBulkLen: 512 * 1024 * 1024, clientQueryBufferLimit: 1024 * 1024 * 1024, repairLog: null,
      clientOutputBufferLimit: OutputLimit.DEFAULT, protectedMode: true, logOpenFlags: { dsync: false, direct: false },
    });
    expect(Config.parse(["--client-output-buffer-limit", "normal 1mb 0 0"], {}).clientOutputBufferLimit.normal).toEqual({ hard: 1048576, soft: 0, softSeconds: 0 });
    expect(() => Config.parse(["--client-output-buffer-limit", "normal 1mb"], {}))
      .toThrow(`--client-output-buffer-limit must be 'CLASS HARD SOFT SECONDS' repeated, as in Redis (Wrong number of arguments in buffer limit configuration.), got "normal 1mb"`);
  });

  it("reads every option from a flag (--flag value or --flag=value) or from KV_ variables, flags first", () => {
    const config = Config.parse(
      ["--port", "7000", "--bind=127.0.0.2", "--maxclients", "5", "--requirepass", "pw", "--appendfsync", "EverySec",
        "--timeout", "30", "--proto-max-bulk-len", "2mb", "--client-query-buffer-limit=3m", "--compact-bytes", "1kb",
        "--domains", "2", "--single-domain", "--repair-log", "truncate", "--log-open-flags", "Direct,dsync"],
      { KV_PORT: "7001", KV_MAXCLIENTS: "6" },
    );
    expect(config).toMatchObject({
      port: 7000, bind: "127.0.0.2", maxclients: 5, requirepass: "pw", appendfsync: "everysec", timeout: 30,
      protoMaxBulkLen: 2 * 1024 * 1024, clientQueryBufferLimit: 3_000_000, compactBytes: 1024, domains: 2, singleDomain: true,
      repairLog: "truncate", logOpenFlags: { dsync: true, direct: true },
    });
    expect(Config.parse(["--log-open-flags", "dsync"], {}).logOpenFlags).toEqual({ dsync: true, direct: false });
    expect(Config.parse([], { KV_LOG_OPEN_FLAGS: "direct" }).logOpenFlags).toEqual({ dsync: false, direct: true });
    expect(Config.parse([], { KV_PORT: "7001", KV_APPENDFSYNC: "no", KV_PROTO_MAX_BULK_LEN: "1GB", KV_SINGLE_DOMAIN: "1", KV_REPAIR_LOG: "skip" }))
      .toMatchObject({ port: 7001, appendfsync: "no", protoMaxBulkLen: 1024 ** 3, singleDomain: true, repairLog: "skip" });
  });

  it("takes --host and KV_HOST as other names for --bind; an empty requirepass is none", () => {
    expect(Config.parse(["--host", "127.0.0.3"], {}).bind).toBe("127.0.0.3");
    expect(Config.parse([], { KV_HOST: "127.0.0.4" }).bind).toBe("127.0.0.4");
    expect(Config.parse(["--requirepass", ""], {}).requirepass).toBeNull();
  });

  it("names the flag and the value it refuses", () => {
    const bad: [string[], string][] = [
      [["--port", "65536"], '--port must be an integer from 0 to 65535, got "65536"'],
      [["--maxclients", "0"], '--maxclients must be an integer from 1 to 4294967295, got "0"'],
      [["--timeout", "-1"], '--timeout must be an integer from 0 to 2147483647, got "-1"'],
      [["--timeout", "1.5"], '--timeout must be an integer from 0 to 2147483647, got "1.5"'],
      [["--appendfsync", "sometimes"], '--appendfsync must be one of always, everysec, no, got "sometimes"'],
      [["--proto-max-bulk-len", "1000"], '--proto-max-bulk-len must be a size of at least 1048576 bytes (such as 1048576, 64mb or 1gb), got "1000"'],
      [["--proto-max-bulk-len", "1.5mb"], 'got "1.5mb"'],
      [["--client-query-buffer-limit", "1tb"], '--client-query-buffer-limit must be a size of at least 1048576 bytes'],
      [["--bind", ""], '--bind must be an address such as 127.0.0.1, got ""'],
      [["--repair-log", "yes"], '--repair-log must be skip or truncate, got "yes"'],
      [["--log-open-flags", "sync"], '--log-open-flags must be none, or a comma-separated list of dsync and direct, got "sync"'],
      [["--log-open-flags", "dsync,dsync"], 'got "dsync,dsync"'],
    ];
    for (const [argv, message] of bad) expect(() => Config.parse(argv, {}), argv.join(" ")).toThrow(message);
    expect(() => Config.parse([], { KV_MAXCLIENTS: "lots" })).toThrow('--maxclients must be an integer from 1 to 4294967295, got "lots"');
  });

  it("refuses unknown flags, a flag without its value and a value for a switch", () => {
    expect(() => Config.parse(["7000"], {})).toThrow('kv-server: unknown argument "7000"');
    expect(() => Config.parse(["--save", ""], {})).toThrow('kv-server: unknown argument "--save"');
    expect(() => Config.parse(["--port"], {})).toThrow("kv-server: --port needs a value (N)");
    expect(() => Config.parse(["--single-domain=yes"], {})).toThrow('--single-domain takes no value, got "--single-domain=yes"');
  });

  it("lists every option in the help, with its default and variable", () => {
    for (const flag of ["port", "bind", "dir", "maxclients", "requirepass", "appendfsync", "timeout", "proto-max-bulk-len", "client-query-buffer-limit", "repair-log", "compact-bytes", "domains", "single-domain", "client-output-buffer-limit", "protected-mode", "log-open-flags"]) {
      expect(Config.HELP).toMatch(new RegExp(`^  --${flag}\\b`, "m"));
      expect(Config.HELP).toContain(`env KV_${flag.toUpperCase().replaceAll("-", "_")}`);
    }
    expect(Config.HELP).toContain("default 10000, env KV_MAXCLIENTS");
  });
});
