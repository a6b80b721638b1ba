/**
 * `Eio.registerErrorClass`: how a domain learns a class of errors that arrive from others.
 * @module
 */
import { rememberErrorClass } from "./error-classes.js";

/**
 * Tells this domain how to rebuild errors of class `type` that arrive from other domains, so
 * that they arrive as instances of `type` (`instanceof` holds). Register the class in every
 * domain that receives it, for instance at the top of the task module that defines or imports
 * it (a task module is loaded in each domain that runs one of its tasks). Classes are matched
 * by their constructor's name: register one class per name.
 *
 * Without registration an error still arrives whole: an `Error` with the same `name`,
 * `message`, `stack`, `cause` and own fields.
 *
 * Suspends: never. eio-ts only: OCaml's exceptions need no registration, since every domain
 * shares one heap.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * class NotFound extends Error {
 *   override name = "NotFound";
 * }
 * Eio.registerErrorClass(NotFound);
 * console.log("registered", NotFound.name);
 * ```
 */
export function registerErrorClass(type: abstract new (...args: never[]) => Error): void {
  if (typeof type !== "function" || !(type.prototype instanceof Error || (type as unknown) === Error)) {
    throw new TypeError(`Eio.registerErrorClass: expected a subclass of Error, got ${describe(type)}.`);
  }
  if (type.name === "") throw new TypeError("Eio.registerErrorClass: the class has no name (errors are matched by their class's name).");
  rememberErrorClass(type);
}

function describe(value: unknown): string {
  return typeof value === "function" ? `the function ${value.name || "(anonymous)"}` : String(value);
}

