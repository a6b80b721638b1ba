/**
 * The system's name lookups: getaddrinfo and getnameinfo through Node's `dns.lookup` and
 * `dns.lookupService`, which run the C library's resolver on libuv's thread pool.
 * @internal
 * @module
 */
import * as dns from "node:dns";
import * as fs from "node:fs";
import { Cancelled } from "../core/errors.js";
import { awaitNative } from "../core/fiber.js";
import type { Operation } from "../core/scheduler.js";
import { AddressLookupFailed, fromNodeError } from "./net-errors.js";
import { formatSockaddr, type Sockaddr } from "./sockaddr.js";

type Protocol = "tcp" | "udp";

let services: Map<string, { port: number; protocols: Protocol[] }> | null = null;

/** `/etc/services`, which the C library reads for service names too; empty if there is none. */
function serviceTable(): Map<string, { port: number; protocols: Protocol[] }> {
  if (services !== null) return services;
  services = new Map();
  let text = "";
  try {
    text = fs.readFileSync("/etc/services", "latin1");
  } catch {
    // No table: only numeric services resolve.
  }
  for (const raw of text.split("\n")) {
    const [name, portProto, ...aliases] = raw.replace(/#.*/, "").trim().split(/\s+/);
    const match = /^(\d+)\/(tcp|udp)$/.exec(portProto ?? "");
    if (name === undefined || name === "" || match === null) continue;
    for (const n of [name, ...aliases]) {
      const entry = services.get(n) ?? { port: Number(match[1]), protocols: [] };
      if (!entry.protocols.includes(match[2] as Protocol)) entry.protocols.push(match[2] as Protocol);
      services.set(n, entry);
    }
  }
  return services;
}

/** The port and protocols of `service`: a number goes with both protocols, as in getaddrinfo. */
function resolveService(service: string): { port: number; protocols: Protocol[] } {
  if (service === "") return { port: 0, protocols: ["tcp", "udp"] };
  if (/^\d+$/.test(service)) {
    const port = Number(service);
    if (port <= 65535) return { port, protocols: ["tcp", "udp"] };
  }
  const entry = serviceTable().get(service);
  if (entry === undefined) throw new AddressLookupFailed("EAI_SERVICE", `SERVICE (service ${JSON.stringify(service)} is not known)`);
  return entry;
}

/**
 * Every address of `host` with `service`'s port: per address, a TCP then a UDP entry for the
 * protocols the service has (as getaddrinfo gives SOCK_STREAM then SOCK_DGRAM). The lookup
 * itself cannot be stopped: a cancelled caller returns at once and the late answer is dropped.
 * @internal
 */
export function* lookupSystem(host: string, service: string): Operation<Sockaddr[]> {
  const { port, protocols } = resolveService(service);
  let found: dns.LookupAddress[];
  try {
    found = yield* awaitNative(dns.promises.lookup(host, { all: true, verbatim: true }));
  } catch (error) {
    if (error instanceof Cancelled) throw error;
    const code = typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : "EAI_FAIL";
    throw new AddressLookupFailed(code, code, { cause: error });
  }
  const result: Sockaddr[] = [];
  for (const { address } of found) {
    for (const protocol of protocols) result.push(protocol === "udp" ? { protocol, host: address, port } : { host: address, port });
  }
  return result;
}

/** getnameinfo: the host name and service name of `addr` (TCP names, as Node asks for them). @internal */
export function* lookupName(addr: Sockaddr): Operation<[string, string]> {
  if ("path" in addr) throw new TypeError(`Net.getnameinfo: expected an IP address, got ${formatSockaddr(addr)}`);
  try {
    const { hostname, service } = yield* awaitNative(dns.promises.lookupService(addr.host, addr.port));
    return [hostname, service];
  } catch (error) {
    if (error instanceof Cancelled) throw error;
    throw fromNodeError(error, `looking up the name of ${formatSockaddr(addr)}`);
  }
}
