import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { exchange, open, portOf } from "./net-helpers.js";

const localhost = { host: "127.0.0.1", port: 0 };

function* readAll(flow: Eio.Flow.Source): Generator<any, string, any> {
  return yield* Eio.BufRead.takeAll(Eio.BufRead.of(flow, { maxSize: 1 << 20 }));
}

describe("Net", () => {
  it("connect, accept, write and read over TCP on 127.0.0.1", async () => {
    const trace: string[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, localhost);
        const client = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
        const [conn, peer] = yield* Eio.Net.accept(sw, server);
        trace.push(`peer host ${"host" in peer ? peer.host : "?"}`);
        yield* Eio.Flow.write(client, "ping");
        Eio.Flow.shutdown(client, "send");
        trace.push(`server read ${yield* readAll(conn)}`);
        yield* Eio.Flow.write(conn, "pong");
        Eio.Flow.close(conn);
        trace.push(`client read ${yield* readAll(client)}`);
      });
    });
    expect(trace).toEqual(["peer host 127.0.0.1", "server read ping", "client read pong"]);
  });

  it("serves a Unix-domain socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eio-net-"));
    const path = join(dir, "echo.sock");
    try {
      const reply = await Eio.run(function* (env) {
        return yield* Eio.Switch.run(function* (sw) {
          const server = yield* Eio.Net.listen(sw, env.net, { path }, { reuseAddr: true });
          expect(Eio.Net.listeningAddr(server)).toEqual({ path });
          Eio.Fiber.fork(sw, () =>
            Eio.Net.acceptFork(sw, server, (flow) => Eio.Flow.copy(flow, flow), { onError: (e) => { throw e; } }),
          );
          return yield* Eio.Switch.run(function* (inner) {
            const flow = yield* Eio.Net.connect(inner, env.net, { path });
            yield* Eio.Flow.write(flow, "over unix");
            Eio.Flow.shutdown(flow, "send");
            return yield* readAll(flow);
          });
        });
      });
      expect(reply).toBe("over unix");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Net.listen throws NetError EADDRINUSE when the port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const error = await Eio.run(function* (env) {
        return yield* Eio.Switch.run(function* (sw) {
          try {
            yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port });
            return null;
          } catch (e) {
            return e;
          }
        });
      });
      expect(error).toBeInstanceOf(Eio.Net.NetError);
      expect((error as Eio.Net.NetError).code).toBe("EADDRINUSE");
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });

  it("Net.connect to a closed port throws ConnectionFailure", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        try {
          yield* Eio.Net.connect(sw, env.net, { host: "127.0.0.1", port });
          return null;
        } catch (e) {
          return e;
        }
      });
    });
    expect(error).toBeInstanceOf(Eio.Net.ConnectionFailure);
    expect((error as Eio.Net.NetError).code).toBe("ECONNREFUSED");
  });

  it("a client that disconnects mid-read gives the reader EndOfFile, and a reset gives ConnectionReset", async () => {
    const seen: string[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, localhost);
        const port = portOf(Eio.Net.listeningAddr(server));
        for (const how of ["end", "reset"] as const) {
          const [socket, [conn]] = yield* Eio.Fiber.pair<net.Socket, [Eio.Net.Stream, Eio.Net.Sockaddr]>(
            () => Eio.Fiber.awaitNative(open(port)),
            () => Eio.Net.accept(sw, server),
          );
          socket.write("partial line without newline");
          const reader = Eio.BufRead.of(conn, { maxSize: 1024 });
          // The client leaves once the reader has the bytes (a reset would discard unread ones);
          // the end or reset can only arrive after this turn, so while ensure(1000) waits.
          yield* Eio.BufRead.ensure(reader, 28);
          if (how === "end") socket.end();
          else socket.resetAndDestroy();
          try {
            yield* Eio.BufRead.ensure(reader, 1000);
          } catch (e) {
            seen.push(`${how}: ${(e as Error).name} after ${Eio.BufRead.bufferedBytes(reader)} bytes`);
          }
          Eio.Flow.close(conn);
        }
      });
    });
    expect(seen).toEqual(["end: EndOfFile after 28 bytes", "reset: ConnectionReset after 28 bytes"]);
  });

  it("a blocked read is cancelled cleanly, and the connection still works afterwards", async () => {
    const trace: string[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, localhost);
        const client = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
        const [conn] = yield* Eio.Net.accept(sw, server);
        const buffer = new Uint8Array(10);
        let reading = false;
        // The first branch runs until its read waits for bytes (none are sent); then the second
        // returns, cancelling the read.
        const winner = yield* Eio.Fiber.first<string>(
          function* () {
            reading = true;
            yield* Eio.Flow.read(conn, buffer);
            return "read";
          },
          () => (reading ? "read cancelled" : "read not started"),
        );
        trace.push(winner);
        yield* Eio.Flow.write(client, "late");
        const n = yield* Eio.Flow.read(conn, buffer);
        trace.push(Buffer.from(buffer.subarray(0, n)).toString());
      });
    });
    expect(trace).toEqual(["read cancelled", "late"]);
  });

  it("sockets are closed when their switch finishes", async () => {
    let port = 0;
    let clientClosed: globalThis.Promise<string> | undefined;
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, localhost);
        port = portOf(Eio.Net.listeningAddr(server));
        const socket = yield* Eio.Fiber.awaitNative(open(port));
        clientClosed = new Promise((resolve) => socket.on("close", () => resolve("client saw close")));
        yield* Eio.Net.accept(sw, server);
      });
    });
    // Only the server can end the connection: the client never closes its side.
    expect(await clientClosed).toBe("client saw close");
    await expect(exchange(port, "x")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("acceptFork sends handler errors to onError and closes the connection", async () => {
    const errors: string[] = [];
    let reply = "";
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, localhost);
        const port = portOf(Eio.Net.listeningAddr(server));
        Eio.Fiber.fork(sw, function* () {
          reply = yield* Eio.Fiber.awaitNative(exchange(port, "hello"));
        });
        yield* Eio.Net.acceptFork(sw, server, function* (flow) {
          yield* Eio.Flow.write(flow, "partial");
          throw new Error("handler broke");
        }, { onError: (e) => errors.push((e as Error).message) });
      });
    });
    expect(errors).toEqual(["handler broke"]);
    expect(reply).toBe("partial");
  });

  it("validates its arguments with messages that say what was wrong", async () => {
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        expect(() => Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 70000 }).next()).toThrow(/port must be an integer from 0 to 65535, got 70000/);
        expect(() => Eio.Net.listen(sw, {} as Eio.Net.Net, localhost).next()).toThrow(/env\.net/);
        expect(() => Eio.Net.connect(sw, env.net, { host: "" , port: 1 }).next()).toThrow(/host must be a non-empty string/);
      });
    });
  });
});
