/**
 * A directory capability (Eio's `Fs.dir`): the whole file system (`env.fs`), or a directory
 * that paths under it cannot leave (`env.cwd`, and whatever `Path.openDir` opens). Node has no
 * `openat2(RESOLVE_BENEATH)`, so a confined path is resolved here one step at a time: `..`
 * may not climb above the root, and each symlink met is read and its target resolved in its
 * place (an absolute target, or one that climbs out, is refused). The result is a native path
 * below the root's real path, handed to node:fs.
 * @internal
 * @module
 */
import * as fs from "node:fs";
import type { Operation } from "../core/scheduler.js";
import { escapes, fsCall } from "./fs-call.js";

/** As Linux: more symlinks than this in one resolution is `ELOOP`. */
const MAX_SYMLINKS = 40;

export class Dir {
  closed = false;
  constructor(
    /** How paths under it print: `<label:path>`. */
    readonly label: string,
    /** Real path of the directory, where confined paths are resolved ("." for `fs`: the process's directory). */
    readonly root: string,
    readonly confined: boolean,
    /** How {@link native} names the directory: `.` for `cwd`, as in Eio. */
    readonly nativeBase: string = root,
  ) {}

  /** The path as node:fs should see it, without resolving anything (Eio's `native`). */
  native(path: string): string {
    if (path.startsWith("/")) return path;
    if (this.nativeBase === ".") return path === "" ? "." : path;
    return path === "" ? this.nativeBase : concat(this.nativeBase, path);
  }

  /**
   * The native path for `path`, checked to stay below a confined directory. With `follow`
   * false a symlink as the last step is not followed (unlink, lstat, readlink, rename...).
   */
  *resolve(path: string, follow: boolean): Operation<string> {
    if (this.closed) throw closedError(this.label);
    if (!this.confined) return this.native(path);
    if (path.startsWith("/")) throw escapes(path, "absolute path");
    const todo = path.split("/").filter((step) => step !== "" && step !== ".").reverse();
    const done: string[] = [];
    let links = 0;
    while (todo.length > 0) {
      const step = todo.pop()!;
      if (step === "..") {
        if (done.length === 0) throw escapes(path, "'..' climbs above the directory");
        done.pop();
        continue;
      }
      const here = this.under(done, step);
      const last = todo.length === 0;
      if (last && !follow) {
        done.push(step);
        continue;
      }
      const stat = yield* fsCall<fs.Stats | undefined>("Path.resolve", (cb) =>
        fs.lstat(here, (error, value) => (error?.code === "ENOENT" && last ? cb(null, undefined) : cb(error, value))),
      );
      if (stat?.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw Object.assign(new Error(`ELOOP: too many symbolic links, resolving '${path}'`), { code: "ELOOP" });
        const target = yield* fsCall<string>("Path.resolve", (cb) => fs.readlink(here, cb));
        if (target.startsWith("/")) throw escapes(path, `symlink to the absolute path ${JSON.stringify(target)}`);
        todo.push(...target.split("/").filter((s) => s !== "" && s !== ".").reverse());
        continue;
      }
      done.push(step);
    }
    return done.length === 0 ? this.root : this.under(done, undefined);
  }

  private under(done: string[], step: string | undefined): string {
    const parts = step === undefined ? done : [...done, step];
    return parts.length === 0 ? this.root : concat(this.root, parts.join("/"));
  }
}

function concat(a: string, b: string): string {
  return a.endsWith("/") ? a + b : `${a}/${b}`;
}

function closedError(label: string): Error {
  return new Error(`Path: the directory <${label}> is closed (its switch has finished)`);
}

/** The whole file system (Eio's `env#fs`): relative paths are the process's own. */
export const fsDir = new Dir("fs", ".", false);

/** A confined capability for the current directory (Eio's `env#cwd`), fixed when made. */
export function cwdDir(): Dir {
  return new Dir("cwd", fs.realpathSync(process.cwd()), true, ".");
}
