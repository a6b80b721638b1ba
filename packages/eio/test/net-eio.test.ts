/**
 * Ports of tests/network.md's cases on the system network: one connection over TCP, a Unix
 * socket and IPv6, a cancelled read, accepting on a failed switch, closing before the handler
 * returns, and a refused connection's context. Ports are picked by the system, not Eio's 8081.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { runTraced } from "./support/run-traced.js";

const traceln = Eio.traceln;
const dir = mkdtempSync(join(tmpdir(), "eio-network-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class GracefulShutdown extends Error {
  override readonly name = "GracefulShutdown";
}

function* readAll(flow: Eio.Flow.Source) {
  return yield* Eio.BufRead.takeAll(Eio.BufRead.of(flow, { maxSize: 100 }));
}

function* runClient(sw: Eio.Switch.Switch, net: Eio.Net.Net, addr: Eio.Net.StreamAddr) {
  traceln("Connecting to server...");
  const flow = yield* Eio.Net.connect(sw, net, addr);
  yield* Eio.Flow.copyString("Hello from client", flow);
  Eio.Flow.shutdown(flow, "send");
  traceln("Client received: %s", JSON.stringify(yield* readAll(flow)));
}

function* runServer(sw: Eio.Switch.Switch, socket: Eio.Net.ListeningSocket): Generator<unknown, never, unknown> {
  for (;;) {
    yield* Eio.Net.acceptFork(sw, socket, function* (flow) {
      traceln("Server accepted connection from client");
      try {
        traceln("Server received: %s", JSON.stringify(yield* readAll(flow)));
      } finally {
        yield* Eio.Flow.copyString("Bye", flow);
      }
    }, {
      onError: (e) => { if (!(e instanceof GracefulShutdown)) traceln("Error handling connection: %s", String(e)); },
    });
  }
}

function testAddress(addr: Eio.Net.StreamAddr) {
  return runTraced(function* (env) {
    yield* Eio.Switch.run(function* (sw) {
      const server = yield* Eio.Net.listen(sw, env.net, addr, { reuseAddr: true, backlog: 5 });
      yield* Eio.Fiber.both(
        () => runServer(sw, server),
        function* () {
          yield* runClient(sw, env.net, Eio.Net.listeningAddr(server));
          traceln("Client finished - cancelling server");
          throw new GracefulShutdown();
        },
      );
    });
  });
}

const oneConnection = [
  "Connecting to server...",
  "Server accepted connection from client",
  'Server received: "Hello from client"',
  'Client received: "Bye"',
  "Client finished - cancelling server",
];

describe("tests/network.md on the system network", () => {
  for (const [what, addr] of [
    ["TCP on 127.0.0.1", { host: "127.0.0.1", port: 0 }],
    ["a Unix-domain socket", { path: join(dir, "eio-test.sock") }],
    ["IPv6", { host: "::1", port: 0 }],
  ] as const) {
    it(`handles one connection over ${what}, then cancels the server`, async () => {
      const { lines, error } = await testAddress(addr);
      expect(lines).toEqual(oneConnection);
      expect(error).toBeInstanceOf(GracefulShutdown);
    });
  }

  it("cancelling the server's read lets it still reply", async () => {
    const { lines, error } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const [shutdown, setShutdown] = Eio.Promise.create<Error>();
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { reuseAddr: true, backlog: 5 });
        yield* Eio.Fiber.both(
          () => Eio.Net.acceptFork(sw, server, function* (flow) {
            try {
              yield* Eio.Fiber.both(
                function* () { throw yield* Eio.Promise.await(shutdown); },
                function* () { traceln("Server received: %s", JSON.stringify(yield* readAll(flow))); },
              );
            } catch (e) {
              if (!(e instanceof GracefulShutdown)) throw e;
              yield* Eio.Flow.copyString("Request cancelled", flow);
            }
          }, { onError: (e) => { throw e; } }),
          function* () {
            traceln("Connecting to server...");
            const flow = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
            traceln("Connection opened - cancelling server's read");
            yield* Eio.Fiber.yield();
            Eio.Promise.resolve(setShutdown, new GracefulShutdown());
            traceln("Client received: %s", JSON.stringify(yield* readAll(flow)));
          },
        );
      });
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["Connecting to server...", "Connection opened - cancelling server's read", 'Client received: "Request cancelled"']);
  });

  it("accepting when the switch has already failed throws the switch's error", async () => {
    const { error } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        Eio.Switch.fail(sw, new Error("Simulated error"));
        yield* Eio.Net.acceptFork(sw, server, () => { throw new Error("assert false"); }, { onError: (e) => { throw e; } });
      });
    });
    expect((error as Error).message).toBe("Simulated error");
  });

  it("closing the connection before the handler returns is not an error", async () => {
    const { lines, error } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        yield* Eio.Fiber.both(
          () => Eio.Net.acceptFork(sw, server, function* (flow) {
            traceln("Server got connection");
            yield* Eio.Flow.copyString("Hi", flow);
            Eio.Flow.close(flow);
          }, { onError: (e) => { throw e; } }),
          function* () {
            traceln("Connecting to server...");
            const flow = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
            traceln("Client got %s", JSON.stringify(yield* readAll(flow)));
          },
        );
      });
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["Connecting to server...", "Server got connection", 'Client got "Hi"']);
  });

  it("a connection to a missing Unix socket says what it was connecting to", async () => {
    const path = join(dir, "idontexist.sock");
    const { error } = await runTraced(function* (env) {
      yield* Eio.Switch.run((sw) => Eio.Net.connect(sw, env.net, { path }));
    });
    expect(error).toBeInstanceOf(Eio.Net.ConnectionFailure);
    expect((error as Eio.Net.NetError).code).toBe("ENOENT");
    expect((error as Eio.Io).context).toEqual([`connecting to unix:${path}`]);
    expect((error as Error).message).toMatch(/^Eio.Io Net Connection_failure .*ENOENT.*, connecting to unix:/);
  });
});
