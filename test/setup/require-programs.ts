/**
 * Vitest global setup: the Debian programs the tests run (chromium, redis-server, redis-cli,
 * redis-benchmark, strace: scripts/debian-deps.mjs) must be on this machine. No test skips for want of one: a missing program
 * stops the run here, once, with what to install. `npm test` installs them first (its pretest,
 * scripts/ensure-deps.mjs), so this only fires when vitest is run directly.
 */
import { plan, systemProbes } from "../../scripts/debian-deps.mjs";

export default function setup(): void {
  const step = plan("test", systemProbes());
  if (step.action === "none") return;
  const fix = step.action === "install" ? `\nRun npm test (its pretest installs them), or: ${step.commands.map((command) => command.join(" ")).join(" && ")}` : "";
  throw new Error(`${step.message}${fix}`);
}
