/**
 * Ports of Eio's tests/mocks.md and the mock parts of tests/network.md (accept_fork error
 * handling, getaddrinfo, with_tcp_connect, run_server): the traces must match Eio's line for line.
 */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced } from "./support/run-traced.js";

const Mock = Eio.Mock;
const traceln = Eio.traceln;
const loopback = (port: number): Eio.Net.TcpAddr => ({ host: "127.0.0.1", port });

describe("Mock.Flow (tests/mocks.md)", () => {
  it("copies scripted reads to a mock sink, then closes and shuts down", async () => {
    const { lines, error } = await mockTraced(function* () {
      const stdin = Mock.Flow.make("stdin");
      const stdout = Mock.Flow.make("stdout");
      Mock.Flow.onRead(stdin, [{ return: "chunk1" }, { return: "chunk2" }, { raise: new Eio.Flow.EndOfFile() }]);
      yield* Eio.Flow.copy(stdin, stdout);
      Eio.Flow.close(stdin);
      Eio.Flow.shutdown(stdout, "send");
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      'stdin: read "chunk1"',
      'stdout: wrote "chunk1"',
      'stdin: read "chunk2"',
      'stdout: wrote "chunk2"',
      "stdin: closed",
      "stdout: shutdown send",
    ]);
  });

  it("prints data as OCaml strings, one line per line of data, lined up", async () => {
    const { lines } = await mockTraced(function* () {
      const flow = Mock.Flow.make("flow");
      yield* Eio.Flow.copyString('GET / HTTP/1.1\r\nHost:"x"\\\t\u00e9\r\n\r\n', flow);
    });
    expect(lines).toEqual(['flow: wrote "GET / HTTP/1.1\\r\\n"', '            "Host:\\"x\\"\\\\\\t\\195\\169\\r\\n"', '            "\\r\\n"']);
  });

  it("onCopyBytes splits a write; a read buffer too short is an error naming the flow", async () => {
    const { lines, error } = await mockTraced(function* () {
      const flow = Mock.Flow.make("flow");
      Mock.Flow.onCopyBytes(flow, [{ return: 2 }, { return: 3 }]);
      yield* Eio.Flow.write(flow, "abcdefgh");
      Mock.Flow.onRead(flow, [{ return: "toolong" }]);
      yield* Eio.Flow.read(flow, new Uint8Array(3));
    });
    expect(lines).toEqual(['flow: wrote "ab"', 'flow: wrote "cde"', 'flow: wrote "fgh"']);
    expect((error as Error).message).toBe('flow: read buffer too short for "toolong"!');
  });

  it("a custom pp shows the data its own way", async () => {
    const { lines } = await mockTraced(function* () {
      const flow = Mock.Flow.make("bin", { pp: (b) => Buffer.from(b).toString("hex") });
      yield* Eio.Flow.write(flow, new Uint8Array([1, 2, 255]));
    });
    expect(lines).toEqual(["bin: wrote 0102ff"]);
  });
});

describe("copying into a mock flow (tests/flow.md)", () => {
  it("from a mock source", async () => {
    const { lines } = await mockTraced(function* () {
      const src = Mock.Flow.make("src");
      const dst = Mock.Flow.make("dst");
      Mock.Flow.onRead(src, [{ return: "foo" }, { return: "bar" }]);
      yield* Eio.Flow.copy(src, dst);
    });
    expect(lines).toEqual(['src: read "foo"', 'dst: wrote "foo"', 'src: read "bar"', 'dst: wrote "bar"']);
  });

  it("from a string source, through a buffer of onCopyBytes bytes (the default)", async () => {
    const { lines, result } = await mockTraced(function* () {
      const dst = Mock.Flow.make("dst");
      Mock.Flow.onCopyBytes(dst, [{ return: 3 }, { return: 5 }]);
      return yield* Eio.Flow.copy(Eio.Flow.stringSource("foobar"), dst);
    });
    expect(lines).toEqual(['dst: wrote "foo"', 'dst: wrote "bar"']);
    expect(result).toBe(6);
  });

  it("using the source's buffer (Read_source_buffer)", async () => {
    const { lines, result } = await mockTraced(function* () {
      const dst = Mock.Flow.make("dst");
      Mock.Flow.setCopyMethod(dst, "readSourceBuffer");
      Mock.Flow.onCopyBytes(dst, [{ return: 3 }, { return: 5 }]);
      return yield* Eio.Flow.copy(Eio.Flow.stringSource("foobar"), dst);
    });
    expect(lines).toEqual(['dst: wrote (rsb) ["foo"]', 'dst: wrote (rsb) ["bar"]']);
    expect(result).toBe(6);
  });

  it("Read_source_buffer from a source that does not offer it fails", async () => {
    const { error } = await mockTraced(function* () {
      const dst = Mock.Flow.make("dst");
      Mock.Flow.setCopyMethod(dst, "readSourceBuffer");
      yield* Eio.Flow.copy(Mock.Flow.make("src"), dst);
    });
    expect((error as Error).message).toBe("Source does not offer Read_source_buffer optimisation");
    expect(() => Mock.Flow.setCopyMethod(Mock.Flow.make("x"), "fast" as never)).toThrow(/expected "readInto" or "readSourceBuffer"/);
  });
});

describe("Mock.Action and Mock.Handler", () => {
  it("performs return, raise, await, yieldThen and run; seq falls back to the default", async () => {
    const { lines, error } = await mockTraced(function* () {
      const h = Mock.Handler.make<string>({ return: "default" });
      const [p, r] = Eio.Promise.create<Eio.Result<string>>();
      Mock.Handler.seq(h, [
        { return: "returned" },
        { raise: new Error("raised") },
        { await: p },
        { yieldThen: { return: "after yield" } },
        { run: function* () { yield* Eio.Fiber.yield(); return "ran"; } },
      ]);
      const show = function* () {
        try {
          traceln("got %s", yield* Mock.Handler.run(h));
        } catch (e) {
          traceln("error %s", (e as Error).message);
        }
      };
      yield* show();
      yield* show();
      yield* Eio.Fiber.both(show, () => {
        traceln("resolving");
        Eio.Promise.resolveOk(r, "awaited");
      });
      yield* Eio.Fiber.both(show, () => traceln("other fiber"));
      yield* show();
      yield* show();
      traceln("default again: %s", yield* Mock.Handler.runDefaultAction(h));
      Mock.Handler.setHandler(h, () => "fn");
      yield* show();
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "got returned",
      "error raised",
      "resolving",
      "got awaited",
      "other fiber",
      "got after yield",
      "got ran",
      "got default",
      "default again: default",
      "got fn",
    ]);
  });

  it("map applies a function to any action's result", async () => {
    const { result } = await mockTraced<number[]>(function* () {
      const [p, r] = Eio.Promise.create<Eio.Result<number>>();
      Eio.Promise.resolveOk(r, 3);
      const inc = (n: number) => n + 1;
      const out: number[] = [];
      for (const a of [{ return: 1 }, { await: p }, { yieldThen: { return: 5 } }, { run: () => 7 }] as Eio.Mock.Action.Action<number>[]) {
        out.push(yield* Mock.Action.run(Mock.Action.map(inc, a)));
      }
      return out;
    });
    expect(result).toEqual([2, 4, 6, 8]);
  });

  it("bad actions are refused with a clear error", () => {
    expect(() => Mock.Handler.make({} as never)).toThrow(/expected an action \{ return \}/);
    expect(() => Mock.Handler.seq(Mock.Handler.make({ return: 1 }), [{ return: 1, raise: 2 } as never])).toThrow(/actions\[0\]/);
    expect(() => Mock.Flow.onRead({} as never, [])).toThrow(/expected a mock flow/);
  });
});

/** tests/mocks.md's echo server. */
function* echoServer(net: Eio.Net.Net, addr: Eio.Net.StreamAddr) {
  yield* Eio.Switch.run(function* (sw) {
    const socket = yield* Eio.Net.listen(sw, net, addr, { reuseAddr: true, backlog: 5 });
    yield* Eio.Net.acceptFork(sw, socket, (flow) => Eio.Flow.copy(flow, flow), {
      onError: (e) => traceln("Error handling connection: %s", String(e)),
    });
  });
}

describe("Mock.Net (tests/mocks.md)", () => {
  it("the echo server handles a scripted connection", async () => {
    const { lines, error } = await mockTraced(function* () {
      const net = Mock.Net.make("mocknet");
      const listening = Mock.Net.listeningSocket("tcp/80");
      Mock.Net.onListen(net, [{ return: listening }]);
      const connection = Mock.Flow.make("connection");
      Mock.Net.onAccept(listening, [{ return: [connection, loopback(37568)] }]);
      Mock.Flow.onRead(connection, [{ return: "foo" }, { return: "bar" }]);
      yield* echoServer(net, loopback(80));
    });
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      "mocknet: listen on tcp:127.0.0.1:80",
      "tcp/80: accepted connection from tcp:127.0.0.1:37568",
      'connection: read "foo"',
      'connection: wrote "foo"',
      'connection: read "bar"',
      'connection: wrote "bar"',
      "connection: closed",
      "tcp/80: closed",
    ]);
  });

  it("Mock.run's env.net is a mock network labelled mock-net, unconfigured until scripted", async () => {
    const { lines, error } = await mockTraced(function* (env) {
      yield* Eio.Switch.run((sw) => Eio.Net.connect(sw, env.net, loopback(80)));
    });
    expect(lines).toEqual(["mock-net: connect to tcp:127.0.0.1:80"]);
    expect((error as Error).message).toBe("Mock connect handler not configured");
  });

  it("with realNet, Mock.run's env.net is the system's", async () => {
    const lines: string[] = [];
    await Mock.run(
      function* (env) {
        yield* Eio.Switch.run(function* (sw) {
          const server = yield* Eio.Net.listen(sw, env.net, loopback(0));
          const addr = Eio.Net.listeningAddr(server) as Eio.Net.TcpAddr;
          traceln("real port: %s", addr.port > 0);
        });
      },
      { realNet: true, traceln: (l) => lines.push(l) },
    );
    expect(lines).toEqual(["real port: true"]);
  });
});

describe("accept_fork error handling (tests/network.md)", () => {
  function* acceptOne(handler: Eio.Net.Handler, before?: (sw: Eio.Switch.Switch) => void, onError: (e: unknown) => unknown = (e) => { throw e; }) {
    const socket = Mock.Net.listeningSocket("tcp/80");
    const flow = Mock.Flow.make("connection");
    Mock.Net.onAccept(socket, [{ return: [flow, loopback(1234)] }]);
    yield* Eio.Switch.run(function* (sw) {
      before?.(sw);
      yield* Eio.Net.acceptFork(sw, socket, handler, { onError });
      traceln("Mock connection should have been closed by now");
    });
  }

  it("on success, the connection is closed at once", async () => {
    const { lines, error } = await mockTraced(() => acceptOne(() => {}));
    expect(error).toBeUndefined();
    expect(lines).toEqual(["tcp/80: accepted connection from tcp:127.0.0.1:1234", "connection: closed", "Mock connection should have been closed by now"]);
  });

  it("if the forked fiber fails, the connection is closed at once", async () => {
    const { lines, error } = await mockTraced(() => acceptOne(() => { throw new Error("Simulated error"); }));
    expect(lines).toEqual(["tcp/80: accepted connection from tcp:127.0.0.1:1234", "connection: closed", "Mock connection should have been closed by now"]);
    expect((error as Error).message).toBe("Simulated error");
  });

  it("if the fork itself fails, the connection is still closed", async () => {
    const { lines, error } = await mockTraced(() =>
      acceptOne(() => { throw new Error("handler must not run"); }, (sw) => Eio.Switch.fail(sw, new Error("Simulated error"))));
    expect(lines).toEqual(["tcp/80: accepted connection from tcp:127.0.0.1:1234", "connection: closed", "Mock connection should have been closed by now"]);
    expect((error as Error).message).toBe("Simulated error");
  });

  it("cancellations are not sent to onError", async () => {
    const { lines, error } = await mockTraced(function* () {
      const socket = Mock.Net.listeningSocket("tcp/80");
      Mock.Net.onAccept(socket, [{ return: [Mock.Flow.make("connection"), loopback(1234)] }]);
      yield* Eio.Switch.run(function* (sw) {
        yield* Eio.Net.acceptFork(sw, socket, () => Eio.Fiber.awaitCancel(), { onError: (e) => traceln("BUG: %s", String(e)) });
        Eio.Switch.fail(sw, new Error("Simulated error"));
      });
    });
    expect(lines).toEqual(["tcp/80: accepted connection from tcp:127.0.0.1:1234", "connection: closed"]);
    expect((error as Error).message).toBe("Simulated error");
  });
});
