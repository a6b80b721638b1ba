// Eio's tests/fs.md, ported: each test is one scenario (its heading or sentence in a comment),
// run in a fresh directory that is the process's working directory, so `env.cwd` prints as
// `<cwd:...>` as in Eio and each test compares Eio's own traced lines. Like the MDX file, an
// error prints as `Eio.Io Fs Not_found _, <context>`: `_` hides the system's detail (Eio's
// `Exn.Backend.show := false`), and an error outside the three Fs cases prints as `Eio.Io _`.
//
// Already covered by path.test.ts and file.test.ts, so not repeated here: "Split" (path.test.ts
// "join is Eio's /, native and split as Eio's"), "Streamling lines" ("withLines reads a file line
// by line"), "pread/pwrite" and "Seek, truncate and sync" (file.test.ts "pread, preadExact,
// pwrite, size, stat, seek, truncate, sync").
//
// Not ported, and why:
// - "Unix interop" (both blocks): eio-ts has no `Eio_unix.Resource.fd_opt` or `Fd.remove`; a
//   file's descriptor is not part of the API.
// - The last block (`Path.chmod`): eio-ts has no `Path.chmod`.
// - "Split" with Eio's `fake_dir`: eio-ts has no `Eio.Resource` to build a fake directory with;
//   the same strings are split under `env.fs` below ("Split"), where they mean the same.
// - `chdir` inside a run ("Reads and writes follow symlinks...", "Unconfined FS access",
//   "Rename"): Eio's `cwd` is the process's current directory at each call (`AT_FDCWD`), while
//   eio-ts fixes `env.cwd` to the directory the run started in (Node has no `*at` calls), so the
//   steps after a `chdir` are run as a second `Eio.run` started in the new directory.
// - "An error from the underlying directory, not the sandbox" is skipped when the tests run as
//   root, who may read a directory with mode 0.
// - "Cancelling while readable" uses `/dev/zero`, where Eio's read never waits; here every read
//   goes to libuv's pool, so the scenario is kept (the failure wins, the reads are cancelled).
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const Path = Eio.Path;
const j = Path.join;

let top: string;
let home: string;
let lines: string[];

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), "eio-fs-md-"));
  // Eio's MDX runs in a directory of its own; ours is named "cwd" so that a directory opened
  // on it would print the same too.
  mkdirSync(join(top, "cwd"));
  home = process.cwd();
  process.chdir(join(top, "cwd"));
  process.umask(0o022);
  lines = [];
});
afterEach(() => {
  process.chdir(home);
  rmSync(top, { recursive: true, force: true });
});

/** Eio's `traceln` in the MDX file: the lines a scenario printed, for one comparison at the end. */
function traceln(line: string): void {
  lines.push(line);
}

/** How the MDX file prints an exception, with the backend's detail hidden as `_`. */
function pp(error: unknown): string {
  if (error instanceof Eio.Io) {
    const m = /^Fs (Not_found|Already_exists|Permission_denied)\b/.exec(error.err);
    const err = m === null ? "_" : `Fs ${m[1]} _`;
    return [`Eio.Io ${err}`, ...error.context].join(", ");
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Eio's `pp_err` for `try_stat`: the error alone, without its context. */
function ppErr(error: unknown): string {
  return pp(error).replace(/^Eio\.Io /, "").split(", ")[0]!;
}

function* attempt(op: Generator<any, unknown, any>, ok: (value: any) => string): Generator<any, void, any> {
  try {
    traceln(ok(yield* op));
  } catch (e) {
    traceln(pp(e));
  }
}

const tryReadFile = (p: Eio.Path.Path) => attempt(Path.load(p), (s) => `read ${String(p)} -> ${JSON.stringify(s)}`);
const tryWriteFile = (p: Eio.Path.Path, data: string, create: Eio.Fs.Create, append?: boolean) =>
  attempt(Path.save(p, data, { create, append }), () => `write ${String(p)} -> ok`);
const tryMkdir = (p: Eio.Path.Path) => attempt(Path.mkdir(p, { perm: 0o700 }), () => `mkdir ${String(p)} -> ok`);
const tryMkdirs = (p: Eio.Path.Path, existsOk?: boolean) => attempt(Path.mkdirs(p, { perm: 0o700, existsOk }), () => `mkdirs ${String(p)} -> ok`);
const tryRename = (a: Eio.Path.Path, b: Eio.Path.Path) => attempt(Path.rename(a, b), () => `rename ${String(a)} to ${String(b)} -> ok`);
const tryReadDir = (p: Eio.Path.Path) => attempt(Path.readDir(p), (names: string[]) => `read_dir ${String(p)} -> ${JSON.stringify(names)}`);
const tryReadLink = (p: Eio.Path.Path) => attempt(Path.readLink(p), (t) => `read_link ${String(p)} -> ${JSON.stringify(t)}`);
const tryUnlink = (p: Eio.Path.Path) => attempt(Path.unlink(p), () => `unlink ${String(p)} -> ok`);
const tryRmdir = (p: Eio.Path.Path) => attempt(Path.rmdir(p), () => `rmdir ${String(p)} -> ok`);
const tryRmtree = (p: Eio.Path.Path, missingOk?: boolean) => attempt(Path.rmtree(p, { missingOk }), () => `rmtree ${String(p)} -> ok`);
const trySymlink = (p: Eio.Path.Path, linkTo: string) => attempt(Path.symlink(p, { linkTo }), () => `symlink ${String(p)} -> ${JSON.stringify(linkTo)}`);

/** Eio's kinds as `File.Stat.pp_kind` prints them. */
const kindNames: Record<string, string> = { regularFile: "regular file", directory: "directory", symbolicLink: "symbolic link" };

function* tryStat(p: Eio.Path.Path): Generator<any, void, any> {
  const statOf = function* (follow: boolean): Generator<any, string, any> {
    try {
      return kindNames[(yield* Path.stat(p, { follow })).kind]!;
    } catch (e) {
      return ppErr(e);
    }
  };
  const a = yield* statOf(false);
  const b = yield* statOf(true);
  traceln(a === b ? `${String(p)} -> ${a}` : `${String(p)} -> ${a} / ${b}`);
}

/** Eio's `run`: a run in the current directory; `clear` is not needed, each test has a fresh one. */
function run<T>(fn: (env: Eio.Env) => Generator<any, T, any> | T): Promise<T> {
  return Eio.run(fn);
}

/** What `op` throws, as the MDX file's `Exception:` line shows it. */
function* exception(op: Generator<any, unknown, any>): Generator<any, string, any> {
  try {
    yield* op;
  } catch (e) {
    return pp(e);
  }
  throw new Error("Should have failed");
}

describe("fs.md: Basic test cases", () => {
  // fs.md: "Creating a file and reading it back" and "Check the file got the correct permissions"
  it('fs.md: "Creating a file and reading it back" and "Check the file got the correct permissions"', async () => {
    await run(function* (env) {
      yield* Path.save(j(env.cwd, "test-file"), "my-data", { create: { exclusive: 0o666 } });
      traceln(`Got ${JSON.stringify(yield* Path.load(j(env.cwd, "test-file")))}`);
    });
    expect(lines).toEqual(['Got "my-data"']);
    expect((statSync("test-file").mode & 0o777).toString(8)).toBe("644");
  });
});

describe("fs.md: Sandboxing", () => {
  // fs.md: "Trying to use cwd to access a file outside of that subtree fails"
  it('fs.md: "Trying to use cwd to access a file outside of that subtree fails"', async () => {
    const out = await run((env) => exception(Path.save(j(env.cwd, "../test-file"), "my-data", { create: { exclusive: 0o666 } })));
    expect(out).toBe("Eio.Io Fs Permission_denied _, opening <cwd:../test-file>");
  });

  // fs.md: "Trying to use cwd to access an absolute path fails"
  it('fs.md: "Trying to use cwd to access an absolute path fails"', async () => {
    const out = await run((env) => exception(Path.save(j(env.cwd, "/tmp/test-file"), "my-data", { create: { exclusive: 0o666 } })));
    expect(out).toBe("Eio.Io Fs Permission_denied _, opening <cwd:/tmp/test-file>");
  });
});

describe("fs.md: Creation modes", () => {
  // fs.md: "Exclusive create fails if already exists"
  it('fs.md: "Exclusive create fails if already exists"', async () => {
    const out = await run(function* (env) {
      yield* Path.save(j(env.cwd, "test-file"), "first-write", { create: { exclusive: 0o666 } });
      return yield* exception(Path.save(j(env.cwd, "test-file"), "first-write", { create: { exclusive: 0o666 } }));
    });
    expect(out).toBe("Eio.Io Fs Already_exists _, opening <cwd:test-file>");
  });

  // fs.md: "If-missing create succeeds if already exists"
  it('fs.md: "If-missing create succeeds if already exists"', async () => {
    await run(function* (env) {
      const testFile = j(env.cwd, "test-file");
      yield* Path.save(testFile, "1st-write-original", { create: { ifMissing: 0o666 } });
      yield* Path.save(testFile, "2nd-write", { create: { ifMissing: 0o666 } });
      traceln(`Got ${JSON.stringify(yield* Path.load(testFile))}`);
    });
    expect(lines).toEqual(['Got "2nd-write-original"']);
  });

  // fs.md: "Truncate create succeeds if already exists, and truncates"
  it('fs.md: "Truncate create succeeds if already exists, and truncates"', async () => {
    await run(function* (env) {
      const testFile = j(env.cwd, "test-file");
      yield* Path.save(testFile, "1st-write-original", { create: { orTruncate: 0o666 } });
      yield* Path.save(testFile, "2nd-write", { create: { orTruncate: 0o666 } });
      traceln(`Got ${JSON.stringify(yield* Path.load(testFile))}`);
    });
    expect(lines).toEqual(['Got "2nd-write"']);
  });

  // fs.md: "Error if no create and doesn't exist"
  it('fs.md: "Error if no create and doesn\'t exist"', async () => {
    const out = await run((env) => exception(Path.save(j(env.cwd, "test-file"), "1st-write-original", { create: "never" })));
    expect(out).toBe("Eio.Io Fs Not_found _, opening <cwd:test-file>");
  });

  // fs.md: "Appending to an existing file"
  it('fs.md: "Appending to an existing file"', async () => {
    await run(function* (env) {
      const testFile = j(env.cwd, "test-file");
      yield* Path.save(testFile, "1st-write-original", { create: { orTruncate: 0o666 } });
      yield* Path.save(testFile, "2nd-write", { create: "never", append: true });
      traceln(`Got ${JSON.stringify(yield* Path.load(testFile))}`);
    });
    expect(lines).toEqual(['Got "1st-write-original2nd-write"']);
  });
});

describe("fs.md: Mkdir", () => {
  // fs.md: "Mkdir"
  it('fs.md: "Mkdir"', async () => {
    await run(function* (env) {
      yield* tryMkdir(j(env.cwd, "subdir"));
      yield* tryMkdir(j(env.cwd, "subdir/nested"));
      yield* Path.save(j(env.cwd, "subdir/nested/test-file"), "data", { create: { exclusive: 0o600 } });
    });
    expect(lines).toEqual(["mkdir <cwd:subdir> -> ok", "mkdir <cwd:subdir/nested> -> ok"]);
  });

  // fs.md: "Creating directories with nesting, symlinks, etc"
  it('fs.md: "Creating directories with nesting, symlinks, etc"', async () => {
    await run(function* (env) {
      const cwd = env.cwd;
      yield* Path.symlink(j(cwd, "to-root"), { linkTo: "/" });
      yield* Path.symlink(j(cwd, "to-subdir"), { linkTo: "subdir" });
      yield* Path.symlink(j(cwd, "dangle"), { linkTo: "foo" });
      yield* tryMkdir(j(cwd, "subdir"));
      yield* tryMkdir(j(cwd, "to-subdir/nested"));
      yield* tryMkdir(j(cwd, "to-root/tmp/foo"));
      yield* tryMkdir(j(cwd, "../foo"));
      yield* tryMkdir(j(cwd, "to-subdir"));
      yield* tryMkdir(j(cwd, "dangle/foo"));
    });
    expect(lines).toEqual([
      "mkdir <cwd:subdir> -> ok",
      "mkdir <cwd:to-subdir/nested> -> ok",
      "Eio.Io Fs Permission_denied _, creating directory <cwd:to-root/tmp/foo>",
      "Eio.Io Fs Permission_denied _, creating directory <cwd:../foo>",
      "Eio.Io Fs Already_exists _, creating directory <cwd:to-subdir>",
      "Eio.Io Fs Not_found _, creating directory <cwd:dangle/foo>",
    ]);
  });
});

describe("fs.md: Split", () => {
  // fs.md: "Split" (the same strings, under env.fs)
  it('fs.md: "Split" (the same strings, under env.fs)', async () => {
    const out = await run((env) =>
      ["foo/bar", "/foo/bar", "/foo/bar/baz", "/foo/bar//baz/", "bar", "/bar", ".", "./", "", "/", "///"].map((s) => {
        const r = Path.split(j(env.fs, s));
        return r === undefined ? "None" : [Path.native(r[0]) === "." ? "" : Path.native(r[0]), r[1]];
      }),
    );
    expect(out).toEqual([["foo", "bar"], ["/foo", "bar"], ["/foo/bar", "baz"], ["/foo/bar", "baz"], ["", "bar"], ["/", "bar"], ["", "."], ["", "."], "None", "None", "None"]);
  });
});

describe("fs.md: Mkdirs", () => {
  // fs.md: "Recursively creating directories with mkdirs"
  it('fs.md: "Recursively creating directories with mkdirs"', async () => {
    await run(function* (env) {
      const cwd = env.cwd;
      const nested = j(j(j(cwd, "subdir1"), "subdir2"), "subdir3");
      yield* tryMkdirs(nested);
      expect(yield* Path.isDirectory(nested)).toBe(true);
      const oneMore = j(nested, "subdir4");
      yield* tryMkdirs(oneMore);
      yield* tryMkdirs(oneMore, true);
      yield* tryMkdirs(oneMore);
      expect(yield* Path.isDirectory(oneMore)).toBe(true);
      yield* tryMkdirs(j(j(cwd, ".."), "outside"));
    });
    expect(lines).toEqual([
      "mkdirs <cwd:subdir1/subdir2/subdir3> -> ok",
      "mkdirs <cwd:subdir1/subdir2/subdir3/subdir4> -> ok",
      "mkdirs <cwd:subdir1/subdir2/subdir3/subdir4> -> ok",
      "Eio.Io Fs Already_exists _, creating directory <cwd:subdir1/subdir2/subdir3/subdir4>",
      "Eio.Io Fs Permission_denied _, examining <cwd:..>, creating directory <cwd:../outside>",
    ]);
  });

  // fs.md: "Some edge cases for mkdirs"
  it('fs.md: "Some edge cases for mkdirs"', async () => {
    await run(function* (env) {
      const cwd = env.cwd;
      yield* tryMkdirs(j(cwd, "."));
      yield* tryMkdirs(j(cwd, "././"));
      const lotsOfSlashes = "./test//////////////test";
      yield* tryMkdirs(j(cwd, lotsOfSlashes));
      expect(yield* Path.isDirectory(j(cwd, lotsOfSlashes))).toBe(true);
      yield* tryMkdirs(j(cwd, ".."));
    });
    expect(lines).toEqual([
      "Eio.Io Fs Already_exists _, creating directory <cwd:.>",
      "Eio.Io Fs Already_exists _, creating directory <cwd:././>",
      "mkdirs <cwd:./test//////////////test> -> ok",
      "Eio.Io Fs Permission_denied _, creating directory <cwd:..>",
    ]);
  });
});

/** The symlinks the MDX file's earlier blocks leave in its directory, which later blocks use. */
function earlierLinks(): void {
  mkdirSync("subdir");
  symlinkSync("/", "to-root");
  symlinkSync("subdir", "to-subdir");
}

describe("fs.md: Unlink", () => {
  // fs.md: "You can remove a file using unlink"
  it('fs.md: "You can remove a file using unlink"', async () => {
    earlierLinks();
    await run(function* (env) {
      const cwd = env.cwd;
      yield* Path.save(j(cwd, "file"), "data", { create: { exclusive: 0o600 } });
      yield* Path.save(j(cwd, "subdir/file2"), "data2", { create: { exclusive: 0o600 } });
      yield* tryReadFile(j(cwd, "file"));
      yield* tryReadFile(j(cwd, "subdir/file2"));
      expect(yield* Path.kind(j(cwd, "file"), { follow: true })).toBe("regularFile");
      yield* tryUnlink(j(cwd, "file"));
      expect(yield* Path.kind(j(cwd, "file"), { follow: true })).toBe("notFound");
      yield* tryUnlink(j(cwd, "subdir/file2"));
      yield* tryReadFile(j(cwd, "file"));
      yield* tryReadFile(j(cwd, "subdir/file2"));
      yield* tryWriteFile(j(cwd, "subdir/file2"), "data2", { exclusive: 0o600 });
      yield* tryUnlink(j(cwd, "to-subdir/file2"));
      yield* tryReadFile(j(cwd, "subdir/file2"));
    });
    expect(lines).toEqual([
      'read <cwd:file> -> "data"',
      'read <cwd:subdir/file2> -> "data2"',
      "unlink <cwd:file> -> ok",
      "unlink <cwd:subdir/file2> -> ok",
      // Differs from Eio: eio-ts's load adds "loading <path>" to an error of the open too;
      // Eio's adds it only to errors after the open.
      "Eio.Io Fs Not_found _, opening <cwd:file>, loading <cwd:file>",
      "Eio.Io Fs Not_found _, opening <cwd:subdir/file2>, loading <cwd:subdir/file2>",
      "write <cwd:subdir/file2> -> ok",
      "unlink <cwd:to-subdir/file2> -> ok",
      "Eio.Io Fs Not_found _, opening <cwd:subdir/file2>, loading <cwd:subdir/file2>",
    ]);
  });

  // fs.md: "Removing something that doesn't exist or is out of scope" (unlink)
  it('fs.md: "Removing something that doesn\'t exist or is out of scope" (unlink)', async () => {
    earlierLinks();
    await run(function* (env) {
      yield* tryUnlink(j(env.cwd, "missing"));
      yield* tryUnlink(j(env.cwd, "../foo"));
      yield* tryUnlink(j(env.cwd, "to-subdir/foo"));
      yield* tryUnlink(j(env.cwd, "to-root/foo"));
    });
    expect(lines).toEqual([
      "Eio.Io Fs Not_found _, removing file <cwd:missing>",
      "Eio.Io Fs Permission_denied _, removing file <cwd:../foo>",
      "Eio.Io Fs Not_found _, removing file <cwd:to-subdir/foo>",
      "Eio.Io Fs Permission_denied _, removing file <cwd:to-root/foo>",
    ]);
  });

  // fs.md: "Reads and writes follow symlinks, but unlink operates on the symlink itself"
  it('fs.md: "Reads and writes follow symlinks, but unlink operates on the symlink itself"', async () => {
    await run(function* (env) {
      const cwd = env.cwd;
      const fs = env.fs;
      yield* tryMkdir(j(cwd, "dir1"));
      const file1 = j(j(cwd, "dir1"), "file1");
      const file2 = j(cwd, "file2");
      yield* tryWriteFile(file1, "data1", { exclusive: 0o600 });
      yield* tryWriteFile(file2, "data2", { exclusive: 0o400 });
      yield* Path.symlink(j(cwd, "link1"), { linkTo: "dir1/file1" });
      yield* Path.symlink(j(cwd, "dir1/link2"), { linkTo: "../file2" });
      yield* Path.symlink(j(cwd, "linkdir"), { linkTo: "dir1" });
      yield* Path.symlink(j(cwd, "linkroot"), { linkTo: "/" });
      yield* tryReadFile(file1);
      yield* tryReadFile(j(cwd, "link1"));
      yield* tryReadFile(j(j(cwd, "linkdir"), "file1"));
      yield* tryStat(file1);
      yield* tryStat(j(cwd, "link1"));
      yield* tryStat(j(cwd, "linkdir"));
      yield* tryStat(j(cwd, "linkroot"));
      yield* tryStat(j(fs, "linkroot"));
    });
    // Eio chdirs into dir1 here and goes on with the same cwd; eio-ts's cwd is fixed when the
    // run starts, so the rest runs as a run started in dir1.
    traceln('chdir "dir1"');
    process.chdir("dir1");
    try {
      await run(function* (env) {
        yield* tryReadFile(j(env.cwd, "file1"));
        // Should remove the link itself even though it points outside of cwd.
        yield* Path.unlink(j(env.cwd, "link2"));
      });
    } finally {
      traceln('chdir ".."');
      process.chdir("..");
    }
    await run(function* (env) {
      yield* tryReadFile(j(env.cwd, "file2"));
      yield* Path.unlink(j(env.cwd, "link1"));
      yield* Path.unlink(j(env.cwd, "linkdir"));
      yield* Path.unlink(j(env.cwd, "linkroot"));
    });
    expect(lines).toEqual([
      "mkdir <cwd:dir1> -> ok",
      "write <cwd:dir1/file1> -> ok",
      "write <cwd:file2> -> ok",
      'read <cwd:dir1/file1> -> "data1"',
      'read <cwd:link1> -> "data1"',
      'read <cwd:linkdir/file1> -> "data1"',
      "<cwd:dir1/file1> -> regular file",
      "<cwd:link1> -> symbolic link / regular file",
      "<cwd:linkdir> -> symbolic link / directory",
      "<cwd:linkroot> -> symbolic link / Fs Permission_denied _",
      "<fs:linkroot> -> symbolic link / directory",
      'chdir "dir1"',
      'read <cwd:file1> -> "data1"',
      'chdir ".."',
      'read <cwd:file2> -> "data2"',
    ]);
    expect(() => statSync("dir1/link2")).toThrow();
  });
});

describe("fs.md: Rmdir", () => {
  // fs.md: "Similar to unlink, but works on directories"
  it('fs.md: "Similar to unlink, but works on directories"', async () => {
    earlierLinks();
    await run(function* (env) {
      const cwd = env.cwd;
      yield* tryMkdir(j(cwd, "d1"));
      yield* tryMkdir(j(cwd, "subdir/d2"));
      yield* tryReadDir(j(cwd, "d1"));
      yield* tryReadDir(j(cwd, "subdir/d2"));
      yield* tryRmdir(j(cwd, "d1"));
      yield* tryRmdir(j(cwd, "subdir/d2"));
      yield* tryReadDir(j(cwd, "d1"));
      yield* tryReadDir(j(cwd, "subdir/d2"));
      yield* tryMkdir(j(cwd, "subdir/d3"));
      yield* tryRmdir(j(cwd, "to-subdir/d3"));
      yield* tryReadDir(j(cwd, "subdir/d3"));
    });
    expect(lines).toEqual([
      "mkdir <cwd:d1> -> ok",
      "mkdir <cwd:subdir/d2> -> ok",
      "read_dir <cwd:d1> -> []",
      "read_dir <cwd:subdir/d2> -> []",
      "rmdir <cwd:d1> -> ok",
      "rmdir <cwd:subdir/d2> -> ok",
      "Eio.Io Fs Not_found _, reading directory <cwd:d1>",
      "Eio.Io Fs Not_found _, reading directory <cwd:subdir/d2>",
      "mkdir <cwd:subdir/d3> -> ok",
      "rmdir <cwd:to-subdir/d3> -> ok",
      "Eio.Io Fs Not_found _, reading directory <cwd:subdir/d3>",
    ]);
  });

  // fs.md: "Removing something that doesn't exist or is out of scope" (rmdir)
  it('fs.md: "Removing something that doesn\'t exist or is out of scope" (rmdir)', async () => {
    earlierLinks();
    await run(function* (env) {
      yield* tryRmdir(j(env.cwd, "missing"));
      yield* tryRmdir(j(env.cwd, "../foo"));
      yield* tryRmdir(j(env.cwd, "to-subdir/foo"));
      yield* tryRmdir(j(env.cwd, "to-root/foo"));
    });
    expect(lines).toEqual([
      "Eio.Io Fs Not_found _, removing directory <cwd:missing>",
      "Eio.Io Fs Permission_denied _, removing directory <cwd:../foo>",
      "Eio.Io Fs Not_found _, removing directory <cwd:to-subdir/foo>",
      "Eio.Io Fs Permission_denied _, removing directory <cwd:to-root/foo>",
    ]);
  });
});

describe("fs.md: Recursive removal", () => {
  // fs.md: "Recursive removal"
  it('fs.md: "Recursive removal"', async () => {
    await run(function* (env) {
      const foo = j(env.cwd, "foo");
      yield* tryMkdirs(j(j(foo, "bar"), "baz"));
      yield* tryWriteFile(j(foo, "bar/file1"), "data", { exclusive: 0o600 });
      yield* tryRmtree(foo);
      expect(yield* Path.kind(foo, { follow: false })).toBe("notFound");
      traceln("A second rmtree is OK with missing_ok:");
      yield* tryRmtree(foo, true);
      traceln("But not without:");
      yield* tryRmtree(foo, false);
    });
    expect(lines).toEqual([
      "mkdirs <cwd:foo/bar/baz> -> ok",
      "write <cwd:foo/bar/file1> -> ok",
      "rmtree <cwd:foo> -> ok",
      "A second rmtree is OK with missing_ok:",
      "rmtree <cwd:foo> -> ok",
      "But not without:",
      "Eio.Io Fs Not_found _, removing file <cwd:foo>",
    ]);
  });
});

describe("fs.md: Limiting to a subdirectory", () => {
  // fs.md: "Create a sandbox, write a file with it, then read it from outside"
  it('fs.md: "Create a sandbox, write a file with it, then read it from outside"', async () => {
    await run((env) =>
      Eio.Switch.run(function* (sw) {
        const cwd = env.cwd;
        yield* tryMkdir(j(cwd, "sandbox"));
        const subdir = yield* Path.openDir(sw, j(cwd, "sandbox"));
        yield* Path.save(j(subdir, "test-file"), "data", { create: { exclusive: 0o600 } });
        yield* tryMkdir(j(subdir, "../new-sandbox"));
        traceln(`Got ${JSON.stringify(yield* Path.load(j(cwd, "sandbox/test-file")))}`);
      }),
    );
    expect(lines).toEqual(["mkdir <cwd:sandbox> -> ok", "Eio.Io Fs Permission_denied _, creating directory <sandbox:../new-sandbox>", 'Got "data"']);
  });

  // fs.md: "Limiting to a subdirectory": which directories open_dir accepts
  it('fs.md: "Limiting to a subdirectory": which directories open_dir accepts', async () => {
    await run(function* (env) {
      const { fs, cwd } = env;
      yield* Path.mkdirs(j(cwd, "foo/bar"), { perm: 0o700 });
      const test = function* (path: Eio.Path.Path): Generator<any, void, any> {
        try {
          yield* Eio.Switch.run(function* (sw) {
            yield* Path.openDir(sw, path);
          });
          traceln(`open_dir ${String(path)} -> OK`);
        } catch (e) {
          traceln(pp(e));
        }
      };
      yield* test(j(cwd, "foo/bar"));
      yield* test(j(cwd, ".."));
      yield* test(j(cwd, "."));
      yield* test(j(cwd, "/"));
      yield* test(j(cwd, "foo/bar/.."));
      yield* test(j(fs, "foo/bar"));
      yield* Path.symlink(j(cwd, "foo/up"), { linkTo: ".." });
      yield* test(j(cwd, "foo/up/foo/bar"));
      yield* test(j(cwd, "foo/up/../bar"));
      yield* Path.symlink(j(cwd, "foo/root"), { linkTo: "/" });
      yield* test(j(cwd, "foo/root/.."));
      yield* test(j(cwd, "missing"));
    });
    expect(lines).toEqual([
      "open_dir <cwd:foo/bar> -> OK",
      "Eio.Io Fs Permission_denied _, opening directory <cwd:..>",
      "open_dir <cwd:.> -> OK",
      "Eio.Io Fs Permission_denied _, opening directory <cwd:/>",
      "open_dir <cwd:foo/bar/..> -> OK",
      "open_dir <fs:foo/bar> -> OK",
      "open_dir <cwd:foo/up/foo/bar> -> OK",
      "Eio.Io Fs Permission_denied _, opening directory <cwd:foo/up/../bar>",
      "Eio.Io Fs Permission_denied _, opening directory <cwd:foo/root/..>",
      "Eio.Io Fs Not_found _, opening directory <cwd:missing>",
    ]);
  });
});

describe("fs.md: Unconfined FS access", () => {
  // fs.md: "Using cwd we can't access the parent, but using fs we can"
  it('fs.md: "Using cwd we can\'t access the parent, but using fs we can"', async () => {
    await run((env) => tryMkdir(j(env.cwd, "fs-test")));
    // Eio chdirs inside the run; here the run starts in fs-test (see the top of the file).
    traceln('chdir "fs-test"');
    process.chdir("fs-test");
    try {
      await run(function* (env) {
        yield* tryMkdir(j(env.cwd, "../outside-cwd"));
        yield* tryWriteFile(j(env.cwd, "../test-file"), "data", { exclusive: 0o600 });
        yield* tryMkdir(j(env.fs, "../outside-cwd"));
        yield* tryWriteFile(j(env.fs, "../test-file"), "data", { exclusive: 0o600 });
      });
    } finally {
      traceln('chdir ".."');
      process.chdir("..");
    }
    expect(lines).toEqual([
      "mkdir <cwd:fs-test> -> ok",
      'chdir "fs-test"',
      "Eio.Io Fs Permission_denied _, creating directory <cwd:../outside-cwd>",
      "Eio.Io Fs Permission_denied _, opening <cwd:../test-file>",
      "mkdir <fs:../outside-cwd> -> ok",
      "write <fs:../test-file> -> ok",
      'chdir ".."',
    ]);
    expect(statSync("test-file").isFile() && statSync("outside-cwd").isDirectory()).toBe(true);
  });

  // fs.md: "Reading directory entries under cwd and outside of cwd"
  it('fs.md: "Reading directory entries under cwd and outside of cwd"', async () => {
    await run(function* (env) {
      const cwd = env.cwd;
      yield* tryMkdir(j(cwd, "readdir"));
      yield* Path.withOpenDir(j(cwd, "readdir"), function* (tmpdir) {
        yield* tryMkdir(j(tmpdir, "test-1"));
        yield* tryMkdir(j(tmpdir, "test-2"));
        yield* tryWriteFile(j(tmpdir, "test-1/file"), "data", { exclusive: 0o600 });
        yield* tryReadDir(tmpdir);
        yield* tryReadDir(j(tmpdir, "."));
        yield* tryReadDir(j(tmpdir, ".."));
        yield* tryReadDir(j(tmpdir, "test-3"));
        yield* Path.symlink(j(cwd, "readdir/link-1"), { linkTo: "test-1" });
        yield* tryReadDir(j(tmpdir, "link-1"));
      });
    });
    expect(lines).toEqual([
      "mkdir <cwd:readdir> -> ok",
      "mkdir <readdir:test-1> -> ok",
      "mkdir <readdir:test-2> -> ok",
      "write <readdir:test-1/file> -> ok",
      'read_dir <readdir> -> ["test-1","test-2"]',
      'read_dir <readdir:.> -> ["test-1","test-2"]',
      "Eio.Io Fs Permission_denied _, reading directory <readdir:..>",
      "Eio.Io Fs Not_found _, reading directory <readdir:test-3>",
      'read_dir <readdir:link-1> -> ["file"]',
    ]);
  });

  // root reads any directory, so the error cannot happen when the tests run as root.
  it.skipIf(process.getuid?.() === 0)('fs.md: "An error from the underlying directory, not the sandbox"', async () => {
    mkdirSync("test-no-access", { mode: 0 });
    try {
      await run((env) => tryReadDir(j(env.cwd, "test-no-access")));
    } finally {
      chmodSync("test-no-access", 0o700);
    }
    expect(lines).toEqual(["Eio.Io Fs Permission_denied _, reading directory <cwd:test-no-access>"]);
  });

  // fs.md: "Can use fs to access absolute paths"
  it('fs.md: "Can use fs to access absolute paths"', async () => {
    const out = await run(function* (env) {
      const b = Eio.Flow.bufferSink();
      yield* Path.withOpenIn(j(env.fs, "/dev/null"), (flow) => Eio.Flow.copy(flow, b));
      traceln(`Read "/dev/null" and got ${JSON.stringify(Eio.Flow.bufferSinkContents(b))}`);
      traceln("Trying with cwd instead fails:");
      return yield* exception(Path.withOpenIn(j(env.cwd, "/dev/null"), (flow) => Eio.Flow.copy(flow, b)));
    });
    expect(lines).toEqual(['Read "/dev/null" and got ""', "Trying with cwd instead fails:"]);
    expect(out).toBe("Eio.Io Fs Permission_denied _, opening <cwd:/dev/null>");
  });

  // fs.md: "Symlinking and sandboxing"
  it('fs.md: "Symlinking and sandboxing"', async () => {
    await run(function* (env) {
      const cwd = env.cwd;
      yield* Path.save(j(cwd, "hello.txt"), "Hello World!", { create: { exclusive: 0o600 } });
      yield* trySymlink(j(cwd, "../world.txt"), "hello.txt");
      yield* trySymlink(j(cwd, "/world.txt"), "hello.txt");
      yield* trySymlink(j(cwd, "world.txt"), "hello.txt");
      traceln(`world.txt -> hello.txt: ${yield* Path.load(j(cwd, "world.txt"))}`);
      yield* trySymlink(j(cwd, "world.txt"), "hello.txt");
      yield* trySymlink(j(cwd, "root"), "/");
      yield* tryReadDir(j(cwd, "root"));
    });
    expect(lines).toEqual([
      "Eio.Io Fs Permission_denied _, creating symlink <cwd:../world.txt> -> hello.txt",
      "Eio.Io Fs Permission_denied _, creating symlink <cwd:/world.txt> -> hello.txt",
      'symlink <cwd:world.txt> -> "hello.txt"',
      "world.txt -> hello.txt: Hello World!",
      "Eio.Io Fs Already_exists _, creating symlink <cwd:world.txt> -> hello.txt",
      'symlink <cwd:root> -> "/"',
      "Eio.Io Fs Permission_denied _, reading directory <cwd:root>",
    ]);
  });
});

describe("fs.md: Use after close", () => {
  // fs.md: "Use after close"
  it('fs.md: "Use after close"', async () => {
    const out = await run(function* (env) {
      const closed = yield* Eio.Switch.run<Eio.Path.Path>((sw) => Path.openDir(sw, env.cwd));
      try {
        yield* Path.readDir(closed);
        return "read a closed directory";
      } catch (e) {
        // Eio raises Invalid_argument; eio-ts an Error that says why.
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    });
    expect(out).toBe("Error: Path: the directory <cwd> is closed (its switch has finished)");
  });
});

describe("fs.md: Rename", () => {
  /** Eio's `try_rename t`, up to its `chdir "dir"`, which `afterChdir` runs in a run of its own. */
  function* tryRenameUnder(t: Eio.Path.Path): Generator<any, void, any> {
    yield* tryMkdir(j(t, "tmp"));
    yield* tryRename(j(t, "tmp"), j(t, "dir"));
    yield* tryWriteFile(j(t, "foo"), "FOO", { exclusive: 0o600 });
    yield* tryRename(j(t, "foo"), j(t, "dir/bar"));
    yield* tryReadFile(j(t, "dir/bar"));
    yield* Path.withOpenDir(j(t, "dir"), function* (dir) {
      yield* tryRename(j(dir, "bar"), j(t, "foo"));
      yield* tryReadFile(j(t, "foo"));
    });
  }

  async function afterChdir(which: "cwd" | "fs"): Promise<void> {
    process.chdir("dir");
    try {
      await run((env) => tryRename(j(env[which], "../foo"), j(env[which], "foo")));
    } finally {
      process.chdir("..");
    }
  }

  // fs.md: "Rename" (confined)
  it('fs.md: "Rename" (confined)', async () => {
    await run((env) => tryRenameUnder(env.cwd));
    await afterChdir("cwd");
    expect(lines).toEqual([
      "mkdir <cwd:tmp> -> ok",
      "rename <cwd:tmp> to <cwd:dir> -> ok",
      "write <cwd:foo> -> ok",
      "rename <cwd:foo> to <cwd:dir/bar> -> ok",
      'read <cwd:dir/bar> -> "FOO"',
      "rename <dir:bar> to <cwd:foo> -> ok",
      'read <cwd:foo> -> "FOO"',
      "Eio.Io Fs Permission_denied _, renaming <cwd:../foo> to <cwd:foo>",
    ]);
  });

  // fs.md: "Rename" (unconfined)
  it('fs.md: "Rename" (unconfined)', async () => {
    // Eio's block runs after the confined one, so foo is already there.
    await run((env) => Path.save(j(env.cwd, "foo"), "FOO", { create: { exclusive: 0o600 } }));
    await run((env) => tryRenameUnder(env.fs));
    await afterChdir("fs");
    expect(lines).toEqual([
      "mkdir <fs:tmp> -> ok",
      "rename <fs:tmp> to <fs:dir> -> ok",
      "Eio.Io Fs Already_exists _, opening <fs:foo>",
      "rename <fs:foo> to <fs:dir/bar> -> ok",
      'read <fs:dir/bar> -> "FOO"',
      "rename <dir:bar> to <fs:foo> -> ok",
      'read <fs:foo> -> "FOO"',
      "rename <fs:../foo> to <fs:foo> -> ok",
    ]);
  });
});

describe("fs.md: Stat", () => {
  // fs.md: "Stat"
  it('fs.md: "Stat"', async () => {
    await run(function* (env) {
      yield* tryMkdir(j(env.cwd, "stat_subdir"));
      expect(yield* Path.isDirectory(j(env.cwd, "stat_subdir"))).toBe(true);
      yield* tryWriteFile(j(env.cwd, "stat_reg"), "kingbula", { exclusive: 0o600 });
      expect(yield* Path.isFile(j(env.cwd, "stat_reg"))).toBe(true);
    });
    expect(lines).toEqual(["mkdir <cwd:stat_subdir> -> ok", "write <cwd:stat_reg> -> ok"]);
  });

  // fs.md: "Fstatat" (without its chmod)
  it('fs.md: "Fstatat" (without its chmod)', async () => {
    await run(function* (env) {
      const cwd = env.cwd;
      yield* tryMkdir(j(cwd, "stat_subdir2"));
      yield* Path.symlink(j(cwd, "symlink"), { linkTo: "stat_subdir2" });
      yield* Path.symlink(j(cwd, "broken-symlink"), { linkTo: "missing" });
      yield* tryStat(j(cwd, "stat_subdir2"));
      yield* tryStat(j(cwd, "symlink"));
      yield* tryStat(j(cwd, "broken-symlink"));
      yield* tryStat(cwd);
      yield* tryStat(j(cwd, ".."));
      yield* tryStat(j(cwd, "stat_subdir2/.."));
      yield* Path.symlink(j(cwd, "parent-symlink"), { linkTo: ".." });
      yield* tryStat(j(cwd, "parent-symlink"));
      yield* tryStat(j(j(cwd, "missing1"), "missing2"));
    });
    expect(lines).toEqual([
      "mkdir <cwd:stat_subdir2> -> ok",
      "<cwd:stat_subdir2> -> directory",
      "<cwd:symlink> -> symbolic link / directory",
      "<cwd:broken-symlink> -> symbolic link / Fs Not_found _",
      "<cwd> -> directory",
      "<cwd:..> -> Fs Permission_denied _",
      "<cwd:stat_subdir2/..> -> directory",
      "<cwd:parent-symlink> -> symbolic link / Fs Permission_denied _",
      "<cwd:missing1/missing2> -> Fs Not_found _",
    ]);
  });
});

describe("fs.md: read_link", () => {
  // fs.md: "read_link"
  it('fs.md: "read_link"', async () => {
    await run(function* (env) {
      yield* Path.symlink(j(env.cwd, "symlink"), { linkTo: "file" });
      yield* tryReadLink(j(env.cwd, "symlink"));
      yield* tryReadLink(j(env.fs, "symlink"));
      yield* tryWriteFile(j(env.cwd, "file"), "data", { exclusive: 0o600 });
      yield* tryReadLink(j(env.cwd, "file"));
      yield* tryReadLink(j(env.cwd, "../unknown"));
    });
    expect(lines).toEqual([
      'read_link <cwd:symlink> -> "file"',
      'read_link <fs:symlink> -> "file"',
      "write <cwd:file> -> ok",
      "Eio.Io _, reading target of symlink <cwd:file>",
      "Eio.Io Fs Permission_denied _, reading target of symlink <cwd:../unknown>",
    ]);
  });
});

describe("fs.md: pread/pwrite", () => {
  // fs.md: "Check reading and writing vectors at arbitrary offsets" (one buffer at a time: File.pwrite takes one)
  it('fs.md: "Check reading and writing vectors at arbitrary offsets" (one buffer at a time: File.pwrite takes one)', async () => {
    await run((env) =>
      Path.withOpenOut(j(env.cwd, "test.txt"), { create: { exclusive: 0o600 } }, function* (file) {
        yield* Eio.Flow.copyString("+-!", file);
        yield* Eio.File.pwrite(file, "abc123", { fileOffset: 2 });
        const buf1 = new Uint8Array(3);
        const buf2 = new Uint8Array(4);
        yield* Eio.File.preadExact(file, buf1, { fileOffset: 1 });
        yield* Eio.File.preadExact(file, buf2, { fileOffset: 4 });
        traceln(` ${JSON.stringify(Buffer.from(buf1).toString())}/${JSON.stringify(Buffer.from(buf2).toString())}`);
      }),
    );
    expect(lines).toEqual([' "-ab"/"c123"']);
  });

  // fs.md: "Reading at the end of a file"
  it('fs.md: "Reading at the end of a file"', async () => {
    await run((env) =>
      Path.withOpenOut(j(env.cwd, "test.txt"), { create: { orTruncate: 0o600 } }, function* (file) {
        yield* Eio.Flow.copyString("abc", file);
        const buf = new Uint8Array(10);
        const got = yield* Eio.File.pread(file, buf, { fileOffset: 0 });
        traceln(`Read ${JSON.stringify(Buffer.from(buf.subarray(0, got)).toString())}`);
        try {
          yield* Eio.File.pread(file, buf, { fileOffset: 3 });
          traceln("read past the end");
        } catch (e) {
          if (!(e instanceof Eio.Flow.EndOfFile)) throw e;
          traceln("End-of-file");
        }
      }),
    );
    expect(lines).toEqual(['Read "abc"', "End-of-file"]);
  });
});

describe("fs.md: Cancelling while readable", () => {
  // fs.md: "Ensure reads can be cancelled promptly, even if there is no need to wait"
  it('fs.md: "Ensure reads can be cancelled promptly, even if there is no need to wait"', async () => {
    let reads = 0;
    const out = await run(function* (env) {
      return yield* exception(
        Path.withOpenOut(j(env.fs, "/dev/zero"), { create: "never" }, (zero) =>
          Eio.Fiber.both(
            function* () {
              const buf = new Uint8Array(4);
              for (let i = 1; i <= 10; i++) {
                yield* Eio.Flow.readExact(zero, buf);
                reads++;
              }
              throw new Error("assert false: ten reads were not cancelled");
            },
            () => {
              throw new Error("Simulated error");
            },
          ),
        ),
      );
    });
    expect(out).toBe("Error: Simulated error");
    expect(reads).toBeLessThan(10);
  });
});

describe("fs.md: Native paths", () => {
  // fs.md: "Native paths"
  it('fs.md: "Native paths"', async () => {
    const cwd = realpathSync(process.cwd()) + "/";
    await run(function* (env) {
      const test = (x: Eio.Path.Path): void => {
        const native = Path.native(x);
        const shown = native.startsWith(cwd) ? "./" + native.slice(cwd.length) : native;
        traceln(`${String(x)} -> Some ${shown}`);
      };
      test(env.fs);
      test(j(env.fs, "/"));
      test(j(env.fs, "/etc/hosts"));
      test(j(env.fs, "."));
      test(j(env.fs, "foo/bar"));
      test(env.cwd);
      test(j(env.cwd, ".."));
      const sub = j(env.cwd, "native-sub");
      yield* Path.mkdir(sub, { perm: 0o700 });
      yield* Path.withOpenDir(sub, (sub) => {
        test(sub);
        test(j(sub, "foo.txt"));
        test(j(sub, "."));
        test(j(sub, ".."));
        test(j(sub, "/etc/passwd"));
      });
    });
    expect(lines).toEqual([
      "<fs> -> Some .",
      "<fs:/> -> Some /",
      "<fs:/etc/hosts> -> Some /etc/hosts",
      "<fs:.> -> Some .",
      // Eio's native of a relative path is absolute; eio-ts's is relative, as given.
      "<fs:foo/bar> -> Some foo/bar",
      "<cwd> -> Some .",
      "<cwd:..> -> Some ..",
      // Eio's native of an opened directory ends with "/"; eio-ts's is its real path.
      "<native-sub> -> Some ./native-sub",
      "<native-sub:foo.txt> -> Some ./native-sub/foo.txt",
      "<native-sub:.> -> Some ./native-sub/.",
      "<native-sub:..> -> Some ./native-sub/..",
      "<native-sub:/etc/passwd> -> Some /etc/passwd",
    ]);
  });
});

describe("fs.md: Extending paths", () => {
  // fs.md: "Extending paths"
  it('fs.md: "Extending paths"', async () => {
    await run((env) => {
      for (const [a, b] of [["foo", "bar"], ["foo/", "bar"], ["foo", "/bar"], ["foo", ""], ["foo/", ""], ["", ""], ["", "bar"], ["/", ""]] as const) {
        const p = j(j(env.fs, a), b);
        traceln(`${JSON.stringify(a)} / ${JSON.stringify(b)} = ${JSON.stringify(String(p).replace(/^<fs:?/, "").replace(/>$/, ""))}`);
      }
    });
    expect(lines).toEqual([
      '"foo" / "bar" = "foo/bar"',
      '"foo/" / "bar" = "foo/bar"',
      '"foo" / "/bar" = "/bar"',
      '"foo" / "" = "foo/"',
      '"foo/" / "" = "foo/"',
      '"" / "" = ""',
      '"" / "bar" = "bar"',
      '"/" / "" = "/"',
    ]);
  });
});
