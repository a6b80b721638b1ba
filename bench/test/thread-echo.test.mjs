import net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { connect, echo } from "./echo-client.mjs";
import { startThreadEcho } from "../lib/thread-echo.mjs";

const stops = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe("the floor of the +2 domains row (lib/thread-echo.mjs): node:net threads on one shared socket", () => {
  it("runs 3 threads on one port of 127.0.0.1 that echo what they get; every connection is counted by the thread that took it", async () => {
    const server = await startThreadEcho({ threads: 3, backlog: 64 });
    stops.push(() => server.stop());
    const sockets = [];
    for (let i = 0; i < 12; i++) {
      const socket = await connect(server.port);
      sockets.push(socket);
      expect(await echo(socket, `hello ${i}`)).toBe(`hello ${i}`);
    }
    const counts = await server.stats();
    expect(counts).toHaveLength(3);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
    for (const socket of sockets) socket.destroy();
  });

  it("stop closes every thread's listener and connections (the port refuses), and a second stop is harmless", async () => {
    const server = await startThreadEcho({ threads: 3, backlog: 64 });
    stops.push(() => server.stop());
    const sockets = [];
    for (let i = 0; i < 12; i++) {
      const socket = await connect(server.port);
      sockets.push(socket);
      await echo(socket, "x");
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
    await server.stop();
  });

  it("refuses a thread count that is not a positive integer", async () => {
    await expect(startThreadEcho({ threads: 0 })).rejects.toThrow("thread echo: threads must be a positive integer, got 0");
  });
});
