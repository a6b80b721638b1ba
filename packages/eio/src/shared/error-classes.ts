/**
 * How errors cross domains, whichever road they take (a job's result or error, a shared
 * stream's item, a shared promise's value, a server domain's report): the value walk
 * (`markers.ts`) swaps each error for a plain description (class name, name, message, stack,
 * `cause`, `errors` and own enumerable fields, each walked in turn), and the receiving domain
 * rebuilds it with the class it knows by that name, or as an `Error` that keeps the name.
 *
 * A domain knows a class by name when it is built in (Error, TypeError, ..., AggregateError),
 * one of eio-ts's (registered where each is defined), registered with
 * `Eio.registerErrorClass`, or when this thread has itself sent an error of that class (so an
 * error that goes out and comes back is itself again).
 * @internal
 * @module
 */
import { Cancelled, DeadlockError, MultipleErrors, SwitchFinished } from "../core/errors.js";

/** A class of errors: anything `Reflect.construct` can build with an `Error`'s own slots. */
export type ErrorClass = abstract new (...args: never[]) => Error;

const known = new Map<string, ErrorClass>();
for (const type of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError, Cancelled, MultipleErrors, DeadlockError, SwitchFinished]) {
  known.set(type.name, type);
}

/** Remembers `type` as the class of errors named `type.name` that arrive here. */
export function rememberErrorClass(type: ErrorClass): void {
  known.set(type.name, type);
}

/** The name an error's class goes by, remembering the class so that it comes back as itself. */
export function classNameOf(error: Error): string {
  const type = (error.constructor ?? Error) as ErrorClass;
  const name = typeof type === "function" && type.name !== "" ? type.name : "Error";
  if (!known.has(name) && type.prototype instanceof Error) known.set(name, type);
  return name;
}

/**
 * A new error of the class known as `className` (or `Error`), built without running its
 * constructor (its arguments are unknown), with `message` set.
 */
export function instantiate(className: string, message: string): Error {
  const type = known.get(className) ?? Error;
  return Reflect.construct(Error, [message], type) as Error;
}
