/**
 * Running node:fs work from a fiber: the call runs on libuv's thread pool while other fibers
 * run, and is abandoned on cancellation (the OS cannot stop it): its late result goes to
 * `abandon` (an fd to close). Also: Node's errors as Eio's, and `Fs.Create` as open flags.
 * @internal
 * @module
 */
import { constants } from "node:fs";
import { suspend, type Fiber, type Operation } from "../core/scheduler.js";
import { addContext, Io } from "./exn.js";
import { AlreadyExists, FsError, NotFound, PermissionDenied, type Create } from "./fs.js";

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

/**
 * Runs `start(callback)` and suspends until it calls back. Cancelled, the fiber wakes at once
 * with `Cancelled`; the call goes on, and its result, when it comes, is given to `abandon`.
 */
export function fsCall<T>(what: string, start: (callback: Callback<T>) => void, abandon?: (value: T) => void): Operation<T> {
  return suspend<T>(what, (fiber: Fiber) => {
    const scheduler = fiber.scheduler;
    let waiting = true;
    scheduler.addExternalWait();
    fiber.cancelFn = (cancelled) => {
      if (!waiting) return;
      waiting = false;
      scheduler.removeExternalWait();
      scheduler.wakeError(fiber, cancelled);
    };
    const callback: Callback<T> = (error, value) => {
      if (!waiting) {
        if (error === null) abandon?.(value);
        return;
      }
      waiting = false;
      scheduler.removeExternalWait();
      if (error !== null) scheduler.wakeError(fiber, error);
      else scheduler.wake(fiber, value);
    };
    try {
      start(callback);
    } catch (error) {
      // Node validates some arguments synchronously.
      callback(error as NodeJS.ErrnoException, undefined as T);
    }
  });
}

/** A node:fs error with no path in its message (we name the path Eio's way). */
function systemDetail(error: NodeJS.ErrnoException): string {
  const code = error.code ?? "EIO";
  const text = error.message.replace(/^[A-Z0-9_]+: /, "").replace(/, \w+( '.*')?$/, "");
  return `${code}: ${text}`;
}

/**
 * Turns a node:fs error into one of ours, saying what we were doing (`"opening <cwd:x>"`); an
 * I/O error of ours gets the step added to its context (once: a step already last is not
 * repeated). Others (a TypeError from a bad argument, a `Cancelled`) are not I/O errors and
 * pass unchanged.
 */
export function fsError(error: unknown, context: string): unknown {
  if (error instanceof Io) {
    if (error.context[error.context.length - 1] !== context) addContext(error, context);
    return error;
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== "string" || !code.startsWith("E")) return error;
  const errno = error as NodeJS.ErrnoException;
  const detail = systemDetail(errno);
  const options = { cause: error, context: [context] };
  switch (code) {
    case "ENOENT":
      return new NotFound(code, detail, options);
    case "EEXIST":
      return new AlreadyExists(code, detail, options);
    case "EACCES":
    case "EPERM":
      return new PermissionDenied(code, detail, options);
    default:
      return new FsError(code, detail, options);
  }
}

/** The error for a path that would leave its directory: Eio's `Permission_denied`. */
export function escapes(path: string, why: string): PermissionDenied {
  return new PermissionDenied("EPERM", `${why}: ${JSON.stringify(path)} is not below its directory`);
}

/** Checks an `Fs.Create` and gives its open flags and permissions. */
export function createFlags(create: unknown, what: string): { flags: number; perm: number } {
  if (create === "never") return { flags: 0, perm: 0o666 };
  if (typeof create === "object" && create !== null) {
    const keys = Object.keys(create);
    const perm = (create as Record<string, unknown>)[keys[0] ?? ""];
    if (keys.length === 1 && typeof perm === "number" && Number.isInteger(perm) && perm >= 0 && perm <= 0o7777) {
      switch (keys[0]) {
        case "ifMissing":
          return { flags: constants.O_CREAT, perm };
        case "orTruncate":
          return { flags: constants.O_CREAT | constants.O_TRUNC, perm };
        case "exclusive":
          return { flags: constants.O_CREAT | constants.O_EXCL, perm };
      }
    }
  }
  throw new TypeError(
    `${what}: options.create must be "never", { ifMissing: perm }, { orTruncate: perm } or { exclusive: perm } with perm an integer 0..0o7777, got ${describeValue(create)}`,
  );
}

export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** Checks a permission mode such as `0o755`. */
export function checkPerm(perm: unknown, what: string): number {
  if (typeof perm !== "number" || !Number.isInteger(perm) || perm < 0 || perm > 0o7777) {
    throw new TypeError(`${what}: options.perm must be an integer 0..0o7777 (such as 0o755), got ${describeValue(perm)}`);
  }
  return perm;
}
