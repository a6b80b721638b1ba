// The pre-hook's decisions (scripts/debian-deps.mjs) for every kind of machine, with the
// probes injected, so nothing is installed; and the hook itself on a PATH without the programs.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NEEDS, type Plan, plan, provide, systemProbes } from "../scripts/debian-deps.mjs";

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

describe("provide (carrying the plan out, with a fake apt-get)", () => {
  /** A machine whose fake apt-get "installs" the programs of the packages it is given. */
  function fakeMachine(programs: string[], { isRoot = true, installs = true } = {}) {
    const have = new Set(programs);
    const ran: { command: string[]; env: Record<string, string> }[] = [];
    const logged: string[] = [];
    const byPackage: Record<string, string[]> = { chromium: ["chromium"], "redis-server": ["redis-server"], "redis-tools": ["redis-cli", "redis-benchmark"], strace: ["strace"] };
    const io = {
      probe: () => ({ hasProgram: (name: string) => have.has(name), isRoot, hasAptGet: true }),
      run: (command: string[], env: Record<string, string>) => {
        ran.push({ command, env });
        if (installs && command[1] === "install") for (const pkg of command.slice(4)) for (const name of byPackage[pkg]!) have.add(name);
      },
      log: (message: string) => logged.push(message),
    };
    return { io, ran, logged };
  }

  it("runs apt-get update, then install, non-interactively, after saying what and why", () => {
    const { io, ran, logged } = fakeMachine(["chromium", "strace"]);
    expect(provide("test", io).action).toBe("install");
    expect(ran).toEqual([
      { command: ["apt-get", "update"], env: { DEBIAN_FRONTEND: "noninteractive" } },
      { command: ["apt-get", "install", "-y", "--no-install-recommends", "redis-server", "redis-tools"], env: { DEBIAN_FRONTEND: "noninteractive" } },
    ]);
    expect(logged.join("\n")).toMatch(/redis-server \(Debian package redis-server\): the real Redis[^]*Installing them: apt-get update && apt-get install/);
  });

  it("runs nothing when all is there, and throws the command when not root", () => {
    const present = fakeMachine(ALL);
    expect(provide("test", present.io)).toEqual({ action: "none" });
    expect(present.ran).toEqual([]);
    const user = fakeMachine([], { isRoot: false });
    expect(() => provide("bench", user.io)).toThrow("sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server redis-tools");
    expect(user.ran).toEqual([]);
  });

  it("fails when apt-get ran but a program is still missing", () => {
    const { io } = fakeMachine([], { installs: false });
    expect(() => provide("bench", io)).toThrow("apt-get installed redis-server, redis-tools, yet these are still missing: redis-server, redis-benchmark");
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
