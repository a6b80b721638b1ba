/**
 * Whether this Node has SO_REUSEPORT: `net.Server.listen` and `dgram.createSocket` take
 * `reusePort` from Node 22.12 on; Node 20, which eio-ts supports, has neither.
 * @internal
 * @module
 */

const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split(".").map(Number);

/** Whether sockets here can take `reusePort`. @internal */
export const hasReusePort = nodeMajor > 22 || (nodeMajor === 22 && nodeMinor >= 12);

/** The error for `reusePort` on a Node without it. @internal */
export function noReusePort(what: string): Error {
  return new TypeError(`${what}: options.reusePort needs Node 22.12 or later (this is Node ${process.versions.node}, whose sockets have no SO_REUSEPORT option)`);
}
