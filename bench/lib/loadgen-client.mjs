// Drives workers/loadgen.mjs, the echo load generator, from the bench process.
import { fork } from "node:child_process";
import { once } from "node:events";

export function startLoadgen() {
  const child = fork(new URL("../workers/loadgen.mjs", import.meta.url), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let waiting = null;
  child.on("message", (message) => {
    const w = waiting;
    waiting = null;
    if (!w) return;
    if (message && message.error) w.reject(new Error(`load generator: ${message.error}`));
    else w.resolve(message);
  });
  child.on("exit", (code) => waiting?.reject(new Error(`load generator exited with code ${code}`)));
  const ask = (message) =>
    new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      child.send(message);
    });
  return {
    connect: (port, connections) => ask({ connect: { host: "127.0.0.1", port, connections } }),
    /** Resolves after `requests` echoes, spread over the open connections. */
    async run(requests) {
      const answer = await ask({ run: requests });
      if (answer.done !== requests) throw new Error(`load generator: ${answer.done} of ${requests} echoes`);
      return answer;
    },
    close: () => ask({ close: true }),
    async stop() {
      child.disconnect();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}
