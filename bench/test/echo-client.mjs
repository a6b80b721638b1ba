// A client for the echo peers' tests: connect, and one request echoed back.
import net from "node:net";
import { once } from "node:events";

/** Connects to 127.0.0.1:port; resolves once connected. */
export async function connect(port) {
  const socket = net.connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  return socket;
}

/** Writes `text` and resolves with as many bytes as it had, read back. */
export async function echo(socket, text) {
  const chunks = [];
  let got = 0;
  const done = new Promise((resolve) => {
    const onData = (chunk) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= text.length) {
        socket.off("data", onData);
        resolve();
      }
    };
    socket.on("data", onData);
  });
  socket.write(text);
  await done;
  return Buffer.concat(chunks).toString();
}
