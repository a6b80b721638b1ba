/**
 * Errors across domains: an error is described as plain data (its class name, message, stack,
 * `cause` and own fields) and rebuilt on the other side with the same class when that class
 * is known here (built-in errors, Eio's errors), else as an `Error` whose `name` is kept.
 * @internal
 * @module
 */
import * as v8 from "node:v8";
import { Cancelled, DeadlockError, MultipleErrors, SwitchFinished } from "../core/errors.js";
import { DomainCrashed, PoolClosed } from "./errors.js";

interface ErrorDescription {
  readonly eioError: 1;
  readonly className: string;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly hasCause: boolean;
  readonly cause: unknown;
  readonly errors: unknown[] | undefined;
  readonly fields: Record<string, unknown>;
}

const known: Record<string, new (...args: never[]) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
  Cancelled,
  MultipleErrors,
  DeadlockError,
  SwitchFinished,
  DomainCrashed,
  PoolClosed,
};

/** Turns anything that can be cloned into itself, and anything else into a description of it. */
function cloneable(value: unknown, depth: number): unknown {
  if (value instanceof Error) return depth > 8 ? String(value) : describeError(value, depth + 1);
  try {
    v8.serialize(value);
    return value;
  } catch {
    return `[not cloneable: ${Object.prototype.toString.call(value)}]`;
  }
}

/** Plain data for an error, safe for `v8.serialize`. */
export function describeError(error: Error, depth = 0): ErrorDescription {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === "name" || key === "message" || key === "stack" || key === "cause" || key === "errors") continue;
    fields[key] = cloneable((error as unknown as Record<string, unknown>)[key], depth);
  }
  const errors = (error as { errors?: unknown }).errors;
  return {
    eioError: 1,
    className: error.constructor?.name ?? "Error",
    name: error.name,
    message: error.message,
    stack: error.stack,
    hasCause: "cause" in error,
    cause: "cause" in error ? cloneable(error.cause, depth) : undefined,
    errors: Array.isArray(errors) ? errors.map((e) => cloneable(e, depth)) : undefined,
    fields,
  };
}

function isDescription(value: unknown): value is ErrorDescription {
  return typeof value === "object" && value !== null && (value as ErrorDescription).eioError === 1;
}

function revive(value: unknown): unknown {
  return isDescription(value) ? decodeError(value) : value;
}

/** Rebuilds an error from {@link describeError}'s data. */
export function decodeError(data: unknown): Error {
  if (!isDescription(data)) return new Error(`Remote error: ${String(data)}`);
  const ctor = Object.hasOwn(known, data.className) ? known[data.className]! : Error;
  // Build without running the constructor (its arguments are unknown), with the right prototype.
  const error = Reflect.construct(Error, [data.message], ctor) as Error;
  if (error.name !== data.name) Object.defineProperty(error, "name", { value: data.name, writable: true, configurable: true });
  if (data.stack !== undefined) Object.defineProperty(error, "stack", { value: data.stack, writable: true, configurable: true });
  if (data.hasCause) Object.defineProperty(error, "cause", { value: revive(data.cause), writable: true, configurable: true });
  if (data.errors !== undefined) Object.defineProperty(error, "errors", { value: data.errors.map(revive), writable: true, configurable: true });
  for (const [key, value] of Object.entries(data.fields)) {
    (error as unknown as Record<string, unknown>)[key] = revive(value);
  }
  return error;
}
