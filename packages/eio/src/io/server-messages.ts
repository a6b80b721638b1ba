/**
 * What the main domain and a server domain say to each other (over the worker's port).
 * @internal
 * @module
 */
import type { Sockaddr } from "./sockaddr.js";

/** A reference to code another domain can load: an exported function of a module. */
export interface TaskRef {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/** Given to a server domain at start (structured-cloned). */
export interface ServerDomainData {
  /** The module to import in the worker (the eio-ts build itself), then call `serveInWorker`. */
  readonly entry: string;
  readonly fd: number;
  readonly address: Sockaddr;
  readonly handler: TaskRef;
  /** The handler's extra arguments, encoded by the domains' codec (shared objects stay live). */
  readonly argsBytes: Uint8Array;
  readonly argsShared: readonly SharedArrayBuffer[];
  /** The shared heap, and this domain's id in it, so shared arguments work here. */
  readonly arena: SharedArrayBuffer;
  readonly domainId: number;
  readonly limitCells: Int32Array | null;
  readonly maxConnections: number;
  readonly hasStop: boolean;
  /** One cell per domain, set to 1 once its thread is parked for good. */
  readonly parked: Int32Array;
  /** tsx's loader API, to register before loading a TypeScript task module; null if not needed. */
  readonly tsxApi: string | null;
}

/** Main → server domain. */
export type ToDomain = { type: "stop" } | { type: "cancel" };

/** An error as it crosses domains. */
export interface SentError {
  name: string;
  message: string;
  stack: string | undefined;
}

/** Server domain → main. */
export type FromDomain =
  | { type: "ready" }
  | { type: "error"; error: SentError }
  | { type: "fatal"; error: SentError }
  | { type: "done" };

export function sendError(value: unknown): SentError {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return { name: "Error", message: String(value), stack: undefined };
}

/** Rebuilds an error from another domain, with its name, message and stack. */
export function receiveError(sent: SentError): Error {
  const error = new Error(sent.message);
  Object.defineProperty(error, "name", { value: sent.name, configurable: true, writable: true });
  if (sent.stack !== undefined) error.stack = sent.stack;
  return error;
}
