import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { open, portOf } from "./net-helpers.js";

const TOTAL = 32 * 1024 * 1024;
/** The reader's high-water mark (256 KiB) plus one read from the kernel (64 KiB). */
const BOUND = 256 * 1024 + 64 * 1024;

function sleep(ms: number) {
  return Eio.Fiber.awaitNative(new Promise((resolve) => setTimeout(resolve, ms)));
}

describe("backpressure", () => {
  it("a slow reader holds the sender back instead of buffering without bound", async () => {
    const result = await Eio.run<{ received: number; stalledBuffered: number; senderBacklog: number; maxBuffered: number }>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const client = yield* Eio.Fiber.awaitNative(open(portOf(Eio.Net.listeningAddr(server))));
        client.write(Buffer.alloc(TOTAL, 7));
        client.end();
        const [conn] = yield* Eio.Net.accept(sw, server);
        const buffer = new Uint8Array(16 * 1024);
        let received = yield* Eio.Flow.read(conn, buffer);
        yield* sleep(200); // the reader stalls while the sender keeps trying: time passing is what is tested
        const stalledBuffered = bufferedOf(conn);
        const senderBacklog = client.writableLength;
        let maxBuffered = stalledBuffered;
        for (;;) {
          try {
            received += yield* Eio.Flow.read(conn, buffer);
          } catch (e) {
            if (e instanceof Eio.Flow.EndOfFile) break;
            throw e;
          }
          maxBuffered = Math.max(maxBuffered, bufferedOf(conn));
        }
        return { received, stalledBuffered, senderBacklog, maxBuffered };
      });
    });
    expect(result.received).toBe(TOTAL);
    expect(result.maxBuffered).toBeLessThanOrEqual(BOUND);
    // While we stalled, most of the data was still waiting on the sender's side.
    expect(result.senderBacklog).toBeGreaterThan(TOTAL / 2);
  });

  it("a writer to a peer that does not read waits, while other fibers keep running", async () => {
    const trace = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const client = yield* Eio.Fiber.awaitNative(open(portOf(Eio.Net.listeningAddr(server))));
        client.pause();
        const [conn] = yield* Eio.Net.accept(sw, server);
        let written = false;
        let ticks = 0;
        const [done, setDone] = Eio.Promise.create<void>();
        Eio.Fiber.fork(sw, function* () {
          yield* Eio.Flow.write(conn, Buffer.alloc(TOTAL, 1));
          written = true;
          Eio.Promise.resolve(setDone, undefined);
        });
        // Time passing is what is tested: this fiber keeps ticking while the writer waits.
        for (let i = 0; i < 10; i++) {
          yield* sleep(10);
          if (!written) ticks++;
        }
        const blockedWhilePaused = !written;
        client.resume();
        yield* Eio.Promise.await(done);
        return { blockedWhilePaused, ticks };
      });
    });
    expect(trace).toEqual({ blockedWhilePaused: true, ticks: 10 });
  });

  it("a write blocked on a full socket can be cancelled", async () => {
    const outcome = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const client = yield* Eio.Fiber.awaitNative(open(portOf(Eio.Net.listeningAddr(server))));
        client.pause();
        const [conn] = yield* Eio.Net.accept(sw, server);
        const winner = yield* Eio.Fiber.first<string>(
          function* () {
            yield* Eio.Flow.write(conn, Buffer.alloc(TOTAL, 1));
            return "written";
          },
          // Runs once the write waits for the paused client (32 MiB cannot go in one turn).
          () => "gave up",
        );
        client.destroy();
        return winner;
      });
    });
    expect(outcome).toBe("gave up");
  });
});

/** Received bytes the connection holds for its reader (the system network's socket has the count). */
function bufferedOf(conn: Eio.Net.Stream): number {
  return (conn as unknown as { buffered: number }).buffered;
}
