// Eio.Path against real files in a temp dir, after Eio's tests/fs.md: the create modes,
// directories, symlinks, and confinement (a path under env.cwd or an opened directory cannot
// climb out through "..", an absolute path or a symlink; env.fs can).
// Eio's tests/fs.md itself is ported scenario by scenario in fs-eio.test.ts.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync, readFileSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { errorOf } from "./support/error-of.js";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "eio-path-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `body` with the temp dir opened as a confined directory. */
function inTmp<T>(body: (dir: Eio.Path.Path, env: Eio.Env) => Generator<any, T, any>): Promise<T> {
  return Eio.run((env) => Eio.Path.withOpenDir(Eio.Path.join(env.fs, tmp), (dir) => body(dir, env)));
}


describe("Path: building paths", () => {
  it("join is Eio's /, native and split as Eio's", async () => {
    const out = await Eio.run((env) => {
      const j = (p: Eio.Path.Path, s: string) => Eio.Path.join(p, s);
      const split = (p: Eio.Path.Path) => {
        const r = Eio.Path.split(p);
        return r === undefined ? "none" : `${String(r[0])} ${r[1]}`;
      };
      return [
        String(j(env.cwd, "a")),
        String(j(j(env.cwd, "a"), "b")),
        String(j(j(env.cwd, "a/"), "b")),
        String(j(j(env.cwd, "a"), "/abs")),
        String(j(j(env.cwd, "a"), "")),
        String(j(env.fs, "/tmp")),
        Eio.Path.native(j(env.cwd, "a/b")),
        Eio.Path.native(env.cwd),
        Eio.Path.native(j(env.fs, "/tmp/x")),
        split(env.cwd),
        split(j(env.cwd, "foo")),
        split(j(env.cwd, "foo/bar")),
        split(j(env.cwd, "foo/bar//")),
        split(j(env.fs, "/")),
        split(j(env.fs, "/foo")),
        split(j(env.fs, "//foo//bar")),
      ];
    });
    expect(out).toEqual([
      "<cwd:a>",
      "<cwd:a/b>",
      "<cwd:a/b>",
      "<cwd:/abs>",
      "<cwd:a/>",
      "<fs:/tmp>",
      "a/b",
      ".",
      "/tmp/x",
      "none",
      "<cwd> foo",
      "<cwd:foo> bar",
      "<cwd:foo> bar",
      "none",
      "<fs:/> foo",
      "<fs://foo> bar",
    ]);
  });

  it("refuses what is not a path, with the value seen", async () => {
    expect(() => Eio.Path.join("/tmp" as never, "x")).toThrow(/Path.join: expected an Eio.Path.Path .*got "\/tmp"/);
    await Eio.run(function* (env) {
      expect(() => Eio.Path.join(env.cwd, 3 as never)).toThrow("Path.join: expected a string step, got 3");
      expect(() => Eio.Path.openOut(null as never, env.cwd, { create: "never" })).toThrow("Path.openOut: expected a switch as the first argument, got null");
      expect(() => Eio.Path.mkdir(env.cwd, { perm: -1 })).toThrow("Path.mkdir: options.perm must be an integer 0..0o7777 (such as 0o755), got -1");
      expect(yield* errorOf(Eio.Path.stat(env.cwd, {} as never))).toBe("TypeError: Path.stat: options.follow must be a boolean, got undefined");
    });
  });
});

describe("Path: the four create modes", () => {
  it("exclusive creates once, then AlreadyExists", async () => {
    const out = await inTmp(function* (dir) {
      const p = Eio.Path.join(dir, "test-file");
      yield* Eio.Path.save(p, "first", { create: { exclusive: 0o666 } });
      const again = yield* errorOf(Eio.Path.save(p, "second", { create: { exclusive: 0o666 } }));
      return [yield* Eio.Path.load(p), again];
    });
    expect(out[0]).toBe("first");
    expect(out[1]).toMatch(/^AlreadyExists: Eio.Io Fs Already_exists EEXIST: file already exists, opening <eio-path-\w+:test-file>$/);
  });

  it("never needs the file; ifMissing keeps it; orTruncate empties it; append adds", async () => {
    const out = await inTmp(function* (dir) {
      const p = Eio.Path.join(dir, "test-file");
      const missing = yield* errorOf(Eio.Path.save(p, "x", { create: "never" }));
      yield* Eio.Path.save(p, "1234567890", { create: { ifMissing: 0o600 } });
      yield* Eio.Path.save(p, "abc", { create: { ifMissing: 0o600 } });
      const kept = yield* Eio.Path.load(p);
      yield* Eio.Path.save(p, "xy", { create: { orTruncate: 0o600 } });
      const truncated = yield* Eio.Path.load(p);
      yield* Eio.Path.save(p, "++", { create: "never", append: true });
      return [missing, kept, truncated, yield* Eio.Path.load(p)];
    });
    expect(out[0]).toMatch(/^NotFound: Eio.Io Fs Not_found ENOENT: no such file or directory, opening <eio-path-\w+:test-file>$/);
    expect(out.slice(1)).toEqual(["abc4567890", "xy", "xy++"]);
  });

  it("creates files with the permissions given (under the umask)", async () => {
    await inTmp(function* (dir) {
      yield* Eio.Path.save(Eio.Path.join(dir, "private"), "", { create: { exclusive: 0o600 } });
    });
    expect(lstatSync(join(tmp, "private")).mode & 0o777).toBe(0o600);
  });

  it("refuses a bad create mode, naming it", async () => {
    await Eio.run((env) => {
      expect(() => Eio.Path.openOut(null as never, env.cwd, { create: "always" as never })).toThrow();
      return Eio.Switch.run((sw) => {
        expect(() => Eio.Path.openOut(sw, env.cwd, { create: "always" as never })).toThrow(
          'Path.openOut: options.create must be "never", { ifMissing: perm }, { orTruncate: perm } or { exclusive: perm } with perm an integer 0..0o7777, got "always"',
        );
        expect(() => Eio.Path.openOut(sw, env.cwd, { create: { exclusive: "rw" } as never })).toThrow(/got \{"exclusive":"rw"\}/);
      });
    });
  });
});

describe("Path: directories and entries", () => {
  it("mkdir, mkdirs, readDir (sorted), rmdir, rmtree", async () => {
    const out = await inTmp(function* (dir) {
      const log: unknown[] = [];
      yield* Eio.Path.mkdir(Eio.Path.join(dir, "subdir"), { perm: 0o700 });
      log.push(yield* errorOf(Eio.Path.mkdir(Eio.Path.join(dir, "subdir"), { perm: 0o700 })));
      yield* Eio.Path.mkdirs(Eio.Path.join(dir, "deep/er/still"), { perm: 0o700 });
      log.push(yield* errorOf(Eio.Path.mkdirs(Eio.Path.join(dir, "deep/er"), { perm: 0o700 })));
      yield* Eio.Path.mkdirs(Eio.Path.join(dir, "deep/er"), { perm: 0o700, existsOk: true });
      for (const name of ["zz", "B", "a", "é"]) yield* Eio.Path.save(Eio.Path.join(dir, `subdir/${name}`), name, { create: { exclusive: 0o600 } });
      log.push(yield* Eio.Path.readDir(Eio.Path.join(dir, "subdir")));
      log.push(yield* errorOf(Eio.Path.rmdir(Eio.Path.join(dir, "subdir"))));
      yield* Eio.Path.rmtree(Eio.Path.join(dir, "subdir"));
      log.push(yield* Eio.Path.kind(Eio.Path.join(dir, "subdir"), { follow: false }));
      log.push(yield* errorOf(Eio.Path.rmtree(Eio.Path.join(dir, "subdir"))));
      yield* Eio.Path.rmtree(Eio.Path.join(dir, "subdir"), { missingOk: true });
      yield* Eio.Path.rmdir(Eio.Path.join(dir, "deep/er/still"));
      log.push(yield* Eio.Path.readDir(dir));
      return log;
    });
    expect(out[0]).toMatch(/^AlreadyExists: .* creating directory <eio-path-\w+:subdir>$/);
    expect(out[1]).toMatch(/^AlreadyExists: .* creating directory <eio-path-\w+:deep\/er>$/);
    expect(out[2]).toEqual(["B", "a", "zz", "é"]);
    expect(out[3]).toMatch(/^FsError: Eio.Io Fs ENOTEMPTY: directory not empty, removing directory <eio-path-\w+:subdir>$/);
    expect(out[4]).toBe("notFound");
    expect(out[5]).toMatch(/^NotFound: .* removing file <eio-path-\w+:subdir>$/);
    expect(out[6]).toEqual(["deep"]);
  });

  it("rmtree removes symlinks without following them", async () => {
    mkdirSync(join(tmp, "keep"));
    writeFileSync(join(tmp, "keep/precious"), "x");
    mkdirSync(join(tmp, "tree"));
    symlinkSync("../keep", join(tmp, "tree/link"));
    await inTmp((dir) => Eio.Path.rmtree(Eio.Path.join(dir, "tree")));
    expect(readFileSync(join(tmp, "keep/precious"), "utf8")).toBe("x");
  });

  it("unlink, rename, stat, kind, isFile, isDirectory, readLink, symlink", async () => {
    const out = await inTmp(function* (dir) {
      const j = (s: string) => Eio.Path.join(dir, s);
      yield* Eio.Path.save(j("file"), "12345", { create: { exclusive: 0o640 } });
      yield* Eio.Path.mkdir(j("d"), { perm: 0o700 });
      yield* Eio.Path.symlink(j("link"), { linkTo: "file" });
      const s = yield* Eio.Path.stat(j("link"), { follow: true });
      const l = yield* Eio.Path.stat(j("link"), { follow: false });
      const kinds = [];
      for (const name of ["file", "d", "link", "missing"]) kinds.push(yield* Eio.Path.kind(j(name), { follow: false }));
      const checks = [yield* Eio.Path.isFile(j("link")), yield* Eio.Path.isDirectory(j("d")), yield* Eio.Path.isFile(j("d")), yield* Eio.Path.isDirectory(j("missing"))];
      const target = yield* Eio.Path.readLink(j("link"));
      yield* Eio.Path.rename(j("file"), j("d/moved"));
      const dangling = yield* Eio.Path.kind(j("link"), { follow: true });
      yield* Eio.Path.unlink(j("link"));
      const unlinkDir = yield* errorOf(Eio.Path.unlink(j("d")));
      return { s: [s.kind, s.size, s.perm], l: l.kind, kinds, checks, target, moved: yield* Eio.Path.load(j("d/moved")), dangling, unlinkDir, left: yield* Eio.Path.readDir(dir) };
    });
    expect(out.s).toEqual(["regularFile", 5, 0o640]);
    expect(out.l).toBe("symbolicLink");
    expect(out.kinds).toEqual(["regularFile", "directory", "symbolicLink", "notFound"]);
    expect(out.checks).toEqual([true, true, false, false]);
    expect(out.target).toBe("file");
    expect(out.moved).toBe("12345");
    expect(out.dangling).toBe("notFound");
    expect(out.unlinkDir).toMatch(/^FsError: Eio.Io Fs EISDIR: .* removing file <eio-path-\w+:d>$/);
    expect(out.left).toEqual(["d"]);
  });

  it("withLines reads a file line by line", async () => {
    writeFileSync(join(tmp, "lines"), "one\r\ntwo\n\nlast");
    const lines = await inTmp((dir) =>
      Eio.Path.withLines(Eio.Path.join(dir, "lines"), function* (next) {
        const all: string[] = [];
        for (let line = yield* next(); line !== undefined; line = yield* next()) all.push(line);
        return all;
      }),
    );
    expect(lines).toEqual(["one", "two", "", "last"]);
  });

  it("a directory from openDir is closed with its switch", async () => {
    const out = await Eio.run(function* (env) {
      let kept: Eio.Path.Path | undefined;
      yield* Eio.Path.withOpenDir(Eio.Path.join(env.fs, tmp), (dir) => {
        kept = dir;
      });
      return yield* errorOf(Eio.Path.readDir(kept!));
    });
    expect(out).toMatch(/the directory <eio-path-\w+> is closed \(its switch has finished\)/);
  });

  it("openDir of a file is refused", async () => {
    writeFileSync(join(tmp, "plain"), "");
    const out = await inTmp((dir) => errorOf(Eio.Path.withOpenDir(Eio.Path.join(dir, "plain"), () => "opened")));
    expect(out).toMatch(/^FsError: Eio.Io Fs ENOTDIR: not a directory, opening directory <eio-path-\w+:plain>$/);
  });
});

describe("Path: confinement", () => {
  it("env.cwd cannot be left through .. or an absolute path; what is inside is reachable", async () => {
    const out = await Eio.run<unknown[]>(function* (env) {
      return [
        yield* errorOf(Eio.Path.load(Eio.Path.join(env.cwd, "../escape"))),
        yield* errorOf(Eio.Path.load(Eio.Path.join(env.cwd, "docs/../../escape"))),
        yield* errorOf(Eio.Path.stat(Eio.Path.join(env.cwd, "/etc/passwd"), { follow: true })),
        yield* errorOf(Eio.Path.save(Eio.Path.join(env.cwd, "../test-file"), "x", { create: { exclusive: 0o600 } })),
        yield* Eio.Path.isFile(Eio.Path.join(env.cwd, "docs/../package.json")),
      ];
    });
    expect(out[0]).toBe(`PermissionDenied: Eio.Io Fs Permission_denied '..' climbs above the directory: "../escape" is not below its directory, opening <cwd:../escape>, loading <cwd:../escape>`);
    expect(out[1]).toMatch(/^PermissionDenied: .*"docs\/..\/..\/escape"/);
    expect(out[2]).toBe(`PermissionDenied: Eio.Io Fs Permission_denied absolute path: "/etc/passwd" is not below its directory, examining <cwd:/etc/passwd>`);
    expect(out[3]).toMatch(/^PermissionDenied: .*opening <cwd:..\/test-file>$/);
    expect(out[4]).toBe(true);
  });

  it("symlinks may not lead out of an opened directory, by .., absolute targets, chains or the parent", async () => {
    mkdirSync(join(tmp, "sandbox/sub"), { recursive: true });
    writeFileSync(join(tmp, "secret"), "secret");
    writeFileSync(join(tmp, "sandbox/sub/ok"), "ok");
    symlinkSync("../secret", join(tmp, "sandbox/up"));
    symlinkSync(join(tmp, "secret"), join(tmp, "sandbox/abs"));
    symlinkSync("/tmp", join(tmp, "sandbox/abs-dir"));
    symlinkSync("sub/../..", join(tmp, "sandbox/sneaky"));
    symlinkSync("up", join(tmp, "sandbox/chain"));
    symlinkSync("sub", join(tmp, "sandbox/in"));
    symlinkSync("../sub/ok", join(tmp, "sandbox/sub/back"));
    symlinkSync("loop2", join(tmp, "sandbox/loop1"));
    symlinkSync("loop1", join(tmp, "sandbox/loop2"));
    const out = await Eio.run<string[]>((env) =>
      Eio.Path.withOpenDir(Eio.Path.join(env.fs, join(tmp, "sandbox")), function* (box) {
        const results: string[] = [];
        for (const name of ["up", "abs", "abs-dir/x", "sneaky/secret", "chain", "sub/../../secret", "loop1"]) {
          results.push(yield* errorOf(Eio.Path.load(Eio.Path.join(box, name))));
        }
        results.push(yield* errorOf(Eio.Path.save(Eio.Path.join(box, "up"), "overwritten", { create: { orTruncate: 0o600 } })));
        results.push(yield* errorOf(Eio.Path.mkdir(Eio.Path.join(box, "sneaky/newdir"), { perm: 0o700 })));
        results.push(yield* Eio.Path.load(Eio.Path.join(box, "in/ok")));
        results.push(yield* Eio.Path.load(Eio.Path.join(box, "sub/back")));
        // The link itself is inside: lstat, readLink and unlink work on it without following.
        results.push(yield* Eio.Path.readLink(Eio.Path.join(box, "abs")));
        results.push((yield* Eio.Path.stat(Eio.Path.join(box, "up"), { follow: false })).kind);
        return results;
      }),
    );
    for (const denied of out.slice(0, 6)) expect(denied).toMatch(/^PermissionDenied: Eio.Io Fs Permission_denied /);
    expect(out[1]).toContain(`symlink to the absolute path ${JSON.stringify(join(tmp, "secret"))}`);
    expect(out[6]).toMatch(/^FsError: Eio.Io Fs ELOOP: too many symbolic links/);
    expect(out[7]).toMatch(/^PermissionDenied: .*opening <sandbox:up>$/);
    expect(out[8]).toMatch(/^PermissionDenied: .*creating directory <sandbox:sneaky\/newdir>$/);
    expect(out.slice(9)).toEqual(["ok", "ok", join(tmp, "secret"), "symbolicLink"]);
    expect(readFileSync(join(tmp, "secret"), "utf8")).toBe("secret");
    expect(() => lstatSync(join(tmp, "newdir"))).toThrow();
  });

  it("a directory opened below another is confined to itself", async () => {
    mkdirSync(join(tmp, "a/b"), { recursive: true });
    writeFileSync(join(tmp, "a/file"), "in a");
    const out = await inTmp<string[]>((dir) =>
      Eio.Path.withOpenDir(Eio.Path.join(dir, "a/b"), function* (b) {
        return [yield* errorOf(Eio.Path.load(Eio.Path.join(b, "../file"))), yield* Eio.Path.load(Eio.Path.join(dir, "a/b/../file"))];
      }),
    );
    expect(out[0]).toMatch(/^PermissionDenied: .*<b:..\/file>/);
    expect(out[1]).toBe("in a");
  });

  it("env.fs reaches everything: .., absolute paths and symlinks out", async () => {
    mkdirSync(join(tmp, "sandbox"));
    writeFileSync(join(tmp, "secret"), "secret");
    symlinkSync("../secret", join(tmp, "sandbox/up"));
    const out = await Eio.run(function* (env) {
      return [yield* Eio.Path.load(Eio.Path.join(env.fs, join(tmp, "sandbox/../secret"))), yield* Eio.Path.load(Eio.Path.join(env.fs, join(tmp, "sandbox/up")))];
    });
    expect(out).toEqual(["secret", "secret"]);
  });
});
