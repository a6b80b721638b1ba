/**
 * Vitest global setup: build `eio-ts` once before any test file runs if `dist/` is missing or
 * older than its sources. Doc examples, worker entries and benchmarks load the built package,
 * and one build up front avoids test files racing each other to rebuild it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const pkg = join(root, "packages", "eio");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const built = join(pkg, "dist", "index.js");
  const sources = Math.max(newestMtime(join(pkg, "src")), statSync(join(pkg, "package.json")).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
}
