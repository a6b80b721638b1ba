/**
 * The env of each run: how `Eio.run` makes it, and how it and its parts cross domains as
 * capabilities (each arrives as the receiving domain's own). The public `Stdenv` module only
 * reads an env.
 * @internal
 * @module
 */
import { currentFiberOrNull, type Scheduler } from "./core/scheduler.js";
import { DomainManager } from "./domains/domain-manager-type.js";
import { monoClock as systemMonoClock, systemClock } from "./io/clock.js";
import { cwdDir, fsDir } from "./io/dir.js";
import { theNet } from "./io/net-system.js";
import { Path } from "./io/path.js";
import { theProcessMgr } from "./io/process-impl.js";
import { stderr, stdin, stdout } from "./io/stdio.js";
import { markCapability, registerCapability } from "./shared/index.js";
import type { Env } from "./stdenv.js";

const defaultDomainManager = new DomainManager(undefined);

/** @internal */
export function makeEnv(scheduler: Scheduler): Env {
  return {
    cwd: new Path(cwdDir(), ""),
    fs: theFs,
    stdin,
    stdout,
    stderr,
    net: theNet,
    clock: systemClock,
    monoClock: systemMonoClock,
    domainMgr: defaultDomainManager,
    processMgr: theProcessMgr,
    scheduler,
  };
}

/**
 * The envs of this thread's runs that have not finished, newest last. A worker domain has
 * exactly one: the env that values sent to it revive into.
 */
const liveEnvs: Env[] = [];

/**
 * Makes `env` the one this domain's received capabilities revive into, until
 * {@link leaveEnv}; marks it and its parts so that they cross domains as capabilities: sent in
 * a value, each arrives as the receiving domain's own (as in Eio, where a function run in
 * another domain uses the env's resources from there). @internal
 */
export function enterEnv(env: Env): void {
  liveEnvs.push(env);
  markCapability(env, "env");
  markCapability(env.scheduler, "scheduler");
  markCapability(env.monoClock, "monoClock");
  markCapability(env.clock, "clock"); // after monoClock: a mock env's one clock crosses as `clock`
  markCapability(env.cwd, "cwd");
}

/** @internal */
export function leaveEnv(env: Env): void {
  const index = liveEnvs.lastIndexOf(env);
  if (index >= 0) liveEnvs.splice(index, 1);
}

/**
 * The env that capabilities received here revive into: that of the run whose fiber decodes the
 * value, else the newest run of this thread (outside any run: the system's parts).
 */
function receivingEnv(): Env {
  const fiber = currentFiberOrNull();
  if (fiber !== null) {
    for (let i = liveEnvs.length - 1; i >= 0; i--) if (liveEnvs[i]!.scheduler === fiber.scheduler) return liveEnvs[i]!;
  }
  return liveEnvs[liveEnvs.length - 1] ?? makeEnv(undefined as unknown as Scheduler);
}

const theFs = new Path(fsDir, "");

markCapability(theNet, "net");
markCapability(theProcessMgr, "processMgr");
markCapability(theFs, "fs");
markCapability(stdin, "stdin");
markCapability(stdout, "stdout");
markCapability(stderr, "stderr");
markCapability(systemClock, "clock");
markCapability(systemMonoClock, "monoClock");
registerCapability("env", () => receivingEnv());
registerCapability("scheduler", () => receivingEnv().scheduler);
registerCapability("net", () => receivingEnv().net);
registerCapability("processMgr", () => receivingEnv().processMgr);
registerCapability("cwd", () => receivingEnv().cwd);
registerCapability("fs", () => receivingEnv().fs);
registerCapability("stdin", () => receivingEnv().stdin);
registerCapability("stdout", () => receivingEnv().stdout);
registerCapability("stderr", () => receivingEnv().stderr);
registerCapability("clock", () => receivingEnv().clock);
registerCapability("monoClock", () => receivingEnv().monoClock);
registerCapability("domainMgr", (limits) =>
  limits === undefined ? receivingEnv().domainMgr : new DomainManager(limits as NonNullable<DomainManager["resourceLimits"]>),
);
