// Where `traceln` writes by default: standard error, prefixed with `+`, as Eio's
// `default_traceln` (lib_eio/utils/trace.ml) does. Each program runs in a fresh Node process
// against the built package, so the test sees which of the child's streams got each line.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const eioUrl = new URL("../dist/index.js", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "eio-traceln-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `body` as a module that imports the built package as `Eio`; returns its path. */
function program(name: string, body: string): string {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, `import * as Eio from ${JSON.stringify(eioUrl)};\n${body}`);
  return path;
}

interface Exit {
  code: number | null;
}

function exited(child: ReturnType<typeof spawn>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code }));
  });
}

/** Runs a program with its standard output and error on two pipes, read apart. */
async function runApart(path: string): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const { code } = await exited(child);
  expect(code, `exit code; stderr:\n${stderr}`).toBe(0);
  return { stdout, stderr };
}

/** Runs a program with its standard output and error both going to one file, as `2>&1` does. */
async function runTogether(path: string): Promise<string> {
  const outFile = `${path}.out`;
  const fd = openSync(outFile, "w");
  const child = spawn(process.execPath, [path], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const { code } = await exited(child);
  const output = readFileSync(outFile, "utf8");
  expect(code, `exit code; output:\n${output}`).toBe(0);
  return output;
}

const mixed = program(
  "mixed",
  `
await Eio.run(function* (env) {
  console.log("one: console.log");
  Eio.traceln("two: %s", "traceln");
  yield* Eio.Flow.copyString("three: env.stdout\\n", env.stdout);
  Eio.traceln("four: traceln");
  console.error("five: console.error");
  yield* Eio.Flow.copyString("six: env.stderr\\n", env.stderr);
  Eio.traceln("seven: traceln");
});
`,
);

describe("traceln's default destination", () => {
  it("is standard error, each line prefixed with +; standard output gets none of it", async () => {
    expect(await runApart(mixed)).toEqual({
      stdout: "one: console.log\nthree: env.stdout\n",
      stderr: "+two: traceln\n+four: traceln\nfive: console.error\nsix: env.stderr\n+seven: traceln\n",
    });
  });

  it("keeps the order of console.log and env.stdout when both streams go to one file", async () => {
    expect(await runTogether(mixed)).toBe(
      "one: console.log\n+two: traceln\nthree: env.stdout\n+four: traceln\nfive: console.error\nsix: env.stderr\n+seven: traceln\n",
    );
  });

  it("is standard error for Mock.run too, including `mock time is now` printed while no fiber runs", async () => {
    const path = program(
      "mock",
      `
await Eio.Mock.run(function* (env) {
  yield* Eio.Time.sleep(env.clock, 2);
  console.log("woke at %d", Eio.Time.now(env.clock));
  Eio.traceln("done");
});
`,
    );
    expect(await runApart(path)).toEqual({ stdout: "woke at 2\n", stderr: "+mock time is now 2\n+done\n" });
  });

  it("is standard error in another domain too", async () => {
    const path = program(
      "domain",
      `
import { isMainThread } from "node:worker_threads";

export function* inWorker() {
  Eio.traceln("from a worker");
  return 1;
}

if (isMainThread) {
  await Eio.run(function* (env) {
    const n = yield* Eio.DomainManager.run(env.domainMgr, Eio.task(import.meta.url, "inWorker"));
    console.log("the worker returned %d", n);
  });
}
`,
    );
    expect(await runApart(path)).toEqual({ stdout: "the worker returned 1\n", stderr: "+from a worker\n" });
  });

  it("is replaced by a sink given to Eio.run, which gets the line without the +", async () => {
    const path = program(
      "sink",
      `
await Eio.run(() => Eio.traceln("to the sink"), { traceln: (line) => console.log("sink got %j", line) });
`,
    );
    expect(await runApart(path)).toEqual({ stdout: 'sink got "to the sink"\n', stderr: "" });
  });
});
