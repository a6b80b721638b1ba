/**
 * File-system errors and the `create` modes, as in Eio's `Eio.Fs`. The operations themselves
 * are in `Eio.Path` (paths and directories) and `Eio.File` (open files).
 * @module
 */
import { rememberErrorClass } from "../shared/error-classes.js";
import { Io } from "./exn.js";

/**
 * A file-system operation failed: Eio's `Eio.Io (Fs.E _, context)`. `code` is the system's
 * error code (`"ENOENT"`, ...), or `"EPERM"` for a path that would escape its directory; the
 * context says what was being done, on which path. The base class of the other file-system
 * errors: an error without an Eio case of its own (`ENOTDIR`, `EISDIR`, `ENOTEMPTY`...) is an
 * `FsError` itself, printed `Eio.Io Fs ENOTDIR: ...`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const err = new Eio.Fs.FsError("EIO", "EIO: i/o error", { context: ["reading <fs:/x>"] });
 * console.log(err instanceof Eio.Io, err.code, err.message);
 * ```
 */
export class FsError extends Io {
  /** The class name, as for built-in errors. */
  override readonly name: string = "FsError";
  constructor(
    /** The system error code, such as `"ENOENT"` or `"EEXIST"`. */
    readonly code: string,
    /** What the system said (`"ENOENT: no such file or directory"`). */
    detail: string,
    options?: { cause?: unknown; context?: readonly string[] },
  ) {
    super(`Fs ${eioCases.get(new.target) ?? ""}${detail}`, options);
  }
}

/**
 * The path does not exist. Mirrors Eio's `Fs.Not_found`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Path.load(Eio.Path.join(env.fs, "/no/such/file"));
 *   } catch (e) {
 *     console.log(e instanceof Eio.Fs.NotFound, (e as Error).message);
 *   }
 * });
 * ```
 */
export class NotFound extends FsError {
  /** The class name, as for built-in errors. */
  override readonly name = "NotFound";
}

/**
 * Something already exists at the path (creating it exclusively, `mkdir`...). Mirrors Eio's
 * `Fs.Already_exists`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Path.mkdir(Eio.Path.join(env.fs, "/tmp"), { perm: 0o700 });
 *   } catch (e) {
 *     console.log(e instanceof Eio.Fs.AlreadyExists);
 *   }
 * });
 * ```
 */
export class AlreadyExists extends FsError {
  /** The class name, as for built-in errors. */
  override readonly name = "AlreadyExists";
}

/**
 * Not allowed: the system said no (`EACCES`, `EPERM`), or the path would reach outside the
 * directory it is confined to (through `..`, an absolute path or a symlink). Mirrors Eio's
 * `Fs.Permission_denied`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.run(function* (env) {
 *   try {
 *     yield* Eio.Path.load(Eio.Path.join(env.cwd, "../outside"));
 *   } catch (e) {
 *     console.log(e instanceof Eio.Fs.PermissionDenied, (e as Error).message);
 *   }
 * });
 * ```
 */
export class PermissionDenied extends FsError {
  /** The class name, as for built-in errors. */
  override readonly name = "PermissionDenied";
}

/** How Eio names each case after `Fs`. */
const eioCases = new Map<abstract new (...args: never[]) => FsError, string>([
  [NotFound, "Not_found "],
  [AlreadyExists, "Already_exists "],
  [PermissionDenied, "Permission_denied "],
]);

rememberErrorClass(FsError);
rememberErrorClass(NotFound);
rememberErrorClass(AlreadyExists);
rememberErrorClass(PermissionDenied);

/**
 * When opening for writing creates the file (Eio's `Fs.create`), with the permissions (such
 * as `0o644`, before the umask) of a file it creates:
 * - `"never"`: the file must exist (Eio's `` `Never ``);
 * - `{ ifMissing: perm }`: create it if missing, else open it as it is;
 * - `{ orTruncate: perm }`: create it if missing, else truncate it to zero length;
 * - `{ exclusive: perm }`: always create it; fail with {@link AlreadyExists} if it exists.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const modes: Eio.Fs.Create[] = ["never", { ifMissing: 0o644 }, { orTruncate: 0o644 }, { exclusive: 0o600 }];
 * console.log(modes.length);
 * ```
 */
export type Create =
  | "never"
  | {
      /** Create the file with these permissions if it is missing. */
      readonly ifMissing: number;
    }
  | {
      /** Create the file with these permissions if it is missing, else empty it. */
      readonly orTruncate: number;
    }
  | {
      /** Create the file with these permissions; it must not exist. */
      readonly exclusive: number;
    };
