// A worker thread of the net suite's floor row (lib/thread-echo.mjs): the plain node:net echo
// (workers/node-echo.mjs) listening on this thread's own duplicate of the main thread's listening
// descriptor, the way runServer's additional domains listen (eio-ts's io/duplicate-listener.ts):
// a short-lived helper process inherits the descriptor and sends it back over IPC, so this
// thread gets a descriptor of its own for the same socket and closing it leaves the main
// thread's open. Messages from the main thread: "stats" -> { connections }, "stop" -> closes the
// listener and every connection, then the thread ends.
import { spawn } from "node:child_process";
import { parentPort, workerData } from "node:worker_threads";
import { countingEchoServer } from "./node-echo.mjs";

const HELPER = `
const net = require("node:net");
const socket = new net.Socket({ fd: 4, readable: false, writable: false });
process.on("disconnect", () => process.exit(0));
process.send("listener", socket._handle);
`;

const { fd, backlog } = workerData;
const { server, connections, destroyAll } = countingEchoServer();

let received = false;
const helper = spawn(process.execPath, ["-e", HELPER], { stdio: ["ignore", "ignore", "inherit", "ipc", fd] });
helper.once("exit", (code, signal) => {
  if (!received) throw new Error(`thread echo: the helper exited (${signal ?? `code ${code}`}) before sending the listening socket`);
});
helper.once("message", (_message, handle) => {
  received = true;
  helper.disconnect();
  server.listen(handle, backlog, () => parentPort.postMessage({ listening: true }));
});

parentPort.on("message", (message) => {
  if (message === "stats") parentPort.postMessage({ connections: connections() });
  else if (message === "stop") {
    server.close();
    destroyAll();
    parentPort.close();
  }
});
