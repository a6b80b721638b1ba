// Plain Node clients for the network tests: they talk to our servers from outside Eio.
import net from "node:net";

/** Connects, sends `message`, half-closes, and resolves with everything received. */
export function exchange(port: number, message: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.end(message));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
  });
}

/** Connects and resolves with the open socket. */
export function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => resolve(socket));
    socket.on("error", reject);
  });
}

/** The port of a TCP address. */
export function portOf(addr: { host: string; port: number } | { path: string }): number {
  if (!("port" in addr)) throw new Error("expected a TCP address");
  return addr.port;
}

/** Connects to `addr`, sends `message`, and resolves with the reply, or "reset: <code>". */
export function tryExchange(addr: net.NetConnectOpts, message: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(addr, () => socket.end(message));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("end", () => resolve(received));
    socket.on("error", (e: NodeJS.ErrnoException) => resolve(`reset: ${e.code}`));
  });
}
