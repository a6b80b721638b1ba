// The raw peers of the big-values scenarios: plain postMessage, the bytes copied or transferred.
// {make: n, transfer}: makes a Buffer of n bytes (every page touched) and sends it to the main
// thread, in the transfer list or not.
// A Uint8Array: answers with its length (the main thread transferred it here).
import { parentPort } from "node:worker_threads";
import { bigBuffer } from "./eio-domain-tasks.mjs";

parentPort.on("message", (message) => {
  if (message instanceof Uint8Array) {
    parentPort.postMessage(message.length);
    return;
  }
  const buffer = bigBuffer(message.make);
  parentPort.postMessage(buffer, message.transfer ? [buffer.buffer] : []);
});
