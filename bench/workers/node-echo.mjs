// The plain node:net echo of the net suite, one function so that the in-process server and every
// worker of the cluster server run the same code.

/** Writes back whatever the client sends on `socket`. */
export function echoConnection(socket) {
  socket.setNoDelay(true);
  socket.on("data", (data) => socket.write(data));
  socket.on("error", () => socket.destroy());
}
