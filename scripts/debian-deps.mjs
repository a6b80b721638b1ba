// The Debian programs that `npm test` and `npm run bench` run, and what to do when some are
// missing: install them (as root, with apt-get) or stop with the exact command to run. Plain
// Node, no dependencies: it runs before anything is installed. The decision is `plan`, a pure
// function of what the machine has (the probes), and `provide` carries it out through an
// injected runner, so that both can be tested without installing anything.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Each program, the Debian package that provides it, and what uses it. */
export const PROGRAMS = {
  chromium: { package: "chromium", why: "the headless browser that renders the trace page (packages/eio/test/trace-browser.test.ts)" },
  "redis-server": { package: "redis-server", why: "the real Redis that kv-server's replies are compared with, and the benchmarks' peer" },
  "redis-cli": { package: "redis-tools", why: "the Redis client that the kv-server tests drive" },
  "redis-benchmark": { package: "redis-tools", why: "the load generator of the kv-server tests and of the benchmarks" },
  strace: { package: "strace", why: "shows the kv-server tests each fsync the server makes (--appendfsync)" },
};

/** The programs each npm script needs (`npm start` needs none: kv-server is plain Node). */
export const NEEDS = {
  test: ["chromium", "redis-server", "redis-cli", "redis-benchmark", "strace"],
  bench: ["redis-server", "redis-benchmark"],
  start: [],
};

/**
 * What this machine has: `hasProgram(name)` (on the PATH, executable), `isRoot`, `hasAptGet`.
 * @param {NodeJS.ProcessEnv} env
 */
export function systemProbes(env = process.env) {
  const hasProgram = (name) =>
    (env.PATH ?? "").split(delimiter).some((dir) => {
      if (dir === "") return false;
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return { hasProgram, isRoot: process.getuid?.() === 0, hasAptGet: hasProgram("apt-get") };
}

function packagesFor(programs) {
  return [...new Set(programs.map((name) => PROGRAMS[name].package))];
}

/** The apt-get commands that install `packages`, as argument lists. */
export function aptCommands(packages) {
  return [["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", ...packages]];
}

function shellLine(commands, prefix) {
  return commands.map((command) => prefix + command.join(" ")).join(" && ");
}

function listing(missing) {
  return missing.map((name) => `  ${name} (Debian package ${PROGRAMS[name].package}): ${PROGRAMS[name].why}`).join("\n");
}

/**
 * Decides what to do for `npm <purpose>` given the probes:
 * - `{ action: "none" }` when every program it needs is there;
 * - `{ action: "install", missing, packages, commands, message }` when some are missing and
 *   this is root with apt-get (`commands` are run with DEBIAN_FRONTEND=noninteractive);
 * - `{ action: "stop", missing, packages, message }` otherwise, the message giving the exact
 *   command to run.
 * @param {"test" | "bench" | "start"} purpose
 * @param {{ hasProgram: (name: string) => boolean, isRoot: boolean, hasAptGet: boolean }} probes
 */
export function plan(purpose, probes) {
  if (!Object.hasOwn(NEEDS, purpose)) {
    throw new TypeError(`ensure-deps: expected the npm script, one of ${Object.keys(NEEDS).join(", ")}; got ${JSON.stringify(purpose)}`);
  }
  const missing = NEEDS[purpose].filter((name) => !probes.hasProgram(name));
  if (missing.length === 0) return { action: "none" };
  const packages = packagesFor(missing);
  const commands = aptCommands(packages);
  const script = purpose === "bench" ? "npm run bench" : `npm ${purpose}`;
  const what = `${script} needs programs that this machine does not have:\n${listing(missing)}`;
  if (probes.isRoot && probes.hasAptGet) {
    return { action: "install", missing, packages, commands, message: `${what}\nInstalling them: ${shellLine(commands, "")}` };
  }
  const how = probes.hasAptGet
    ? `Run this (as root, here through sudo), then ${script} again:\n  ${shellLine(commands, "sudo ")}`
    : `This machine has no apt-get: install ${missing.join(", ")} with its package manager, then run ${script} again. On Debian:\n  ${shellLine(commands, "")}`;
  return { action: "stop", missing, packages, message: `${what}\n${how}` };
}

function runCommand([command, ...args], env) {
  execFileSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } });
}

/**
 * Carries out `plan(purpose, probe())`: nothing; or runs its apt-get commands through `run`
 * (with DEBIAN_FRONTEND=noninteractive), after logging what it installs and why, and checks
 * that the programs are there afterwards; or throws an Error with the plan's message, giving
 * the command to run. Returns the plan it carried out.
 * @param {"test" | "bench" | "start"} purpose
 */
export function provide(purpose, { probe = () => systemProbes(), run = runCommand, log = console.log } = {}) {
  const step = plan(purpose, probe());
  if (step.action === "none") return step;
  if (step.action === "stop") throw new Error(step.message);
  log(step.message);
  for (const command of step.commands) run(command, { DEBIAN_FRONTEND: "noninteractive" });
  const after = plan(purpose, probe());
  if (after.action !== "none") {
    throw new Error(`apt-get installed ${step.packages.join(", ")}, yet these are still missing: ${after.missing.join(", ")}`);
  }
  return step;
}
