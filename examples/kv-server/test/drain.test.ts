// Stopping on SIGTERM under load: a connection whose batch is in flight gets its replies before
// it is closed, so that every write the server kept was acknowledged, and every write that was
// acknowledged was kept.
import * as net from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { newDir, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

/** A client that writes pipelines of 16 SETs, each once the last is answered, until closed. */
function writer(port: number, name: string, onAck: () => void): Promise<Set<string>> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const sent: string[] = [];
    const acked = new Set<string>();
    let next = 0;
    let pending = 0;
    let text = "";
    const send = (): void => {
      const keys = Array.from({ length: 16 }, () => `${name}:${next++}`);
      sent.push(...keys);
      pending = keys.length;
      socket.write(keys.map((key) => `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$1\r\nv\r\n`).join(""));
    };
    socket.on("connect", send);
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      let at;
      while ((at = text.indexOf("\r\n")) >= 0) {
        const line = text.slice(0, at);
        text = text.slice(at + 2);
        if (line !== "+OK") throw new Error(`${name} got ${line}`);
        acked.add(sent[acked.size]!);
        onAck();
        if (--pending === 0) send();
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(acked));
  });
}

describe("SIGTERM under load", () => {
  for (const shape of [["--domains", "1"], ["--single-domain"]]) {
    it(`answers the batches in flight before closing: the log holds exactly the acknowledged writes (${shape.join(" ")})`, async () => {
      const dir = newDir();
      const kv = await startServer(dir, shape);
      let acks = 0;
      let signalled = false;
      const writers = Array.from({ length: 24 }, (_, i) => writer(kv.port, `w${i}`, () => {
        // Once the load is under way: the signal lands among batches in flight.
        if (++acks === 3000 && !signalled) {
          signalled = true;
          kv.child.kill("SIGTERM");
        }
      }));
      const acked = await Promise.all(writers);
      expect(await kv.exited).toBe(0);
      expect(signalled).toBe(true);
      const again = await startServer(dir);
      const redis = new Redis({ host: again.host, port: again.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        const kept = new Set(await redis.keys("w*"));
        const all = new Set(acked.flatMap((set) => [...set]));
        const keptNotAcked = [...kept].filter((key) => !all.has(key));
        const ackedNotKept = [...all].filter((key) => !kept.has(key));
        expect({ keptNotAcked, ackedNotKept }).toEqual({ keptNotAcked: [], ackedNotKept: [] });
      } finally {
        redis.disconnect();
        await stopServer(again);
      }
    }, 60_000);
  }
});
