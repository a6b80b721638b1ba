// Issue 5: "Timeouts per connection via Eio.Time.withTimeout work on reads and writes".
import net from "node:net";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { open, portOf } from "./net-helpers.js";

describe("timeouts on connections", () => {
  it("a read that times out leaves the connection usable", async () => {
    const trace = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const trace: string[] = [];
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const client = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
        const [conn] = yield* Eio.Net.accept(sw, server);
        const buffer = new Uint8Array(16);
        const first = yield* Eio.Time.withTimeout(env.monoClock, 0.05, () => Eio.Flow.read(conn, buffer));
        trace.push(first.ok ? `read ${first.value}` : (first.error as Error).name);
        yield* Eio.Flow.write(client, "after");
        const second = yield* Eio.Time.withTimeout(env.monoClock, 5, () => Eio.Flow.read(conn, buffer));
        trace.push(second.ok ? Buffer.from(buffer.subarray(0, second.value)).toString() : "timed out again");
        return trace;
      });
    });
    expect(trace).toEqual(["Timeout", "after"]);
  });

  it("a write blocked by a peer that does not read times out, while other fibers run", async () => {
    const result = await Eio.run<{ outcome: string; written: number; ticks: number }>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const peer = yield* Eio.Fiber.awaitNative(open(portOf(Eio.Net.listeningAddr(server))));
        peer.pause(); // never reads: the kernel buffers fill, then our writes must wait
        const [conn] = yield* Eio.Net.accept(sw, server);
        let ticks = 0;
        let written = 0;
        const chunk = new Uint8Array(64 * 1024);
        const outcome = yield* Eio.Fiber.first<string>(
          function* () {
            const r = yield* Eio.Time.withTimeout(env.monoClock, 0.3, function* () {
              for (;;) {
                yield* Eio.Flow.write(conn, chunk);
                written += chunk.length;
              }
            });
            return r.ok ? "finished?" : (r.error as Error).name;
          },
          function* () {
            for (;;) {
              // Time passing is what is tested: this fiber ticks while the write is blocked.
              yield* Eio.Time.sleep(env.monoClock, 0.01);
              ticks++;
            }
          },
        );
        peer.destroy();
        return { outcome, written, ticks };
      });
    });
    expect(result.outcome).toBe("Timeout");
    // Some data went out before the buffers filled, and far less than 0.3 s of unbounded writing.
    expect(result.written).toBeGreaterThan(0);
    expect(result.written).toBeLessThan(256 * 1024 * 1024);
    expect(result.ticks).toBeGreaterThan(3);
  });

  it("a handler under runServer drops a client that stays silent past its timeout", async () => {
    const outcome = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const stop = Eio.Promise.create<void>();
        const log: string[] = [];
        Eio.Fiber.fork(sw, () =>
          Eio.Net.runServer(
            server,
            function* (flow) {
              const reader = Eio.BufRead.of(flow, { maxSize: 1024 });
              for (;;) {
                const line = yield* Eio.Time.withTimeout(env.monoClock, 0.1, () => Eio.BufRead.line(reader));
                if (!line.ok) {
                  log.push("idle client dropped");
                  return;
                }
                yield* Eio.Flow.write(flow, `echo ${line.value}\n`);
              }
            },
            { stop: stop[0], onError: (e) => log.push(`error ${String(e)}`) },
          ),
        );
        const port = portOf(Eio.Net.listeningAddr(server));
        const received = yield* Eio.Fiber.awaitNative(
          new Promise<string>((resolve, reject) => {
            const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write("hi\n"));
            let text = "";
            socket.setEncoding("utf8");
            socket.on("data", (d: string) => (text += d));
            socket.on("end", () => resolve(text));
            socket.on("error", reject);
          }),
        );
        Eio.Promise.resolve(stop[1], undefined);
        return { received, log };
      });
    });
    expect(outcome).toEqual({ received: "echo hi\n", log: ["idle client dropped"] });
  });
});
