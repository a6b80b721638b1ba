// The socket's data path: Flow.copy handing Node's chunks straight to the sink, reads and writes
// that reuse one operation object per socket, and the error a closed socket gives.
import { createHash, randomBytes } from "node:crypto";
import type net from "node:net";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { open, portOf } from "./net-helpers.js";

function sha(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Reads everything a Node socket sends until it ends. */
function drain(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
}

describe("socket flows", () => {
  it("Flow.copy between two sockets moves every byte, in order, and counts them", async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    const result = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(server));
        // Node client A sends the payload; client B receives what the server copies over.
        const a = yield* Eio.Fiber.awaitNative(open(port));
        const [fromA] = yield* Eio.Net.accept(sw, server);
        const b = yield* Eio.Fiber.awaitNative(open(port));
        const [toB] = yield* Eio.Net.accept(sw, server);
        const received = drain(b);
        a.end(payload);
        const copied = yield* Eio.Flow.copy(fromA, toB);
        Eio.Flow.shutdown(toB, "send");
        const got = yield* Eio.Fiber.awaitNative(received);
        return { copied, length: got.length, hash: sha(got) };
      });
    });
    expect(result).toEqual({ copied: payload.length, length: payload.length, hash: sha(payload) });
  });

  it("a copy blocked on a read is cancelled cleanly, and another fiber can then read the socket", async () => {
    const outcome = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const client = yield* Eio.Fiber.awaitNative(open(portOf(Eio.Net.listeningAddr(server))));
        const [conn] = yield* Eio.Net.accept(sw, server);
        const sink = Eio.Flow.bufferSink();
        let error = "";
        yield* Eio.Fiber.first(
          function* () {
            try {
              yield* Eio.Flow.copy(conn, sink);
            } catch (e) {
              error = (e as Error).name;
              throw e;
            }
          },
          () => Eio.Fiber.yield(),
        );
        client.write("after");
        const buffer = new Uint8Array(16);
        const n = yield* Eio.Flow.read(conn, buffer);
        return { error, text: Buffer.from(buffer.subarray(0, n)).toString(), copied: Eio.Flow.bufferSinkContents(sink) };
      });
    });
    expect(outcome).toEqual({ error: "Cancelled", text: "after", copied: "" });
  });

  it("two reads made before either runs each fill their own buffer", async () => {
    const texts = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const client = yield* Eio.Fiber.awaitNative(open(portOf(Eio.Net.listeningAddr(server))));
        const [conn] = yield* Eio.Net.accept(sw, server);
        const one = new Uint8Array(3);
        const two = new Uint8Array(3);
        const first = Eio.Flow.read(conn, one);
        const second = Eio.Flow.read(conn, two);
        client.write("abcdef");
        const n1 = yield* first;
        const n2 = yield* second;
        return [Buffer.from(one.subarray(0, n1)).toString(), Buffer.from(two.subarray(0, n2)).toString()];
      });
    });
    expect(texts).toEqual(["abc", "def"]);
  });

  it("reads and writes on a socket we closed throw EBADF; a copy from a finished peer returns its count", async () => {
    const outcome = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const client = yield* Eio.Fiber.awaitNative(open(portOf(Eio.Net.listeningAddr(server))));
        const [conn] = yield* Eio.Net.accept(sw, server);
        client.end("bye");
        const sink = Eio.Flow.bufferSink();
        const copied = yield* Eio.Flow.copy(conn, sink);
        Eio.Flow.close(conn);
        const codes: string[] = [];
        for (const op of [() => Eio.Flow.read(conn, new Uint8Array(1)), () => Eio.Flow.write(conn, "x")]) {
          try {
            yield* op();
          } catch (e) {
            codes.push(`${(e as Error).name}:${(e as { code?: string }).code}`);
          }
        }
        return { copied, text: Eio.Flow.bufferSinkContents(sink), codes };
      });
    });
    expect(outcome).toEqual({ copied: 3, text: "bye", codes: ["NetError:EBADF", "NetError:EBADF"] });
  });
});
