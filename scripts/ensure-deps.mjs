// Runs `npm ci` when node_modules is missing or older than package-lock.json, so that
// `npm start` and `npm test` work as the first commands on a fresh clone. Plain Node, no
// dependencies: it runs before anything is installed.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const installed = new URL("../node_modules/.package-lock.json", import.meta.url);
const lock = new URL("../package-lock.json", import.meta.url);

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log("node_modules is missing or out of date: running npm ci");
  execSync("npm ci --no-audit --no-fund", { cwd: root, stdio: "inherit" });
}
