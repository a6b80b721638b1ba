/**
 * INFO's reply, in Redis 7.0's format: `# Section` headers, `field:value` lines, CRLF line ends
 * and an empty line between sections, with the fields that redis-cli, client libraries and
 * monitoring read (`redis_version`, `role`, `connected_clients`, `db0:keys=...`, ...). The
 * numbers are the store's own; fields for what kv-server does not have (replicas, RDB saves,
 * modules) say so as Redis does when it has none.
 * @module
 */
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import * as Storage from "./storage.js";
import * as Table from "./table.js";

/**
 * What INFO reports, gathered by the storage loop.
 *
 * @example
 * ```ts
 * const text = Info.render({ store, server: { port: 6380, dir: "data", startedAt }, clients: 3, commands: 10, opsPerSec: 0, now: Date.now() }, []);
 * ```
 */
export interface Facts {
  store: Storage.Store;
  server: { port: number; dir: string; startedAt: number };
  /** Clients connected (-1: not known here). */
  clients: number;
  /** Data commands run since the start. */
  commands: number;
  /** Data commands per second, over the last second or so. */
  opsPerSec: number;
  now: number;
  /** Clients waiting in a blocking pop. */
  blocked?: number;
}

const RUN_ID = randomBytes(20).toString("hex");

function human(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(2)}${units[unit]}`;
}

function sections(facts: Facts): [string, [string, string | number][]][] {
  const { store, server, now } = facts;
  const memory = process.memoryUsage();
  const used = memory.heapUsed + memory.arrayBuffers;
  const uptime = Math.floor((now - server.startedAt) / 1000);
  const { expires, avgTtl } = Table.expiryStats(store.table, now);
  const keys = Table.size(store.table);
  const rewriting = Storage.rewriting(store);
  const cpu = process.cpuUsage();
  return [
    ["Server", [
      ["redis_version", "7.0.0"], ["redis_git_sha1", "00000000"], ["redis_git_dirty", 0], ["redis_build_id", "0"],
      ["redis_mode", "standalone"], ["os", `${os.type()} ${os.release()} ${os.arch()}`], ["arch_bits", 64],
      ["multiplexing_api", "epoll"], ["process_id", process.pid], ["process_supervised", "no"], ["run_id", RUN_ID],
      ["tcp_port", server.port], ["server_time_usec", now * 1000], ["uptime_in_seconds", uptime],
      ["uptime_in_days", Math.floor(uptime / 86400)], ["hz", 10], ["configured_hz", 10], ["executable", process.argv[1] ?? ""],
      ["config_file", ""], ["kv_server", "eio-ts"],
    ]],
    ["Clients", [
      ["connected_clients", Math.max(facts.clients, 0)], ["cluster_connections", 0], ["blocked_clients", facts.blocked ?? 0],
      ["tracking_clients", 0], ["clients_in_timeout_table", 0],
    ]],
    ["Memory", [
      ["used_memory", used], ["used_memory_human", human(used)], ["used_memory_rss", memory.rss],
      ["used_memory_rss_human", human(memory.rss)], ["total_system_memory", os.totalmem()],
      ["total_system_memory_human", human(os.totalmem())], ["maxmemory", 0], ["maxmemory_human", "0B"],
      ["maxmemory_policy", "noeviction"], ["mem_fragmentation_ratio", (memory.rss / Math.max(used, 1)).toFixed(2)],
    ]],
    ["Persistence", [
      ["loading", 0], ["async_loading", 0], ["rdb_changes_since_last_save", store.table.counters.changes],
      ["rdb_bgsave_in_progress", 0], ["rdb_last_save_time", Math.floor(server.startedAt / 1000)],
      ["rdb_last_bgsave_status", "ok"], ["aof_enabled", 1], ["aof_rewrite_in_progress", rewriting ? 1 : 0],
      ["aof_rewrite_scheduled", 0],
      ["aof_last_rewrite_time_sec", store.stats.lastRewriteMs < 0 ? -1 : Math.round(store.stats.lastRewriteMs / 1000)],
      ["aof_rewrites", store.stats.compactions], ["aof_last_bgrewrite_status", store.stats.lastRewriteStatus],
      ["aof_last_write_status", store.stats.lastWriteStatus], ["aof_current_size", Storage.logSize(store)],
      ["aof_base_size", store.stats.baseBytes], ["aof_fsyncs", store.stats.commits],
      ["aof_last_fsync_time", Math.floor(store.stats.lastSyncAt / 1000)],
    ]],
    ["Stats", [
      ["total_commands_processed", facts.commands], ["instantaneous_ops_per_sec", facts.opsPerSec],
      ["keyspace_hits", store.table.counters.hits], ["keyspace_misses", store.table.counters.misses],
      ["expired_keys", store.table.counters.expired], ["evicted_keys", 0],
    ]],
    ["Replication", [
      ["role", "master"], ["connected_slaves", 0], ["master_failover_state", "no-failover"],
      ["master_replid", RUN_ID], ["master_repl_offset", 0], ["repl_backlog_active", 0],
    ]],
    ["CPU", [
      ["used_cpu_sys", (cpu.system / 1e6).toFixed(6)], ["used_cpu_user", (cpu.user / 1e6).toFixed(6)],
    ]],
    ["Modules", []],
    ["Errorstats", []],
    ["Cluster", [["cluster_enabled", 0]]],
    // Redis leaves out a database with no keys.
    ["Keyspace", keys === 0 ? [] : [["db0", `keys=${keys},expires=${expires},avg_ttl=${avgTtl}`]]],
  ];
}

/** The sections INFO with no argument (or `default`) shows: all of these here. */
const ALL = new Set(["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"]);

/**
 * INFO's text for the sections asked for, lower case (none, `default`, `all` or `everything`:
 * every section; names it does not know add nothing, as in Redis).
 *
 * @example
 * ```ts
 * Info.render(facts, ["keyspace"]); // "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"
 * ```
 */
export function render(facts: Facts, wanted: string[]): string {
  const every = wanted.length === 0 || wanted.some((name) => name === "default" || name === "all" || name === "everything");
  const chosen = sections(facts).filter(([name]) => every ? ALL.has(name.toLowerCase()) : wanted.includes(name.toLowerCase()));
  return chosen.map(([name, fields]) => `# ${name}\r\n${fields.map(([key, value]) => `${key}:${value}\r\n`).join("")}`).join("\r\n");
}
