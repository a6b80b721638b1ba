// The plain node:net echo of the net suite, one function so that the in-process server and every
// worker of the cluster server run the same code.
import net from "node:net";

/** Writes back whatever the client sends on `socket`. */
export function echoConnection(socket) {
  socket.setNoDelay(true);
  socket.on("data", (data) => socket.write(data));
  socket.on("error", () => socket.destroy());
}

/**
 * A node:net server of {@link echoConnection}s that counts the connections it took and can
 * destroy the open ones (the floor row's threads, lib/thread-echo.mjs and workers/thread-echo.mjs).
 */
export function countingEchoServer() {
  let connections = 0;
  const sockets = new Set();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    echoConnection(socket);
  });
  return {
    server,
    connections: () => connections,
    destroyAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
