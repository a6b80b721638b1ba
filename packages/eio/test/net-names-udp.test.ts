/**
 * The system network's name lookups, withTcpConnect, UDP and reusePort, on 127.0.0.1: ports of
 * tests/network.md's getaddrinfo, getnameinfo and UDP cases.
 */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { runTraced } from "./support/run-traced.js";

const traceln = Eio.traceln;
const hasReusePort = (() => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 12);
})();
const show = (addrs: Eio.Net.Sockaddr[]) => addrs.map(Eio.Net.formatSockaddr);

describe("Net.getaddrinfo on the system resolver", () => {
  it("an IP address, with and without a numeric service, as a stream or datagram address", async () => {
    const { result, error } = await runTraced<string[][]>(function* (env) {
      return [
        show(yield* Eio.Net.getaddrinfoStream(env.net, "127.0.0.1")),
        show(yield* Eio.Net.getaddrinfoStream(env.net, "127.0.0.1", { service: "80" })),
        show(yield* Eio.Net.getaddrinfoDatagram(env.net, "127.0.0.1")),
        show(yield* Eio.Net.getaddrinfoDatagram(env.net, "127.0.0.1", { service: "80" })),
        show(yield* Eio.Net.getaddrinfo(env.net, "127.0.0.1", { service: "8080" })),
      ];
    });
    expect(error).toBeUndefined();
    expect(result).toEqual([["tcp:127.0.0.1:0"], ["tcp:127.0.0.1:80"], ["udp:127.0.0.1:0"], ["udp:127.0.0.1:80"], ["tcp:127.0.0.1:8080", "udp:127.0.0.1:8080"]]);
  });

  it("a service name gives the port and protocols /etc/services lists", async () => {
    const { result } = await runTraced<string[]>(function* (env) {
      return show(yield* Eio.Net.getaddrinfo(env.net, "127.0.0.1", { service: "ftp" }));
    });
    expect(result).toEqual(["tcp:127.0.0.1:21"]);
  });

  it("an unknown service or name raises AddressLookupFailed with the lookup as context", async () => {
    const { lines } = await runTraced(function* (env) {
      for (const [host, service] of [["127.0.0.1", "no-such-service"], ["name.invalid.", undefined]] as const) {
        try {
          yield* Eio.Net.getaddrinfo(env.net, host, service === undefined ? {} : { service });
          traceln("found an address for %s", host);
        } catch (e) {
          traceln("%s %s", (e as Error).name, (e as Eio.Io).context.join("; "));
        }
      }
    });
    expect(lines).toEqual([
      'AddressLookupFailed looking up "127.0.0.1" (service "no-such-service")',
      'AddressLookupFailed looking up "name.invalid."',
    ]);
  });

  it("getnameinfo names 127.0.0.1:80", async () => {
    const { result } = await runTraced(function* (env) {
      return yield* Eio.Net.getnameinfo(env.net, { host: "127.0.0.1", port: 80 });
    });
    expect(result).toEqual(["localhost", "http"]);
  });

  it("a cancelled lookup returns at once with Cancelled", async () => {
    const { lines } = await runTraced(function* (env) {
      try {
        yield* Eio.Switch.run(function* (sw) {
          Eio.Fiber.fork(sw, function* () {
            try {
              yield* Eio.Net.getaddrinfo(env.net, "localhost");
              traceln("lookup finished");
            } catch (e) {
              traceln("lookup: %s", (e as Error).name);
              throw e;
            }
          });
          Eio.Switch.fail(sw, new Error("stop"));
        });
      } catch (e) {
        traceln("switch: %s", (e as Error).message);
      }
    });
    expect(lines).toEqual(["lookup: Cancelled", "switch: stop"]);
  });

  it("bad arguments are refused with clear errors", async () => {
    const { lines } = await runTraced(function* (env) {
      for (const call of [
        () => Eio.Net.getaddrinfo({} as never, "h"),
        () => Eio.Net.getaddrinfo(env.net, 42 as never),
        () => Eio.Net.getaddrinfo(env.net, "h", { service: 80 as never }),
      ]) {
        try { yield* call(); } catch (e) { traceln((e as Error).message); }
      }
    });
    expect(lines).toEqual([
      "Net.getaddrinfo: expected a network (env.net or an Eio.Mock.Net), got [object Object]",
      "Net.getaddrinfo: expected a host name string, got number",
      'Net.getaddrinfo: options.service must be a string such as "80" or "http", got number',
    ]);
  });
});

describe("Net.withTcpConnect on the system network", () => {
  it("connects to a service on 127.0.0.1 and closes the connection after fn", async () => {
    const { lines, error } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const { port } = Eio.Net.listeningAddr(server) as Eio.Net.TcpAddr;
        yield* Eio.Fiber.both(
          () => Eio.Net.acceptFork(sw, server, function* (flow) {
            const msg = yield* Eio.BufRead.takeAll(Eio.BufRead.of(flow, { maxSize: 100 }));
            traceln("server got %s", msg);
          }, { onError: (e) => { throw e; } }),
          () => Eio.Net.withTcpConnect(env.net, { host: "127.0.0.1", service: String(port) }, (flow) => Eio.Flow.copyString("hello", flow)),
        );
      });
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["server got hello"]);
  });

  it("a refused connection is a ConnectionFailure that says what was being connected to", async () => {
    const { error } = await runTraced(function* (env) {
      const port = yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        return (Eio.Net.listeningAddr(server) as Eio.Net.TcpAddr).port;
      });
      yield* Eio.Net.withTcpConnect(env.net, { host: "127.0.0.1", service: String(port) }, () => {});
    });
    expect(error).toBeInstanceOf(Eio.Net.ConnectionFailure);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect((error as Eio.Io).context.map((step) => step.replace(/\d+$/, "PORT"))).toEqual(["connecting to tcp:127.0.0.1:PORT", 'connecting to "127.0.0.1":PORT']);
  });
});

describe("UDP (tests/network.md)", () => {
  function* runDgram(env: Eio.Env, host: string) {
    yield* Eio.Switch.run(function* (sw) {
      const receiver = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host, port: 0 });
      const sender = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host, port: 0 });
      const e2 = Eio.Net.datagramAddr(receiver);
      const e1 = Eio.Net.datagramAddr(sender);
      yield* Eio.Fiber.both(
        function* () {
          const buf = new Uint8Array(20);
          traceln("Waiting to receive data");
          const [from, n] = yield* Eio.Net.recv(receiver, buf);
          traceln("Received message from the sender: %s, %s", Eio.Net.formatSockaddr(from) === Eio.Net.formatSockaddr(e1), Buffer.from(buf.subarray(0, n)).toString());
        },
        function* () {
          traceln("Sending data");
          yield* Eio.Net.send(sender, { dst: e2 }, "UDP Message");
        },
      );
    });
  }

  it("one datagram over IPv4", async () => {
    const { lines, error } = await runTraced((env) => runDgram(env, "127.0.0.1"));
    expect(error).toBeUndefined();
    expect(lines).toEqual(["Waiting to receive data", "Sending data", "Received message from the sender: true, UDP Message"]);
  });

  it("one datagram over IPv6, addresses printed in brackets", async () => {
    const { lines, error } = await runTraced(function* (env) {
      yield* runDgram(env, "::1");
      traceln(Eio.Net.formatSockaddr({ protocol: "udp", host: "::1", port: 8082 }));
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual(["Waiting to receive data", "Sending data", "Received message from the sender: true, UDP Message", "udp:[::1]:8082"]);
  });

  it("from an unbound udp4 socket; datagrams keep their bounds, concatenate buffers, and are cut to the buffer", async () => {
    const { lines, error } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const b = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
        const a = yield* Eio.Net.datagramSocket(sw, env.net, "udp4");
        const dst = Eio.Net.datagramAddr(b);
        for (const msg of ["foo", "bar", "foobar", "cellar door", ""]) yield* Eio.Net.send(a, { dst }, [msg]);
        yield* Eio.Net.send(a, { dst }, ["abaca", new TextEncoder().encode("bb")]);
        yield* Eio.Net.send(a, { dst }, "truncated datagram");
        const buf = new Uint8Array(9);
        for (let i = 0; i < 7; i++) {
          const [, n] = yield* Eio.Net.recv(b, buf);
          traceln("Got: %d bytes: %s", n, JSON.stringify(Buffer.from(buf.subarray(0, n)).toString()));
        }
      });
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      'Got: 3 bytes: "foo"',
      'Got: 3 bytes: "bar"',
      'Got: 6 bytes: "foobar"',
      'Got: 9 bytes: "cellar do"',
      'Got: 0 bytes: ""',
      'Got: 7 bytes: "abacabb"',
      'Got: 9 bytes: "truncated"',
    ]);
  });

  it("a cancelled recv loses no datagram; recv on a closed socket fails", async () => {
    const { lines } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const b = yield* Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 });
        const a = yield* Eio.Net.datagramSocket(sw, env.net, "udp4");
        const buf = new Uint8Array(16);
        const r = yield* Eio.Fiber.first(
          function* () { yield* Eio.Net.recv(b, buf); return "received"; },
          () => "cancelled the recv",
        );
        traceln(r as string);
        yield* Eio.Net.send(a, { dst: Eio.Net.datagramAddr(b) }, "kept");
        const [, n] = yield* Eio.Net.recv(b, buf);
        traceln("then got %s", Buffer.from(buf.subarray(0, n)).toString());
        Eio.Flow.close(b);
        try { yield* Eio.Net.recv(b, buf); } catch (e) { traceln("%s %s", (e as Error).name, (e as Eio.Net.NetError).code); }
      });
    });
    expect(lines).toEqual(["cancelled the recv", "then got kept", "NetError EBADF"]);
  });

  it("bad addresses are refused with clear errors", async () => {
    const { lines } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        for (const call of [
          () => Eio.Net.datagramSocket(sw, env.net, { host: "127.0.0.1", port: 0 } as never),
          () => Eio.Net.listen(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 } as never),
        ]) {
          try { yield* call(); } catch (e) { traceln((e as Error).message); }
        }
      });
    });
    expect(lines).toEqual([
      'Net.datagramSocket: expected a UDP address { protocol: "udp", host, port }, got {"host":"127.0.0.1","port":0}',
      "Net.listen: expected a stream address { host, port } or { path }, got a udp address",
    ]);
  });
});

describe("reusePort", () => {
  it.runIf(!hasReusePort)("is refused on a Node without SO_REUSEPORT, with the reason", async () => {
    const { lines } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        for (const call of [
          () => Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { reusePort: true }),
          () => Eio.Net.datagramSocket(sw, env.net, { protocol: "udp", host: "127.0.0.1", port: 0 }, { reusePort: true }),
        ]) {
          try { yield* call(); } catch (e) { traceln("%s: %s", (e as Error).name, (e as Error).message); }
        }
      });
    });
    expect(lines).toEqual([
      `TypeError: Net.listen: options.reusePort needs Node 22.12 or later (this is Node ${process.versions.node}, whose sockets have no SO_REUSEPORT option)`,
      `TypeError: Net.datagramSocket: options.reusePort needs Node 22.12 or later (this is Node ${process.versions.node}, whose sockets have no SO_REUSEPORT option)`,
    ]);
  });

  it.runIf(hasReusePort)("lets two sockets listen on one port", async () => {
    const { error } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const a = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { reusePort: true });
        yield* Eio.Net.listen(sw, env.net, Eio.Net.listeningAddr(a), { reusePort: true });
      });
    });
    expect(error).toBeUndefined();
  });

  it("must be a boolean, and is for TCP only", async () => {
    const { lines } = await runTraced(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        for (const call of [
          () => Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { reusePort: "yes" as never }),
          () => Eio.Net.listen(sw, env.net, { path: "/tmp/x.sock" }, { reusePort: true }),
        ]) {
          try { yield* call(); } catch (e) { traceln((e as Error).message); }
        }
      });
    });
    expect(lines).toEqual(["Net.listen: options.reusePort must be a boolean, got string", "Net.listen: options.reusePort is for TCP ports, not Unix sockets"]);
  });
});
