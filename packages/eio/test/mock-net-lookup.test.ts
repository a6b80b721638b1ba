/**
 * Ports of tests/network.md's getaddrinfo and with_tcp_connect cases on a mock network, and of
 * its run_server cases on a mock listening socket: the traces must match Eio's.
 */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced } from "./support/run-traced.js";

const Mock = Eio.Mock;
const traceln = Eio.traceln;
const addr1: Eio.Net.TcpAddr = { host: "127.0.0.1", port: 80 };
const addr2: Eio.Net.TcpAddr = { host: "1.2.3.4", port: 8080 };
const connectionFailure = () => new Eio.Net.ConnectionFailure("ECONNREFUSED", "Refused Simulated_failure");
const request = "GET / HTTP/1.1\r\nHost:www.example.com:80\r\n\r\n";
const wroteRequest = ['flow: wrote "GET / HTTP/1.1\\r\\n"', '            "Host:www.example.com:80\\r\\n"', '            "\\r\\n"', "flow: closed"];

describe("getaddrinfo on a mock network", () => {
  it("an empty answer is an error, not an empty list", async () => {
    const { lines, error } = await mockTraced(function* () {
      const net = Mock.Net.make("mocknet");
      Mock.Net.onGetaddrinfo(net, [{ return: [] }]);
      yield* Eio.Net.getaddrinfo(net, "example.org");
    });
    expect(lines).toEqual(['mocknet: getaddrinfo ~service:"" example.org']);
    expect(error).toBeInstanceOf(Eio.Net.AddressLookupFailed);
    expect((error as Error).message).toBe('Eio.Io Net Address_lookup_failed NONAME (name or service is not known), looking up "example.org"');
  });

  it("the variants keep stream or datagram addresses", async () => {
    const { result } = await mockTraced<string[][]>(function* (env) {
      const both: Eio.Net.Sockaddr[] = [addr1, { protocol: "udp", host: "127.0.0.1", port: 80 }, { path: "/sock" }];
      Mock.Net.onGetaddrinfo(env.net, [{ return: both }, { return: both }, { return: both }]);
      const show = (l: Eio.Net.Sockaddr[]) => l.map(Eio.Net.formatSockaddr);
      return [
        show(yield* Eio.Net.getaddrinfo(env.net, "h", { service: "http" })),
        show(yield* Eio.Net.getaddrinfoStream(env.net, "h")),
        show(yield* Eio.Net.getaddrinfoDatagram(env.net, "h")),
      ];
    });
    expect(result).toEqual([["tcp:127.0.0.1:80", "udp:127.0.0.1:80", "unix:/sock"], ["tcp:127.0.0.1:80", "unix:/sock"], ["udp:127.0.0.1:80"]]);
  });

  it("getnameinfo traces the address and answers as scripted", async () => {
    const { lines, result } = await mockTraced(function* (env) {
      Mock.Net.onGetnameinfo(env.net, [{ return: ["localhost", "http"] }]);
      return yield* Eio.Net.getnameinfo(env.net, { host: "::1", port: 80 });
    });
    expect(lines).toEqual(["mock-net: getnameinfo tcp:[::1]:80"]);
    expect(result).toEqual(["localhost", "http"]);
  });
});

describe("Net.withTcpConnect (tests/network.md)", () => {
  const connect = (net: Eio.Net.Net, timeout?: Eio.Time.TimeoutValue) =>
    Eio.Net.withTcpConnect(net, { host: "www.example.com", service: "http", ...(timeout ? { timeout } : {}) }, (conn) => Eio.Flow.copyString(request, conn));

  it("no usable addresses", async () => {
    const { lines, error } = await mockTraced(function* () {
      const net = Mock.Net.make("mock-net");
      Mock.Net.onGetaddrinfo(net, [{ return: [{ path: "/foo" }] }]);
      yield* Eio.Net.withTcpConnect(net, { host: "www.example.com", service: "http" }, () => { throw new Error("assert false"); });
    });
    expect(lines).toEqual(["mock-net: getaddrinfo ~service:http www.example.com"]);
    expect(error).toBeInstanceOf(Eio.Net.AddressLookupFailed);
    expect((error as Error).message).toBe('Eio.Io Net Address_lookup_failed NONAME (name or service is not known), connecting to "www.example.com":http');
  });

  it("the first address works", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      Mock.Net.onGetaddrinfo(env.net, [{ return: [addr1, addr2] }]);
      Mock.Net.onConnect(env.net, [{ return: Mock.Flow.make("flow") }]);
      yield* connect(env.net);
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["mock-net: getaddrinfo ~service:http www.example.com", "mock-net: connect to tcp:127.0.0.1:80", ...wroteRequest]);
  });

  it("the second address works", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      Mock.Net.onGetaddrinfo(env.net, [{ return: [addr1, addr2] }]);
      Mock.Net.onConnect(env.net, [{ raise: connectionFailure() }, { return: Mock.Flow.make("flow") }]);
      yield* connect(env.net);
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "mock-net: getaddrinfo ~service:http www.example.com",
      "mock-net: connect to tcp:127.0.0.1:80",
      "mock-net: connect to tcp:1.2.3.4:8080",
      ...wroteRequest,
    ]);
  });

  it("both addresses fail: the last error, with both contexts", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      Mock.Net.onGetaddrinfo(env.net, [{ return: [addr1, addr2] }]);
      Mock.Net.onConnect(env.net, [{ raise: connectionFailure() }, { raise: connectionFailure() }]);
      yield* connect(env.net);
    });
    expect(lines).toEqual(["mock-net: getaddrinfo ~service:http www.example.com", "mock-net: connect to tcp:127.0.0.1:80", "mock-net: connect to tcp:1.2.3.4:8080"]);
    expect(error).toBeInstanceOf(Eio.Net.ConnectionFailure);
    expect((error as Error).message).toBe(
      'Eio.Io Net Connection_failure Refused Simulated_failure, connecting to tcp:1.2.3.4:8080, connecting to "www.example.com":http',
    );
  });

  it("the first attempt times out", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      const timeout = Eio.Time.Timeout.seconds(env.monoClock, 10);
      Mock.Net.onGetaddrinfo(env.net, [{ return: [addr1, addr2] }]);
      Mock.Net.onConnect(env.net, [{ run: Eio.Fiber.awaitCancel }, { return: Mock.Flow.make("flow") }]);
      yield* connect(env.net, timeout);
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "mock-net: getaddrinfo ~service:http www.example.com",
      "mock-net: connect to tcp:127.0.0.1:80",
      "mock time is now 10",
      "mock-net: connect to tcp:1.2.3.4:8080",
      ...wroteRequest,
    ]);
  });

  it("both attempts time out", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      const timeout = Eio.Time.Timeout.seconds(env.monoClock, 10);
      Mock.Net.onGetaddrinfo(env.net, [{ return: [addr1, addr2] }]);
      Mock.Net.onConnect(env.net, [{ run: Eio.Fiber.awaitCancel }, { run: Eio.Fiber.awaitCancel }]);
      yield* connect(env.net, timeout);
    });
    expect(lines).toEqual([
      "mock-net: getaddrinfo ~service:http www.example.com",
      "mock-net: connect to tcp:127.0.0.1:80",
      "mock time is now 10",
      "mock-net: connect to tcp:1.2.3.4:8080",
      "mock time is now 20",
    ]);
    expect(error).toBeInstanceOf(Eio.Net.ConnectionFailure);
    expect((error as Eio.Net.NetError).code).toBe("ETIMEDOUT");
    expect((error as Error).message).toBe('Eio.Io Net Connection_failure Timeout, connecting to "www.example.com":http');
  });

  it("an error of fn itself gets no connecting context", async () => {
    const { error } = await mockTraced(function* (env) {
      Mock.Net.onGetaddrinfo(env.net, [{ return: [addr1] }]);
      Mock.Net.onConnect(env.net, [{ return: Mock.Flow.make("flow") }]);
      yield* Eio.Net.withTcpConnect(env.net, { host: "h", service: "80" }, () => { throw new Eio.Net.NetError("EIO", "in fn"); });
    });
    expect((error as Eio.Io).context).toEqual([]);
  });

  it("bad options are refused with a clear error", async () => {
    const { error } = await mockTraced((env) => Eio.Net.withTcpConnect(env.net, { host: "h", port: 80 } as never, () => {}));
    expect((error as Error).message).toMatch(/expected options \{ host, service, timeout\? \}/);
  });
});

/** tests/network.md's run_server handler: reads "Hi", yields, replies "Bye". */
function* handleConnection(flow: Eio.Net.Stream) {
  const msg = yield* Eio.BufRead.takeAll(Eio.BufRead.of(flow, { maxSize: 100 }));
  if (msg !== "Hi") throw new Error(`expected Hi, got ${msg}`);
  yield* Eio.Fiber.yield();
  yield* Eio.Flow.copyString("Bye", flow);
}

/** A mock listener that accepts `nClients` clients, each writing "Hi", then never completes. */
function mockListener(nClients: number) {
  const socket = Mock.Net.listeningSocket("tcp/80");
  const makeFlow = (i: number) => (): [Eio.Mock.Flow.MockFlow, Eio.Net.StreamAddr] => {
    Eio.Fiber.check();
    const flow = Mock.Flow.make(`flow${i}`);
    Mock.Flow.onRead(flow, [{ return: "Hi" }, { raise: new Eio.Flow.EndOfFile() }]);
    return [flow, { host: "127.0.0.1", port: 30000 + i }];
  };
  Mock.Net.onAccept(socket, [
    ...Array.from({ length: nClients }, (_, i) => ({ run: makeFlow(i) })),
    { run: Eio.Fiber.awaitCancel },
  ]);
  return socket;
}

const accepted = (i: number) => [`tcp/80: accepted connection from tcp:127.0.0.1:${30000 + i}`, `flow${i}: read "Hi"`];

describe("Net.runServer on a mock listening socket (tests/network.md)", () => {
  it("a graceful shutdown lets the connections finish", async () => {
    const { lines, error } = await mockTraced(function* () {
      const socket = mockListener(3);
      const [stop, setStop] = Eio.Promise.create<void>();
      yield* Eio.Fiber.both(
        () => Eio.Net.runServer(socket, handleConnection, { maxConnections: 10, onError: (e) => { throw e; }, stop }),
        () => {
          traceln("Begin graceful shutdown");
          Eio.Promise.resolve(setStop, undefined);
        },
      );
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      ...accepted(0), ...accepted(1), ...accepted(2),
      "Begin graceful shutdown",
      'flow0: wrote "Bye"', "flow0: closed",
      'flow1: wrote "Bye"', "flow1: closed",
      'flow2: wrote "Bye"', "flow2: closed",
    ]);
  });

  it("a failure closes every connection still in progress", async () => {
    const { lines, error } = await mockTraced(function* () {
      const socket = mockListener(3);
      yield* Eio.Fiber.both(
        () => Eio.Net.runServer(socket, handleConnection, { maxConnections: 10, onError: (e) => { throw e; } }),
        () => { throw new Error("Simulated error"); },
      );
    });
    expect(lines).toEqual([...accepted(0), ...accepted(1), ...accepted(2), "flow0: closed", "flow1: closed", "flow2: closed"]);
    expect((error as Error).message).toBe("Simulated error");
  });

  it("additional domains need a socket of the system's network", async () => {
    const { error } = await mockTraced((env) =>
      Eio.Net.runServer(mockListener(0), Eio.task(import.meta.url, "handleConnection"), { additionalDomains: [env.domainMgr, 1], onError: () => {} }));
    expect((error as Error).message).toMatch(/additionalDomains .* not a mock/);
  });
});
