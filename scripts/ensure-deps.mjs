// The pre-hook of `npm test`, `npm run bench` and `npm start` (`node scripts/ensure-deps.mjs
// test|bench|start`), so that they work as the first commands on a fresh clone:
// 1. the Debian programs that script runs (debian-deps.mjs): installed with apt-get when
//    missing and this is root, else it stops here, before anything runs, with the command;
// 2. the npm dependencies: `npm ci` when node_modules is missing or older than package-lock.json.
// Plain Node, no dependencies: it runs before anything is installed.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { provide } from "./debian-deps.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const installed = new URL("../node_modules/.package-lock.json", import.meta.url);
const lock = new URL("../package-lock.json", import.meta.url);

try {
  provide(process.argv[2]);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(error instanceof TypeError ? 2 : 1);
}

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log("node_modules is missing or out of date: running npm ci");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}
