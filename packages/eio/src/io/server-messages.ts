/**
 * What the main domain hands a server domain, and how errors travel back.
 * @internal
 * @module
 */
import type { Sockaddr } from "./sockaddr.js";

/** A reference to code another domain can load: an exported function of a module. */
export interface TaskRef {
  readonly moduleUrl: string | URL;
  readonly exportName: string;
}

/** Given to a server domain at start (cloned by the domains' codec). */
export interface ServerDomainData {
  readonly fd: number;
  readonly address: Sockaddr;
  readonly handler: { readonly moduleUrl: string; readonly exportName: string };
  readonly limitCells: Int32Array | null;
  readonly maxConnections: number;
  /** tsx's loader API, to register before loading a TypeScript task module; null if not needed. */
  readonly tsxApi: string | null;
}

/** An error as it crosses domains. */
export interface SentError {
  name: string;
  message: string;
  stack: string | undefined;
}

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
