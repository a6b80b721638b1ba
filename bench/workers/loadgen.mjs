// The echo load generator, run as its own process (child_process.fork) so that it does not share
// an event loop with the server it measures. Commands arrive over IPC:
//   { connect: { host, port, connections } } -> "ready" once every connection is open
//   { run: requests }                        -> { done: requests, ms, cpuMs } after that many echoes
//   { close: true }                          -> closes the connections, then "closed"
// Each connection sends one small message, waits for all of its bytes to come back, checks them,
// and sends the next: requests/s is then a measure of round trips, not of buffering.
import net from "node:net";

const MESSAGE = Buffer.from("ping 0123456789abcdefghijklmnopqrstuvwxyz\n"); // 42 bytes, like a small command
let sockets = [];

function send(message) {
  process.send(message);
}

function open(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once("error", reject);
  });
}

async function connect({ host, port, connections }) {
  sockets = await Promise.all(Array.from({ length: connections }, () => open(host, port)));
  for (const socket of sockets) socket.on("error", (error) => send({ error: `socket: ${error.message}` }));
  send("ready");
}

function run(requests) {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let issued = 0;
  let finished = 0;
  let active = 0;
  const done = (socket) => {
    socket.removeAllListeners("data");
    if (--active === 0) {
      const cpu = process.cpuUsage(cpuStart);
      send({ done: finished, ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  };
  for (const socket of sockets) {
    if (issued >= requests) break;
    active++;
    let received = 0;
    let chunks = [];
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < MESSAGE.length) return;
      const echoed = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      if (received !== MESSAGE.length || !echoed.equals(MESSAGE)) {
        send({ error: `echo mismatch: got ${received} bytes ${JSON.stringify(echoed.toString("latin1").slice(0, 60))}` });
        return;
      }
      finished++;
      received = 0;
      chunks = [];
      if (issued < requests) {
        issued++;
        socket.write(MESSAGE);
      } else {
        done(socket);
      }
    });
    issued++;
    socket.write(MESSAGE);
  }
}

function close() {
  for (const socket of sockets) socket.end();
  sockets = [];
  send("closed");
}

process.on("message", (message) => {
  if (message.connect) connect(message.connect).catch((error) => send({ error: `connect: ${error.message}` }));
  else if (message.run !== undefined) run(message.run);
  else if (message.close) close();
});
process.on("disconnect", () => process.exit(0));
