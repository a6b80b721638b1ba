/**
 * Paths, as in Eio's `Eio.Path`: a path is a directory capability and a path relative to it
 * (`env.fs` for the whole file system, `env.cwd` and directories from {@link openDir} for
 * confined ones), and every file-system operation starts from one. A path under a confined
 * directory cannot reach above it, through `..`, an absolute path or a symlink: that fails
 * with `Eio.Fs.PermissionDenied`. Errors name the path as Eio prints it, `<cwd:dir/file>`.
 * @module
 */
import * as fs from "node:fs";
import { constants } from "node:fs";
import { runBody, type Operation } from "../core/scheduler.js";
import { onReleaseCancellable, run as runSwitch } from "../core/switch.js";
import { Switch } from "../core/switch-type.js";
import { of as bufReadOf } from "./buf-read.js";
import { line } from "./buf-read-parsers.js";
import { Dir } from "./dir.js";
import { directRefused, FileImpl, statOf } from "./file-impl.js";
import type { File, Kind, Stat } from "./file.js";
import { EndOfFile } from "./flow.js";
import { NotFound, AlreadyExists, type Create } from "./fs.js";
import { checkPerm, createFlags, describeValue, fsCall, fsError } from "./fs-call.js";

/**
 * A path: a directory capability and a path relative to it (Eio's `Path.t`). Build them from
 * `env.fs` or `env.cwd` with {@link join}; `String(path)` prints it as Eio does.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => {
 *   const path: Eio.Path.Path = Eio.Path.join(env.cwd, "data/log.txt");
 *   console.log(String(path));
 * });
 * ```
 */
export class Path {
  /** @internal */
  constructor(
    /** @internal */
    readonly dir: Dir,
    /** The path relative to the directory (absolute under `env.fs`). */
    readonly path: string,
  ) {}

  /** How Eio prints a path: `<cwd:dir/file>`, `<fs:/tmp>`, `<cwd>`. */
  toString(): string {
    return this.path === "" ? `<${this.dir.label}>` : `<${this.dir.label}:${this.path}>`;
  }
}

function checkPath(value: unknown, what: string): Path {
  if (!(value instanceof Path)) throw new TypeError(`${what}: expected an Eio.Path.Path (from env.fs, env.cwd or Path.join), got ${describeValue(value)}`);
  return value;
}

function checkSwitch(sw: unknown, what: string): Switch {
  if (!(sw instanceof Switch)) throw new TypeError(`${what}: expected a switch as the first argument, got ${describeValue(sw)}`);
  return sw;
}

function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== "function") throw new TypeError(`${what}: expected a function, got ${describeValue(fn)}`);
}

/** `body`, with node:fs errors turned into Eio's, saying `doing` (`"opening <cwd:x>"`). */
function* withContext<T>(doing: string, body: Operation<T>): Operation<T> {
  try {
    return yield* body;
  } catch (error) {
    throw fsError(error, doing);
  }
}

function concat(a: string, b: string): string {
  return a === "" || a.endsWith("/") ? a + b : `${a}/${b}`;
}

/**
 * The path `step` under `path`: Eio's `dir / step`. An absolute `step` replaces the path
 * (and, under a confined directory, will then be refused).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => {
 *   console.log(String(Eio.Path.join(Eio.Path.join(env.cwd, "a"), "b.txt")));
 *   console.log(String(Eio.Path.join(env.fs, "/tmp")));
 * });
 * ```
 */
export function join(path: Path, step: string): Path {
  const p = checkPath(path, "Path.join");
  if (typeof step !== "string") throw new TypeError(`Path.join: expected a string step, got ${describeValue(step)}`);
  if (step === "") return new Path(p.dir, concat(p.path, step));
  if (step.startsWith("/")) return new Path(p.dir, step);
  if (p.path === ".") return new Path(p.dir, step);
  return new Path(p.dir, concat(p.path, step));
}

/**
 * The path as the operating system would name it (for a program started with it, say),
 * without resolving anything. Mirrors `Eio.Path.native`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => console.log(Eio.Path.native(Eio.Path.join(env.fs, "/tmp/x"))));
 * ```
 */
export function native(path: Path): string {
  const p = checkPath(path, "Path.native");
  return p.dir.native(p.path);
}

function removeTrailingSlashes(s: string): string {
  let i = s.length;
  while (i > 1 && s[i - 1] === "/") i--;
  return s.slice(0, i);
}

/**
 * The parent and the last step of `path`, or `undefined` for a path with no last step
 * (`<cwd>`, `<fs:/>`). Mirrors `Eio.Path.split`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run((env) => {
 *   const [parent, name] = Eio.Path.split(Eio.Path.join(env.cwd, "a/b/c.txt"))!;
 *   console.log(String(parent), name, Eio.Path.split(env.cwd));
 * });
 * ```
 */
export function split(path: Path): [Path, string] | undefined {
  const p = checkPath(path, "Path.split");
  const trimmed = removeTrailingSlashes(p.path);
  if (trimmed === "" || trimmed === "/") return undefined;
  const at = trimmed.lastIndexOf("/");
  if (at < 0) return [new Path(p.dir, ""), trimmed];
  const parent = at === 0 ? "/" : removeTrailingSlashes(trimmed.slice(0, at));
  return [new Path(p.dir, parent), trimmed.slice(at + 1)];
}

/**
 * Options of {@link openIn}, {@link withOpenIn}: a flag Eio lacks.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Path.OpenInOptions = { direct: false };
 * console.log(options.direct);
 * ```
 */
export interface OpenInOptions {
  /** Open with O_DIRECT: bypass the page cache (lengths, offsets multiple of 512). */
  readonly direct?: boolean;
}

/**
 * Options of {@link openOut}, {@link withOpenOut} and {@link save}: Eio's `create` and
 * `append`, and the two flags Eio lacks.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const options: Eio.Path.OpenOutOptions = { create: { ifMissing: 0o644 }, append: true, sync: true };
 * console.log(options.create);
 * ```
 */
export interface OpenOutOptions {
  /** When to create the file: see `Eio.Fs.Create`. */
  readonly create: Create;
  /** Write at the end of the file (O_APPEND), whatever else writes to it. */
  readonly append?: boolean;
  /** Open with O_DSYNC: each write returns once its data is on the storage device. */
  readonly sync?: boolean;
  /**
   * Open with O_DIRECT: bypass the page cache. Writes go through memory aligned for it, and
   * their lengths and offsets must be multiples of 512. A file system without direct I/O
   * (or needing larger units) refuses with an `Eio.Fs.FsError` that says so.
   */
  readonly direct?: boolean;
}

function checkFlag(value: unknown, what: string, name: string): boolean {
  if (value !== undefined && typeof value !== "boolean") throw new TypeError(`${what}: options.${name} must be a boolean, got ${describeValue(value)}`);
  return value === true;
}

function* openFile(sw: Switch, p: Path, flags: number, perm: number, append: boolean, direct: boolean, doing: string): Operation<File> {
  const label = String(p);
  const native = yield* withContext(`${doing} ${label}`, p.dir.resolve(p.path, true));
  const noFollow = p.dir.confined ? constants.O_NOFOLLOW : 0;
  let fd: number;
  try {
    fd = yield* fsCall<number>("Path.open", (cb) => fs.open(native, flags | noFollow, perm, cb), (late) => fs.close(late, () => {}));
  } catch (error) {
    if (direct && (error as NodeJS.ErrnoException).code === "EINVAL") throw directRefused(label, doing, error);
    throw fsError(error, `${doing} ${label}`);
  }
  const file = new FileImpl(fd, label, append, direct);
  file.hook = onReleaseCancellable(sw, () => file.closeNow());
  return file;
}

/**
 * Opens the file at `path` for reading; `sw` closes it when it finishes. Mirrors
 * `Eio.Path.open_in`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const file = yield* Eio.Path.openIn(sw, Eio.Path.join(env.cwd, "package.json"));
 *     const reader = Eio.BufRead.of(file, { maxSize: 1 << 20 });
 *     console.log(yield* Eio.BufRead.line(reader));
 *   });
 * });
 * ```
 */
export function openIn(sw: Switch, path: Path, options: OpenInOptions = {}): Operation<File> {
  checkSwitch(sw, "Path.openIn");
  const p = checkPath(path, "Path.openIn");
  const direct = checkFlag(options.direct, "Path.openIn", "direct");
  return openFile(sw, p, constants.O_RDONLY | (direct ? constants.O_DIRECT : 0), 0, false, direct, "opening");
}

/**
 * Opens the file at `path` for reading and writing, creating it as `create` says; `sw`
 * closes it when it finishes. Mirrors `Eio.Path.open_out`, with the `sync` and `direct`
 * flags Eio lacks.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-open-out-example.log");
 *   yield* Eio.Switch.run(function* (sw) {
 *     const log = yield* Eio.Path.openOut(sw, path, { create: { orTruncate: 0o600 }, append: true, sync: true });
 *     yield* Eio.Flow.write(log, "one\n");
 *     yield* Eio.Flow.write(log, "two\n");
 *   });
 *   console.log(JSON.stringify(yield* Eio.Path.load(path)));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function openOut(sw: Switch, path: Path, options: OpenOutOptions): Operation<File> {
  checkSwitch(sw, "Path.openOut");
  const p = checkPath(path, "Path.openOut");
  if (typeof options !== "object" || options === null) throw new TypeError(`Path.openOut: expected options { create, append?, sync?, direct? }, got ${describeValue(options)}`);
  const { flags, perm } = createFlags(options.create, "Path.openOut");
  const append = checkFlag(options.append, "Path.openOut", "append");
  const dsync = checkFlag(options.sync, "Path.openOut", "sync");
  const direct = checkFlag(options.direct, "Path.openOut", "direct");
  const all = constants.O_RDWR | flags | (append ? constants.O_APPEND : 0) | (dsync ? constants.O_DSYNC : 0) | (direct ? constants.O_DIRECT : 0);
  return openFile(sw, p, all, perm, append, direct, "opening");
}

/**
 * Opens `path` for reading, runs `fn` with the file, and closes it when `fn` returns or
 * throws. Mirrors `Eio.Path.with_open_in`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const size = yield* Eio.Path.withOpenIn(Eio.Path.join(env.cwd, "package.json"), (file) => Eio.File.size(file));
 *   console.log(size > 0);
 * });
 * ```
 */
export function withOpenIn<T>(path: Path, fn: (file: File) => Generator<unknown, T, unknown> | T, options: OpenInOptions = {}): Operation<T> {
  checkPath(path, "Path.withOpenIn");
  checkFunction(fn, "Path.withOpenIn");
  return runSwitch<T>(function* (sw): Operation<T> {
    return yield* runBody<T>(fn(yield* openIn(sw, path, options)));
  }, { name: "withOpenIn" });
}

/**
 * Opens `path` for writing as {@link openOut} does, runs `fn` with the file, and closes it
 * when `fn` returns or throws. Mirrors `Eio.Path.with_open_out`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-with-open-out-example.txt");
 *   yield* Eio.Path.withOpenOut(path, { create: { orTruncate: 0o600 } }, (file) => Eio.Flow.write(file, "written"));
 *   console.log(yield* Eio.Path.load(path));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function withOpenOut<T>(path: Path, options: OpenOutOptions, fn: (file: File) => Generator<unknown, T, unknown> | T): Operation<T> {
  checkPath(path, "Path.withOpenOut");
  checkFunction(fn, "Path.withOpenOut");
  return runSwitch<T>(function* (sw): Operation<T> {
    return yield* runBody<T>(fn(yield* openOut(sw, path, options)));
  }, { name: "withOpenOut" });
}

/**
 * Reads the next line of a file (without its `\n` or `\r\n`), or `undefined` at the end: what
 * {@link withLines} gives its function (Eio gives a lazy sequence of lines).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Path.withLines(Eio.Path.join(env.cwd, "package.json"), function* (nextLine: Eio.Path.Lines) {
 *     console.log(yield* nextLine());
 *   });
 * });
 * ```
 */
export type Lines = () => Operation<string | undefined>;

/**
 * Opens `path` and runs `fn` with a function that reads its lines one at a time; closes the
 * file when `fn` returns or throws. Mirrors `Eio.Path.with_lines`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-lines-example.txt");
 *   yield* Eio.Path.save(path, "a\nb\nc\n", { create: { orTruncate: 0o600 } });
 *   const lines = yield* Eio.Path.withLines(path, function* (nextLine) {
 *     const all: string[] = [];
 *     for (let l = yield* nextLine(); l !== undefined; l = yield* nextLine()) all.push(l);
 *     return all;
 *   });
 *   console.log(lines);
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function withLines<T>(path: Path, fn: (nextLine: Lines) => Generator<unknown, T, unknown> | T): Operation<T> {
  checkPath(path, "Path.withLines");
  checkFunction(fn, "Path.withLines");
  return withOpenIn<T>(path, function* (file): Operation<T> {
    const reader = bufReadOf(file, { maxSize: Number.MAX_SAFE_INTEGER });
    const nextLine: Lines = function* (): Operation<string | undefined> {
      try {
        return yield* line(reader);
      } catch (error) {
        if (error instanceof EndOfFile) return undefined;
        throw error;
      }
    };
    return yield* runBody<T>(fn(nextLine));
  });
}

/**
 * The whole contents of the file at `path`, as UTF-8 text. Mirrors `Eio.Path.load`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const text = yield* Eio.Path.load(Eio.Path.join(env.cwd, "package.json"));
 *   console.log(JSON.parse(text).private);
 * });
 * ```
 */
export function load(path: Path): Operation<string> {
  const p = checkPath(path, "Path.load");
  return withContext(
    `loading ${String(p)}`,
    withOpenIn(p, function* (file): Operation<string> {
      const f = file as FileImpl;
      let buffer = Buffer.alloc(Math.max((yield* f.call<fs.Stats>("examining", (fd, cb) => fs.fstat(fd, cb))).size, 4096));
      let got = 0;
      for (;;) {
        if (got === buffer.length) buffer = Buffer.concat([buffer, Buffer.alloc(buffer.length)]);
        try {
          got += yield* f.readInto(buffer.subarray(got));
        } catch (error) {
          if (error instanceof EndOfFile) return buffer.toString("utf8", 0, got);
          throw error;
        }
      }
    }),
  );
}

/**
 * Writes `data` to the file at `path`, opened as {@link openOut} does (so `create` says
 * whether it may or must be created, and `append` adds to its end). Mirrors `Eio.Path.save`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-save-example.txt");
 *   yield* Eio.Path.save(path, "one ", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.save(path, "two", { create: "never", append: true });
 *   console.log(yield* Eio.Path.load(path));
 *   yield* Eio.Path.unlink(path);
 * });
 * ```
 */
export function save(path: Path, data: string | Uint8Array, options: OpenOutOptions): Operation<void> {
  checkPath(path, "Path.save");
  if (typeof data !== "string" && !(data instanceof Uint8Array)) throw new TypeError(`Path.save: expected a string or a Uint8Array, got ${describeValue(data)}`);
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return withOpenOut(path, options, (file) => (file as FileImpl).writeAll(bytes));
}

/**
 * Opens the directory at `path` as a capability of its own, confined like `env.cwd`: paths
 * under it cannot reach above it. `sw` closes it when it finishes (it then refuses to be used).
 * Mirrors `Eio.Path.open_dir`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   yield* Eio.Switch.run(function* (sw) {
 *     const docs = yield* Eio.Path.openDir(sw, Eio.Path.join(env.cwd, "docs"));
 *     console.log(String(docs), yield* Eio.Path.isFile(Eio.Path.join(docs, "index.md")));
 *   });
 * });
 * ```
 */
export function* openDir(sw: Switch, path: Path): Operation<Path> {
  checkSwitch(sw, "Path.openDir");
  const p = checkPath(path, "Path.openDir");
  const doing = `opening directory ${String(p)}`;
  const native = yield* withContext(doing, p.dir.resolve(p.path, true));
  const real = yield* withContext(doing, fsCall<string>("Path.openDir", (cb) => fs.realpath(native, cb)));
  const stat = yield* withContext(doing, fsCall<fs.Stats>("Path.openDir", (cb) => fs.stat(real, cb)));
  if (!stat.isDirectory()) throw fsError(Object.assign(new Error("not a directory"), { code: "ENOTDIR" }), doing);
  const trimmed = removeTrailingSlashes(p.path);
  const name = trimmed === "" ? p.dir.label : trimmed.slice(trimmed.lastIndexOf("/") + 1) || "/";
  const dir = new Dir(name, real, true);
  onReleaseCancellable(sw, () => {
    dir.closed = true;
  });
  return new Path(dir, "");
}

/**
 * Opens the directory at `path` as {@link openDir} does, runs `fn` with it, and closes it
 * when `fn` returns or throws. Mirrors `Eio.Path.with_open_dir`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const names = yield* Eio.Path.withOpenDir(Eio.Path.join(env.cwd, "docs"), (dir) => Eio.Path.readDir(dir));
 *   console.log(names.includes("index.md"));
 * });
 * ```
 */
export function withOpenDir<T>(path: Path, fn: (dir: Path) => Generator<unknown, T, unknown> | T): Operation<T> {
  checkPath(path, "Path.withOpenDir");
  checkFunction(fn, "Path.withOpenDir");
  return runSwitch<T>(function* (sw): Operation<T> {
    return yield* runBody<T>(fn(yield* openDir(sw, path)));
  }, { name: "withOpenDir" });
}

/** Resolves `p` and runs one node:fs call on the native path, with Eio's error context. */
function onNative<T>(p: Path, follow: boolean, doing: string, call: (native: string, cb: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Operation<T> {
  return withContext(
    `${doing} ${String(p)}`,
    (function* (): Operation<T> {
      const native = yield* p.dir.resolve(p.path, follow);
      return yield* fsCall<T>(`Path.${doing}`, (cb) => call(native, cb));
    })(),
  );
}

/**
 * The names in the directory at `path`, sorted, without `.` and `..`. Mirrors
 * `Eio.Path.read_dir`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   console.log((yield* Eio.Path.readDir(Eio.Path.join(env.cwd, "packages"))).includes("eio"));
 * });
 * ```
 */
export function* readDir(path: Path): Operation<string[]> {
  const p = checkPath(path, "Path.readDir");
  const names = yield* onNative<string[]>(p, true, "reading directory", (native, cb) => fs.readdir(native, cb));
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Creates the directory `path` with permissions `perm` (before the umask). Mirrors
 * `Eio.Path.mkdir`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const dir = Eio.Path.join(env.fs, `/tmp/eio-mkdir-example-${process.pid}`);
 *   yield* Eio.Path.mkdir(dir, { perm: 0o700 });
 *   console.log(yield* Eio.Path.isDirectory(dir));
 *   yield* Eio.Path.rmdir(dir);
 * });
 * ```
 */
export function mkdir(path: Path, options: { perm: number }): Operation<void> {
  const p = checkPath(path, "Path.mkdir");
  const perm = checkPerm(options?.perm, "Path.mkdir");
  return onNative<void>(p, false, "creating directory", (native, cb) => fs.mkdir(native, { mode: perm }, (e) => cb(e, undefined)));
}

/**
 * Creates the directory `path` and any missing parents. With `existsOk`, a directory already
 * there is fine. Mirrors `Eio.Path.mkdirs`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const top = Eio.Path.join(env.fs, `/tmp/eio-mkdirs-example-${process.pid}`);
 *   yield* Eio.Path.mkdirs(Eio.Path.join(top, "a/b/c"), { perm: 0o700 });
 *   yield* Eio.Path.mkdirs(Eio.Path.join(top, "a/b"), { perm: 0o700, existsOk: true });
 *   console.log(yield* Eio.Path.readDir(Eio.Path.join(top, "a/b")));
 *   yield* Eio.Path.rmtree(top);
 * });
 * ```
 */
export function* mkdirs(path: Path, options: { perm: number; existsOk?: boolean }): Operation<void> {
  const p = checkPath(path, "Path.mkdirs");
  const perm = checkPerm(options?.perm, "Path.mkdirs");
  const existsOk = checkFlag(options.existsOk, "Path.mkdirs", "existsOk");
  const parent = split(p);
  if (parent !== undefined) {
    let there: boolean;
    try {
      there = yield* isDirectory(parent[0]);
    } catch (error) {
      throw fsError(error, `creating directory ${String(p)}`);
    }
    if (!there) yield* mkdirs(parent[0], { perm, existsOk: true });
  }
  try {
    yield* mkdir(p, { perm });
  } catch (error) {
    if (!(error instanceof AlreadyExists && existsOk && (yield* isDirectory(p)))) throw error;
  }
}

/**
 * Removes the empty directory `path`. Mirrors `Eio.Path.rmdir`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const dir = Eio.Path.join(env.fs, `/tmp/eio-rmdir-example-${process.pid}`);
 *   yield* Eio.Path.mkdir(dir, { perm: 0o700 });
 *   yield* Eio.Path.rmdir(dir);
 *   console.log(yield* Eio.Path.kind(dir, { follow: false }));
 * });
 * ```
 */
export function rmdir(path: Path): Operation<void> {
  const p = checkPath(path, "Path.rmdir");
  return onNative<void>(p, false, "removing directory", (native, cb) => fs.rmdir(native, (e) => cb(e, undefined)));
}

/**
 * Removes `path` and, if it is a directory, everything in it (symlinks are removed, not
 * followed). With `missingOk`, a path that does not exist (or vanishes meanwhile) is fine.
 * Mirrors `Eio.Path.rmtree`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const top = Eio.Path.join(env.fs, `/tmp/eio-rmtree-example-${process.pid}`);
 *   yield* Eio.Path.mkdirs(Eio.Path.join(top, "x/y"), { perm: 0o700 });
 *   yield* Eio.Path.save(Eio.Path.join(top, "x/file"), "data", { create: { exclusive: 0o600 } });
 *   yield* Eio.Path.rmtree(top);
 *   yield* Eio.Path.rmtree(top, { missingOk: true });
 *   console.log(yield* Eio.Path.kind(top, { follow: false }));
 * });
 * ```
 */
export function* rmtree(path: Path, options: { missingOk?: boolean } = {}): Operation<void> {
  const p = checkPath(path, "Path.rmtree");
  const missingOk = checkFlag(options.missingOk, "Path.rmtree", "missingOk");
  const catchMissing = function* (op: Operation<void>): Operation<void> {
    try {
      yield* op;
    } catch (error) {
      if (!(missingOk && error instanceof NotFound)) throw error;
    }
  };
  const k = yield* kind(p, { follow: false });
  if (k === "directory") {
    let names: string[] = [];
    try {
      names = yield* readDir(p);
    } catch (error) {
      if (!(missingOk && error instanceof NotFound)) throw error;
    }
    for (const name of names) yield* rmtree(join(p, name), { missingOk });
    yield* catchMissing(rmdir(p));
  } else if (k === "notFound") {
    if (!missingOk) yield* unlink(p);
  } else {
    yield* catchMissing(unlink(p));
  }
}

/**
 * Removes the file (or symlink) `path`. Mirrors `Eio.Path.unlink`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const path = Eio.Path.join(env.fs, "/tmp/eio-unlink-example.txt");
 *   yield* Eio.Path.save(path, "x", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.unlink(path);
 *   console.log(yield* Eio.Path.isFile(path));
 * });
 * ```
 */
export function unlink(path: Path): Operation<void> {
  const p = checkPath(path, "Path.unlink");
  return onNative<void>(p, false, "removing file", (native, cb) => fs.unlink(native, (e) => cb(e, undefined)));
}

/**
 * Renames `from` to `to`, replacing `to` if it is a file; the two may be under different
 * directory capabilities (on the same file system). Mirrors `Eio.Path.rename`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const a = Eio.Path.join(env.fs, "/tmp/eio-rename-a.txt");
 *   const b = Eio.Path.join(env.fs, "/tmp/eio-rename-b.txt");
 *   yield* Eio.Path.save(a, "moved", { create: { orTruncate: 0o600 } });
 *   yield* Eio.Path.rename(a, b);
 *   console.log(yield* Eio.Path.load(b), yield* Eio.Path.isFile(a));
 *   yield* Eio.Path.unlink(b);
 * });
 * ```
 */
export function rename(from: Path, to: Path): Operation<void> {
  const a = checkPath(from, "Path.rename");
  const b = checkPath(to, "Path.rename");
  return withContext(
    `renaming ${String(a)} to ${String(b)}`,
    (function* (): Operation<void> {
      const source = yield* a.dir.resolve(a.path, false);
      const target = yield* b.dir.resolve(b.path, false);
      yield* fsCall<void>("Path.rename", (cb) => fs.rename(source, target, (e) => cb(e, undefined)));
    })(),
  );
}

/**
 * What the system says about `path`: about the symlink itself with `follow: false`, about
 * what it points to with `follow: true`. Mirrors `Eio.Path.stat`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const s = yield* Eio.Path.stat(Eio.Path.join(env.cwd, "package.json"), { follow: true });
 *   console.log(s.kind, s.size > 0);
 * });
 * ```
 */
export function* stat(path: Path, options: { follow: boolean }): Operation<Stat> {
  const p = checkPath(path, "Path.stat");
  if (typeof options?.follow !== "boolean") throw new TypeError(`Path.stat: options.follow must be a boolean, got ${describeValue(options?.follow)}`);
  const follow = options.follow;
  return statOf(yield* onNative<fs.Stats>(p, follow, "examining", (native, cb) => (follow ? fs.stat(native, cb) : fs.lstat(native, cb))));
}

/**
 * What kind of thing `path` is, or `"notFound"`. Mirrors `Eio.Path.kind`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   console.log(yield* Eio.Path.kind(Eio.Path.join(env.cwd, "docs"), { follow: true }));
 *   console.log(yield* Eio.Path.kind(Eio.Path.join(env.cwd, "no-such-thing"), { follow: true }));
 * });
 * ```
 */
export function* kind(path: Path, options: { follow: boolean }): Operation<Kind | "notFound"> {
  checkPath(path, "Path.kind");
  try {
    return (yield* stat(path, options)).kind;
  } catch (error) {
    if (error instanceof NotFound) return "notFound";
    throw error;
  }
}

/**
 * True if `path` is (or is a symlink to) a regular file. Mirrors `Eio.Path.is_file`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   console.log(yield* Eio.Path.isFile(Eio.Path.join(env.cwd, "package.json")));
 * });
 * ```
 */
export function* isFile(path: Path): Operation<boolean> {
  checkPath(path, "Path.isFile");
  return (yield* kind(path, { follow: true })) === "regularFile";
}

/**
 * True if `path` is (or is a symlink to) a directory. Mirrors `Eio.Path.is_directory`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   console.log(yield* Eio.Path.isDirectory(Eio.Path.join(env.cwd, "docs")));
 * });
 * ```
 */
export function* isDirectory(path: Path): Operation<boolean> {
  checkPath(path, "Path.isDirectory");
  return (yield* kind(path, { follow: true })) === "directory";
}

/**
 * The target of the symlink `path`, as written in it. Mirrors `Eio.Path.read_link`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const link = Eio.Path.join(env.fs, `/tmp/eio-readlink-example-${process.pid}`);
 *   yield* Eio.Path.symlink(link, { linkTo: "somewhere/else" });
 *   console.log(yield* Eio.Path.readLink(link));
 *   yield* Eio.Path.unlink(link);
 * });
 * ```
 */
export function readLink(path: Path): Operation<string> {
  const p = checkPath(path, "Path.readLink");
  return onNative<string>(p, false, "reading target of symlink", (native, cb) => fs.readlink(native, cb));
}

/**
 * Creates a symlink at `path` pointing to `linkTo` (written as it is; under a confined
 * directory, following it later must still stay inside). Mirrors `Eio.Path.symlink`.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   const link = Eio.Path.join(env.fs, `/tmp/eio-symlink-example-${process.pid}`);
 *   yield* Eio.Path.symlink(link, { linkTo: "/tmp" });
 *   console.log(yield* Eio.Path.isDirectory(link));
 *   yield* Eio.Path.unlink(link);
 * });
 * ```
 */
export function symlink(path: Path, options: { linkTo: string }): Operation<void> {
  const p = checkPath(path, "Path.symlink");
  const linkTo = options?.linkTo;
  if (typeof linkTo !== "string" || linkTo === "") throw new TypeError(`Path.symlink: options.linkTo must be a non-empty string, got ${describeValue(linkTo)}`);
  return withContext(
    `creating symlink ${String(p)} -> ${linkTo}`,
    (function* (): Operation<void> {
      const native = yield* p.dir.resolve(p.path, false);
      yield* fsCall<void>("Path.symlink", (cb) => fs.symlink(linkTo, native, (e) => cb(e, undefined)));
    })(),
  );
}
