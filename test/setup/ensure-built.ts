/**
 * Vitest global setup: build eio-ts and kv-server before any test file runs, each if it is
 * stale (scripts/build-if-stale.mjs). Doc examples, worker entries, benchmarks and the kv-server
 * tests load the built code, and one build up front keeps test files from racing each other to
 * rebuild it.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build-if-stale.mjs", import.meta.url))], { stdio: ["ignore", "inherit", "inherit"] });
}
