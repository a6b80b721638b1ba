// Builds eio-ts and kv-server, each only if its `dist/` is missing or older than its sources
// (src/, package.json, tsup.config.ts). `npm start` runs it before the server, and the tests'
// global setup before any test file: one build up front, so that test files never race each
// other to rebuild (tsup empties `dist/` first). Plain Node, no dependencies.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const packages = [
  { name: "eio-ts", dir: join(root, "packages", "eio"), built: "index.js" },
  { name: "kv-server", dir: join(root, "examples", "kv-server"), built: "main.js" },
];

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

for (const { name, dir, built } of packages) {
  const output = join(dir, "dist", built);
  const sources = Math.max(...["src", "package.json", "tsup.config.ts"].map((part) => newestMtime(join(dir, part))));
  if (existsSync(output) && statSync(output).mtimeMs >= sources) continue;
  execFileSync("npm", ["run", "build", "-w", name], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
}
