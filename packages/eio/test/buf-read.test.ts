import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { open, portOf } from "./net-helpers.js";

function run<T>(fn: () => Generator<any, T, any>): Promise<T> {
  return Eio.run(fn);
}

describe("BufRead", () => {
  it("parses lines, pieces and characters", async () => {
    const parsed = await run(function* () {
      const r = Eio.BufRead.ofString("+OK\r\n$5\r\nhello\r\nlast");
      const out: unknown[] = [];
      yield* Eio.BufRead.char(r, "+");
      out.push(yield* Eio.BufRead.line(r));
      out.push(yield* Eio.BufRead.anyChar(r));
      out.push(Number(yield* Eio.BufRead.takeWhile(r, (b) => b >= 0x30 && b <= 0x39)));
      yield* Eio.BufRead.string(r, "\r\n");
      out.push(yield* Eio.BufRead.take(r, 5));
      yield* Eio.BufRead.skip(r, 2);
      out.push(yield* Eio.BufRead.peekChar(r));
      out.push(yield* Eio.BufRead.line(r));
      out.push(yield* Eio.BufRead.atEndOfInput(r));
      out.push(yield* Eio.BufRead.peekChar(r));
      return out;
    });
    expect(parsed).toEqual(["OK", "$", 5, "hello", "l", "last", true, undefined]);
  });

  it("line throws EndOfFile at end of input; char names what it found", async () => {
    const errors = await run(function* () {
      const r = Eio.BufRead.ofString("x");
      const out: string[] = [];
      try {
        yield* Eio.BufRead.char(r, "y");
      } catch (e) {
        out.push(`${(e as Error).name}: ${(e as Error).message}`);
      }
      yield* Eio.BufRead.line(r);
      try {
        yield* Eio.BufRead.line(r);
      } catch (e) {
        out.push((e as Error).name);
      }
      return out;
    });
    expect(errors).toEqual(["ParseError: Expected 'y' but got 'x'", "EndOfFile"]);
  });

  it("reads lines split across many small socket reads", async () => {
    const lines = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(server));
        Eio.Fiber.fork(sw, function* () {
          const socket = yield* Eio.Fiber.awaitNative(open(port));
          const text = "alpha\nbeta\r\ngamma\n";
          for (const c of text) {
            socket.write(c);
            yield* Eio.Fiber.awaitNative(new Promise((resolve) => setImmediate(resolve)));
          }
          socket.end();
        });
        const [conn] = yield* Eio.Net.accept(sw, server);
        const r = Eio.BufRead.of(conn, { maxSize: 64, initialSize: 2 });
        const out: string[] = [];
        while (!(yield* Eio.BufRead.atEndOfInput(r))) out.push(yield* Eio.BufRead.line(r));
        return out;
      });
    });
    expect(lines).toEqual(["alpha", "beta", "gamma"]);
  });

  it("a line longer than maxSize fails with BufferLimitExceeded, without buffering more", async () => {
    const result = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(server));
        Eio.Fiber.fork(sw, function* () {
          const socket = yield* Eio.Fiber.awaitNative(open(port));
          socket.on("error", () => {});
          socket.write("short\n" + "x".repeat(100_000) + "\n");
        });
        const [conn] = yield* Eio.Net.accept(sw, server);
        const r = Eio.BufRead.of(conn, { maxSize: 1000 });
        const first = yield* Eio.BufRead.line(r);
        try {
          yield* Eio.BufRead.line(r);
          return [first, "no error"];
        } catch (e) {
          return [first, (e as Error).name, (e as Eio.BufRead.BufferLimitExceeded).maxSize, Eio.BufRead.bufferedBytes(r) <= 1000];
        }
      });
    });
    expect(result).toEqual(["short", "BufferLimitExceeded", 1000, true]);
  });

  it("ensure beyond maxSize fails at once, and bad options are rejected", async () => {
    await run(function* () {
      const r = Eio.BufRead.of(Eio.Flow.stringSource("abc"), { maxSize: 2 });
      let name = "";
      try {
        yield* Eio.BufRead.ensure(r, 3);
      } catch (e) {
        name = (e as Error).name;
      }
      expect(name).toBe("BufferLimitExceeded");
      expect(() => Eio.BufRead.of(Eio.Flow.stringSource(""), { maxSize: 0 })).toThrow(/maxSize must be a positive integer, got 0/);
    });
  });

  it("a reader is itself a source: Flow.read drains its buffer first", async () => {
    const out = await run(function* () {
      const r = Eio.BufRead.ofString("head\nbody");
      const first = yield* Eio.BufRead.line(r);
      const sink = Eio.Flow.bufferSink();
      yield* Eio.Flow.copy(r, sink);
      return [first, Eio.Flow.bufferSinkContents(sink)];
    });
    expect(out).toEqual(["head", "body"]);
  });
});
