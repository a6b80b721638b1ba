// env.cwd and env.fs sent to another domain arrive as that domain's own, and the
// file-system errors thrown there arrive here as themselves (Eio.Fs classes), path and all.
// Real worker threads: the tests import the built package.
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const fixtures = new URL("./fixtures/fs-tasks.mjs", import.meta.url);

describe("files across domains", () => {
  it("a task reads through the cwd it was given; its NotFound and PermissionDenied arrive as such", async () => {
    const out = await Eio.run<unknown[]>(function* (env) {
      const load = Eio.task<[Eio.Path.Path, string], string>(fixtures, "loadUnder");
      const results: unknown[] = [JSON.parse(yield* Eio.DomainManager.run(env.domainMgr, load, env.cwd, "package.json")).private];
      for (const name of ["no-such-file", "../escape"]) {
        try {
          yield* Eio.DomainManager.run(env.domainMgr, load, env.cwd, name);
        } catch (e) {
          results.push(e instanceof Eio.Fs.NotFound ? "NotFound" : e instanceof Eio.Fs.PermissionDenied ? "PermissionDenied" : "other", (e as Eio.Fs.FsError).code, (e as Error).message);
        }
      }
      return results;
    });
    expect(out).toEqual([
      true,
      "NotFound",
      "ENOENT",
      "Eio.Io Fs Not_found ENOENT: no such file or directory, opening <cwd:no-such-file>, loading <cwd:no-such-file>",
      "PermissionDenied",
      "EPERM",
      `Eio.Io Fs Permission_denied '..' climbs above the directory: "../escape" is not below its directory, opening <cwd:../escape>, loading <cwd:../escape>`,
    ]);
  });

  it("env.fs and env.cwd arrive as the domain's own; a path made with Path.join is a plain copy", async () => {
    const out = await Eio.run<string[]>(function* (env) {
      const describe = Eio.task<[Eio.Path.Path], string>(fixtures, "describePath");
      const results: string[] = [];
      for (const path of [env.fs, env.cwd, Eio.Path.join(env.cwd, "docs")]) results.push(yield* Eio.DomainManager.run(env.domainMgr, describe, path));
      return results;
    });
    expect(out).toEqual(["<fs>", "<cwd>", 'a copy: ["dir","path"]']);
  });
});
