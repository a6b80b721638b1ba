import net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { startLoadgen } from "../lib/loadgen-client.mjs";
import { startRedisLoadgen } from "../lib/redis-loadgen.mjs";

const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(onData) {
  let connections = 0;
  const s = net.createServer((socket) => {
    connections++;
    socket.on("data", (data) => onData(socket, data));
    socket.on("error", () => {});
  });
  s.listen({ host: "127.0.0.1", port: 0 });
  await once(s, "listening");
  cleanups.push(() => {
    s.close();
    s.closeAllConnections?.();
  });
  return { port: s.address().port, connections: () => connections };
}

describe("the echo load generator (a separate process)", () => {
  it("completes exactly the requested number of echoes over every connection", async () => {
    const echo = await server((socket, data) => socket.write(data));
    const loadgen = startLoadgen();
    cleanups.push(() => loadgen.stop());
    await loadgen.connect(echo.port, 10);
    const answer = await loadgen.run(1000);
    expect(answer.done).toBe(1000);
    expect(echo.connections()).toBe(10);
    // Fewer requests than connections: only some connections are used, and it still finishes.
    expect((await loadgen.run(3)).done).toBe(3);
    await loadgen.close();
  });

  it("handles an echo that arrives in pieces", async () => {
    const split = await server((socket, data) => {
      socket.write(data.subarray(0, 5));
      setTimeout(() => socket.write(data.subarray(5)), 1);
    });
    const loadgen = startLoadgen();
    cleanups.push(() => loadgen.stop());
    await loadgen.connect(split.port, 3);
    expect((await loadgen.run(30)).done).toBe(30);
  });

  it("fails when the server sends back something else", async () => {
    const wrong = await server((socket, data) => socket.write(Buffer.from(data.toString().toUpperCase())));
    const loadgen = startLoadgen();
    cleanups.push(() => loadgen.stop());
    await loadgen.connect(wrong.port, 2);
    await expect(loadgen.run(10)).rejects.toThrow(/echo mismatch/);
  });
});

// The run's global setup (test/setup/require-programs.ts) has checked that it is installed.
const redisBenchmark = "redis-benchmark";

describe("redis-benchmark as the echo load generator", () => {
  it("runs the requested number of ECHO requests against an echo server and reports its CPU time", async () => {
    const echo = await server((socket, data) => socket.write(data));
    const loadgen = startRedisLoadgen(redisBenchmark);
    await loadgen.connect(echo.port, 10);
    const answer = await loadgen.run(2000);
    expect(answer.done).toBe(2000);
    expect(answer.ms).toBeGreaterThan(0);
    expect(answer.cpuMs).toBeGreaterThanOrEqual(0);
    // The echo check's connection, redis-benchmark's own 10, and the one it asks CONFIG on.
    expect(echo.connections()).toBeGreaterThanOrEqual(11);
  });

  it("refuses a server whose echo is wrong before measuring anything", async () => {
    const wrong = await server((socket, data) => socket.write(Buffer.from(data.toString().toUpperCase())));
    const loadgen = startRedisLoadgen(redisBenchmark);
    await expect(loadgen.connect(wrong.port, 2)).rejects.toThrow(/echo mismatch/);
  });
});
