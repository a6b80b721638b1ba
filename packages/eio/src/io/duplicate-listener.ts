/**
 * A listening socket of this thread's own, on a duplicate of another thread's descriptor.
 *
 * Node 20 cannot `dup(2)` a descriptor from JavaScript, and a handle opened on a number that
 * another thread owns closes that number under it. So we ask the kernel for a copy the one way
 * Node offers: a short-lived helper process inherits the descriptor (spawn duplicates it into the
 * child) and sends it straight back over the IPC channel, where `SCM_RIGHTS` hands this thread
 * a new descriptor for the same socket. This thread then owns that copy alone: closing it (when
 * the server stops, or when the thread exits) leaves the original listening in its owner.
 * @internal
 * @module
 */
import { spawn } from "node:child_process";
import * as nodeNet from "node:net";

/**
 * The helper: wrap the inherited descriptor 4 in a handle that does nothing with it (a socket
 * that neither reads nor writes: a listening server here would accept connections and keep
 * them), send the handle back, and exit once the parent has it and disconnects.
 */
const HELPER = `
const net = require("node:net");
const socket = new net.Socket({ fd: 4, readable: false, writable: false });
process.on("disconnect", () => process.exit(0));
process.send("listener", socket._handle);
`;

type RawHandle = { fd: number; constructor: { name: string } };

/** Gets a new descriptor for the listening socket `fd` from a helper process (see above). */
function receiveDuplicate(fd: number): globalThis.Promise<RawHandle> {
  return new globalThis.Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // the helper needs no loader (and starts faster without one)
    const child = spawn(process.execPath, ["-e", HELPER], { stdio: ["ignore", "ignore", "inherit", "ipc", fd], env });
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      child.kill();
      reject(new Error(`Net.runServer: cannot duplicate the listening socket's descriptor ${fd} for another domain: ${why}`));
    };
    child.once("error", (error) => fail(error.message));
    child.once("exit", (code, signal) => fail(`the helper process exited (${signal ?? `code ${String(code)}`}) before sending it`));
    child.once("message", (_message: unknown, handle: RawHandle | undefined) => {
      child.disconnect(); // the helper exits once its channel closes
      if (handle === undefined || typeof handle.fd !== "number") return fail("the helper sent no handle");
      settled = true;
      resolve(handle);
    });
  });
}

/**
 * Listens on a duplicate of `fd` (a listening TCP or Unix socket) with a server of this thread.
 * Closing the returned server closes only the duplicate. `backlog` must be the socket's own:
 * listening again sets it for every copy.
 */
export async function listenOnDuplicate(fd: number, backlog: number, options: nodeNet.ServerOpts): globalThis.Promise<nodeNet.Server> {
  const handle = await receiveDuplicate(fd);
  const server = nodeNet.createServer(options);
  await new globalThis.Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
    if (handle.constructor.name === "TCP") {
      server.listen(handle, backlog);
    } else {
      // listen() adopts only TCP handles; given a Pipe it would open a second handle on the same
      // number. Adopting it the way listen() adopts a TCP handle keeps one owner per descriptor.
      const internal = server as unknown as { _handle: unknown; _listen2(a: null, p: number, t: number, b: number, fd: number): void };
      internal._handle = handle;
      internal._listen2(null, -1, -1, backlog, handle.fd);
    }
  });
  return server;
}
