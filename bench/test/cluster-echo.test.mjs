import net from "node:net";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { connect, echo } from "./echo-client.mjs";
import { startClusterEcho } from "../lib/cluster-echo.mjs";

const stops = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe("the node:cluster echo peer (lib/cluster-echo.mjs)", () => {
  it("runs a primary and 3 worker processes on one port of 127.0.0.1, which echo what they get", async () => {
    const server = await startClusterEcho({ workers: 3, backlog: 64 });
    stops.push(() => server.stop());
    expect(new Set(server.pids).size).toBe(3);
    expect(server.pids).not.toContain(process.pid);
    const sockets = [];
    for (let i = 0; i < 6; i++) {
      const socket = await connect(server.port);
      sockets.push(socket);
      expect(await echo(socket, `hello ${i}`)).toBe(`hello ${i}`);
    }
    const { workers, primaryCpuMs } = await server.stats();
    expect(workers.map((w) => w.pid).sort()).toEqual([...server.pids].sort());
    expect(workers.reduce((sum, w) => sum + w.connections, 0)).toBe(6);
    expect(primaryCpuMs).toBeGreaterThan(0);
    expect(await server.cpuMs()).toBeGreaterThan(primaryCpuMs);
    for (const socket of sockets) socket.destroy();
  });

  it("stop ends the workers (their connections close) and the primary (the port refuses)", async () => {
    const server = await startClusterEcho({ workers: 3 });
    stops.push(() => server.stop());
    // Open connections until every worker holds one, so that each worker's exit is seen.
    const sockets = [];
    for (;;) {
      const socket = await connect(server.port);
      sockets.push(socket);
      await echo(socket, "x");
      if ((await server.stats()).workers.every((w) => w.connections > 0)) break;
    }
    const closed = sockets.map((socket) => {
      socket.on("error", () => {});
      return once(socket, "close");
    });
    await server.stop();
    await Promise.all(closed);
    const refused = net.connect({ host: "127.0.0.1", port: server.port });
    const [error] = await once(refused, "error").catch((e) => [e]);
    expect(error.code).toBe("ECONNREFUSED");
    await server.stop(); // a second stop is harmless
  });

  it("stops by itself when the process that started it dies", async () => {
    // A stand-in for the bench process, killed without a chance to stop the cluster. The primary
    // and its workers inherit its stdout, so the pipe ends only once every one of them has exited.
    const lib = new URL("../lib/cluster-echo.mjs", import.meta.url).href;
    const code = `const m = await import(${JSON.stringify(lib)}); const s = await m.startClusterEcho({ workers: 3 }); process.send({ port: s.port });`;
    const bench = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    stops.push(() => bench.kill("SIGKILL"));
    bench.stdout.resume();
    const ended = once(bench.stdout, "end");
    const [{ port }] = await once(bench, "message");
    const socket = await connect(port);
    expect(await echo(socket, "still here")).toBe("still here");
    socket.on("error", () => {});
    const closed = once(socket, "close");
    bench.kill("SIGKILL");
    await Promise.all([ended, closed]);
    const refused = net.connect({ host: "127.0.0.1", port });
    const [error] = await once(refused, "error").catch((e) => [e]);
    expect(error.code).toBe("ECONNREFUSED");
  });

  it("refuses a worker count that is not a positive integer", async () => {
    await expect(startClusterEcho({ workers: 0 })).rejects.toThrow("cluster echo: workers must be a positive integer, got 0");
  });
});
