// The pre-hook's decisions (scripts/debian-deps.mjs) for every kind of machine, with the
// probes injected, so nothing is installed; and the hook itself on a PATH without the programs.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NEEDS, type Plan, plan, systemProbes } from "../scripts/debian-deps.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const machine = (programs: string[], isRoot: boolean, hasAptGet: boolean) => ({
  hasProgram: (name: string) => programs.includes(name),
  isRoot,
  hasAptGet,
});
/** The message of a plan that stops or installs (and fails the test for one that does neither). */
function messageOf(step: Plan): string {
  if (step.action === "none") throw new Error("expected a plan that stops or installs, got none");
  return step.message;
}
const ALL = ["chromium", "redis-server", "redis-cli", "redis-benchmark", "strace"];

describe("plan (what the pre-hook does)", () => {
  it("does nothing when every program is there, whoever runs it", () => {
    for (const [isRoot, hasAptGet] of [[true, true], [false, true], [false, false]] as const) {
      expect(plan("test", machine(ALL, isRoot, hasAptGet))).toEqual({ action: "none" });
    }
    expect(plan("bench", machine(["redis-server", "redis-benchmark"], false, false))).toEqual({ action: "none" });
  });

  it("installs only the packages of the missing programs when root has apt-get", () => {
    const step = plan("test", machine(["redis-server", "strace"], true, true));
    expect(step.action).toBe("install");
    if (step.action !== "install") return;
    expect(step.missing).toEqual(["chromium", "redis-cli", "redis-benchmark"]);
    // redis-cli and redis-benchmark are both in redis-tools: installed once.
    expect(step.commands).toEqual([
      ["apt-get", "update"],
      ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "redis-tools"],
    ]);
    expect(messageOf(step)).toMatch(/chromium \(Debian package chromium\): the headless browser/);
    expect(messageOf(step)).toMatch(/redis-benchmark \(Debian package redis-tools\): the load generator/);
  });

  it("stops with the exact sudo command when not root", () => {
    const step = plan("test", machine(["chromium", "redis-cli", "redis-benchmark", "strace"], false, true));
    expect(step.action).toBe("stop");
    expect(messageOf(step)).toContain("sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server\n".trimEnd());
    expect(messageOf(step)).toContain("then npm test again");
  });

  it("stops and names the programs when there is no apt-get, even as root", () => {
    const step = plan("bench", machine([], true, false));
    expect(step.action).toBe("stop");
    expect(messageOf(step)).toContain("This machine has no apt-get: install redis-server, redis-benchmark with its package manager, then run npm run bench again");
    expect(messageOf(step)).toContain("apt-get install -y --no-install-recommends redis-server redis-tools");
    expect(messageOf(step)).not.toContain("chromium");
  });

  it("asks for nothing for npm start, and refuses an unknown script", () => {
    expect(NEEDS.start).toEqual([]);
    expect(plan("start", machine([], false, false))).toEqual({ action: "none" });
    expect(() => plan("tset" as "test", machine(ALL, true, true))).toThrow('expected the npm script, one of test, bench, start; got "tset"');
  });

  it("probes the PATH for executables", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ensure-deps-"));
    try {
      fs.writeFileSync(path.join(dir, "redis-cli"), "#!/bin/sh\n", { mode: 0o755 });
      fs.writeFileSync(path.join(dir, "chromium"), "not executable", { mode: 0o644 });
      const probes = systemProbes({ PATH: dir });
      expect(probes.hasProgram("redis-cli")).toBe(true);
      expect(probes.hasProgram("chromium")).toBe(false);
      expect(probes.hasAptGet).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("scripts/ensure-deps.mjs", () => {
  // A PATH with node alone: no apt-get, no redis, no chromium.
  function run(...args: string[]) {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ensure-deps-bin-"));
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    try {
      return spawnSync(path.join(bin, "node"), [path.join(root, "scripts", "ensure-deps.mjs"), ...args], { env: { PATH: bin }, encoding: "utf8" });
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  }

  it("stops before anything runs, printing the command, when programs are missing", () => {
    const result = run("test");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("npm test needs programs that this machine does not have");
    expect(result.stderr).toContain("apt-get update && apt-get install -y --no-install-recommends chromium redis-server redis-tools strace");
    expect(result.stdout).not.toContain("npm ci");
  });

  it("needs no Debian program for npm start, and rejects a missing argument", () => {
    expect(run("start").status).toBe(0);
    const bad = run();
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("got undefined");
  });
});
