// Eio's tests/buf_write.md, ported. Eio's mock flow may take part of a write (`Return n`);
// eio-ts sinks take whole writes (`Flow.Sink.writeAll`), so where Eio shows a batch written in
// pieces ("Hel", "lo") the port shows it written whole ("Hello"); what waits for what is the same.
// Eio's `schedule_cstruct`, `cstruct`, `make_formatter` and `?off`/`?len` have no counterpart here.
import { describe, expect, it } from "vitest";
import type { Operation } from "../src/index.js";
import { Eio, traced } from "./helpers.js";

const W = Eio.BufWrite;
const R = Eio.BufRead;

/** OCaml's `%S`, as Eio's mock flow prints what was written. */
function ocamlString(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += "\\" + String.fromCharCode(b);
    else if (b === 10) out += "\\n";
    else if (b >= 32 && b <= 126) out += String.fromCharCode(b);
    else out += "\\" + String(b).padStart(3, "0");
  }
  return `"${out}"`;
}

/** What the mock flow does before each write (Eio's `on_copy_bytes`); then it writes it all. */
type Action = { await: Eio.Promise.Promise<unknown> } | { yieldThen: true } | { raise: Error } | { run: () => Operation<unknown> };

function mockFlow(name: string, actions: Action[] = []): Eio.Flow.Sink {
  return {
    *writeAll(data: Uint8Array): Operation<void> {
      const action = actions.shift();
      if (action !== undefined) {
        if ("await" in action) yield* Eio.Promise.await(action.await);
        else if ("yieldThen" in action) yield* Eio.Fiber.yield();
        else if ("raise" in action) throw action.raise;
        else yield* action.run();
      }
      Eio.traceln(`+${name}: wrote ${ocamlString(data)}`);
    },
  };
}

const flow = mockFlow("flow");

describe("Eio's buf_write.md", () => {
  it("a simple run-through", async () => {
    expect(
      await traced(() =>
        W.withFlow(flow, (w) => {
          W.string(w, "Hello");
          W.char(w, " ");
          W.string(w, "world");
        }),
      ),
    ).toEqual(['+flow: wrote "Hello world"']);
  });

  it("auto-commit: yielding lets the writer fiber send what is there", async () => {
    expect(
      await traced(() =>
        W.withFlow(flow, function* (w) {
          W.string(w, "Hello");
          W.char(w, " ");
          yield* Eio.Fiber.yield();
          W.string(w, "world");
        }),
      ),
    ).toEqual(['+flow: wrote "Hello "', '+flow: wrote "world"']);
  });

  it("pausing collects writes across a yield into one batch", async () => {
    const body = (paused: boolean) =>
      W.withFlow(flow, function* (w) {
        W.string(w, "Hello... ");
        if (paused) W.pause(w);
        yield* Eio.Fiber.yield();
        if (paused) W.unpause(w);
        W.string(w, "world");
      });
    expect(await traced(() => body(false))).toEqual(['+flow: wrote "Hello... "', '+flow: wrote "world"']);
    expect(await traced(() => body(true))).toEqual(['+flow: wrote "Hello... world"']);
  });

  it("empty writes write nothing", async () => {
    expect(
      await traced(() =>
        W.withFlow(flow, (w) => {
          W.string(w, "");
          W.bytes(w, new Uint8Array(0));
        }),
      ),
    ).toEqual([]);
  });

  it("endianness", async () => {
    expect(
      await traced(() =>
        W.withFlow(flow, function* (w) {
          W.LE.uint16(w, 5);
          yield* Eio.Fiber.yield();
          W.BE.uint16(w, 5);
        }),
      ),
    ).toEqual(['+flow: wrote "\\005\\000"', '+flow: wrote "\\000\\005"']);
  });

  it("writes of each kind, and many small writes in one batch, with room or without", async () => {
    expect(
      await traced(() =>
        W.withFlow(flow, function* (t) {
          W.string(t, "test");
          yield* Eio.Fiber.yield();
          W.bytes(t, Buffer.from("test"));
          yield* Eio.Fiber.yield();
          W.printf(t, "%s", "test");
          yield* Eio.Fiber.yield();
          W.char(t, "A");
        }),
      ),
    ).toEqual(['+flow: wrote "test"', '+flow: wrote "test"', '+flow: wrote "test"', '+flow: wrote "A"']);
    const f = (t: Eio.BufWrite.Writer) => {
      for (const s of ["te", "st", "te", "st"]) W.string(t, s);
      W.char(t, "t");
      W.char(t, "e");
    };
    expect(
      await traced(function* () {
        Eio.traceln("+With room:");
        yield* W.withFlow(flow, f);
        Eio.traceln("+Without room:");
        yield* W.withFlow(flow, f, { initialSize: 1 });
      }),
    ).toEqual(["+With room:", '+flow: wrote "testtestte"', "+Without room:", '+flow: wrote "testtestte"']);
  });

  it("formatting with printf", async () => {
    expect(
      await traced(() =>
        W.withFlow(flow, (t) => {
          W.printf(t, "Write.printf %s %d%%\n", "at", 100);
          W.printf(t, "This is a %s call to printf", "second");
        }),
      ),
    ).toEqual(['+flow: wrote "Write.printf at 100%\\nThis is a second call to printf"']);
  });

  it("flush waits for the flow to finish the write", async () => {
    const [p1, r1] = Eio.Promise.create<number>();
    const slow = mockFlow("flow", [{ await: p1 }]);
    expect(
      await traced(() =>
        W.withFlow(slow, (t) =>
          Eio.Fiber.both(
            function* () {
              yield* W.flush(t);
              W.string(t, "Hello");
              Eio.traceln("+Flushing...");
              yield* W.flush(t);
              Eio.traceln("+Flushed");
            },
            () => {
              Eio.traceln("+Write now completes...");
              Eio.Promise.resolve(r1, 3);
            },
          ),
        ),
      ),
    ).toEqual(["+Flushing...", "+Write now completes...", '+flow: wrote "Hello"', "+Flushed"]);
  });

  it("multiple flushes each wait for their own bytes", async () => {
    const yielding = mockFlow("flow", [{ yieldThen: true }, { yieldThen: true }]);
    expect(
      await traced(function* () {
        yield* W.withFlow(yielding, (t) =>
          Eio.Fiber.all([
            function* () {
              W.string(t, "ab");
              yield* W.flush(t);
              Eio.traceln("+1st flush");
            },
            function* () {
              yield* Eio.Fiber.yield();
              yield* Eio.Fiber.yield();
              W.string(t, "cd");
              yield* W.flush(t);
              Eio.traceln("+2nd flush");
            },
          ]),
        );
        Eio.traceln("+Done");
      }),
    ).toEqual(['+flow: wrote "ab"', "+1st flush", '+flow: wrote "cd"', "+2nd flush", "+Done"]);
  });

  it("flush waits for the write to succeed, even through a slow writer", async () => {
    const slowWriter: Eio.Flow.Sink = {
      *writeAll(data) {
        yield* Eio.Fiber.yield();
        Eio.traceln(`+Write ${ocamlString(data)}`);
      },
    };
    expect(
      await traced(() =>
        W.withFlow(slowWriter, function* (t) {
          W.string(t, "test");
          yield* W.flush(t);
          Eio.traceln("+Flush complete");
        }),
      ),
    ).toEqual(['+Write "test"', "+Flush complete"]);
  });

  it("cancelled while the flow writes, or while waiting for data", async () => {
    const stuck = mockFlow("flow", [{ run: () => Eio.Fiber.awaitCancel() }]);
    expect(
      await traced(() =>
        Eio.Fiber.both(
          () =>
            W.withFlow(stuck, (t) => {
              W.string(t, "Hello");
              Eio.traceln("+Did write");
            }),
          function* () {
            yield* Eio.Fiber.yield();
            throw new Error("Simulated error");
          },
        ),
      ),
    ).toEqual(["+Did write", "!! Simulated error"]);
    expect(
      await traced(() =>
        Eio.Switch.run((sw) => {
          const t = W.create(100, { sw });
          return Eio.Fiber.both(
            function* () {
              yield* W.awaitBatch(t);
              throw new Error("assert false");
            },
            () => {
              throw new Error("Simulated error");
            },
          );
        }),
      ),
    ).toEqual(["!! Simulated error"]);
  });

  it("serialize, serializeToString and serializeToBytes", async () => {
    const foobar = (sw: Eio.Switch.Switch) => {
      const t = W.create(100, { sw });
      W.string(t, "foo");
      W.bytes(t, Buffer.from("bar"));
      W.close(t);
      return t;
    };
    const showBufs = (bufs: Uint8Array[]) => `[${bufs.map((b) => ocamlString(b)).join("; ")}]`;
    expect(
      await traced(() =>
        Eio.Switch.run((sw) =>
          W.serialize(foobar(sw), (bufs) => {
            Eio.traceln(`+Write ${showBufs(bufs)}`);
            return { ok: true, value: bufs.reduce((n, b) => n + b.length, 0) };
          }),
        ),
      ),
    ).toEqual(['+Write ["foobar"]', '-> {"ok":true}']);
    expect(
      await traced(() =>
        Eio.Switch.run((sw) =>
          W.serialize(foobar(sw), (bufs) => {
            expect(bufs.length).toBeGreaterThan(0);
            Eio.traceln(`+Write ${showBufs(bufs)}`);
            return { ok: false, error: "Closed" };
          }),
        ),
      ),
    ).toEqual(['+Write ["foobar"]', '-> {"ok":false,"error":"Closed"}']);
    expect(await traced(() => Eio.Switch.run((sw) => W.serializeToString(foobar(sw))))).toEqual(["-> foobar"]);
    expect(await traced(() => Eio.Switch.run((sw) => Buffer.from(W.serializeToBytes(foobar(sw))).toString()))).toEqual(["-> foobar"]);
  });

  it("a partial write from serialize's writev sends the rest next", async () => {
    const t = W.create(100);
    W.string(t, "abc");
    W.close(t);
    expect(
      await traced(() =>
        W.serialize(t, (bufs) => {
          Eio.traceln(`+Write ${ocamlString(bufs[0]!)}`);
          return { ok: true, value: 1 };
        }),
      ),
    ).toEqual(['+Write "abc"', '+Write "bc"', '+Write "c"', '-> {"ok":true}']);
  });

  it("output is still flushed on error, but not if cancelled", async () => {
    expect(
      await traced(() =>
        W.withFlow(mockFlow("flow", [{ yieldThen: true }]), (t) => {
          W.string(t, "foo");
          throw new Error("Simulated error");
        }),
      ),
    ).toEqual(['+flow: wrote "foo"', "!! Simulated error"]);
    expect(
      await traced(() =>
        Eio.Fiber.both(
          () =>
            W.withFlow(mockFlow("flow", [{ run: () => Eio.Fiber.awaitCancel() }]), function* (t) {
              W.string(t, "foo");
              yield* Eio.Fiber.awaitCancel();
            }),
          () => {
            throw new Error("Simulated error");
          },
        ),
      ),
    ).toEqual(["!! Simulated error"]);
  });

  it("cleanup: an aborted writer fails its pending flushes with Flush_aborted", async () => {
    expect(
      await traced(() =>
        Eio.Switch.run(function* (mainSw) {
          yield* Eio.Switch.run((sw) => {
            const t = W.create(100, { sw });
            Eio.Fiber.fork(mainSw, function* () {
              W.string(t, "foo");
              try {
                yield* W.flush(t);
                throw new Error("assert false");
              } catch (e) {
                Eio.traceln(`+Flush failed: ${(e as Error).name}`);
              }
            });
            Eio.traceln("+Finishing writer switch");
          });
          yield* Eio.Fiber.yield();
          Eio.traceln("+Finishing main switch");
        }),
      ),
    ).toEqual(["+Finishing writer switch", "+Flush failed: Flush_aborted", "+Finishing main switch"]);

    expect(
      await traced(() =>
        Eio.Switch.run((sw) =>
          W.withFlow(mockFlow("flow", [{ raise: new Error("Simulated IO error") }]), (t) => {
            Eio.Fiber.fork(sw, function* () {
              W.string(t, "foo");
              try {
                yield* W.flush(t);
                throw new Error("assert false");
              } catch (e) {
                Eio.traceln(`+Flush failed: ${(e as Error).name}`);
              }
            });
            Eio.traceln("+with_flow returning; t will be closed");
          }),
        ),
      ),
    ).toEqual(["+with_flow returning; t will be closed", "+Flush failed: Flush_aborted", "!! Simulated IO error"]);

    expect(
      await traced(() =>
        Eio.Switch.run((sw) =>
          W.withFlow(mockFlow("flow", [{ yieldThen: true }]), (t) => {
            Eio.Fiber.fork(sw, function* () {
              W.string(t, "foo");
              yield* W.flush(t);
              Eio.traceln("+Flush succeeded");
            });
            Eio.traceln("+with_flow returning; t should be closed but not aborted");
          }),
        ),
      ),
    ).toEqual(["+with_flow returning; t should be closed but not aborted", '+flow: wrote "foo"', "+Flush succeeded"]);

    const t = W.create(100);
    expect(
      await traced(() =>
        Eio.Fiber.both(
          function* () {
            try {
              W.string(t, "hi");
              yield* W.flush(t);
            } catch (e) {
              if (!(e instanceof W.Flush_aborted)) throw e;
              Eio.traceln("+Aborted");
            }
          },
          () => W.abort(t),
        ),
      ),
    ).toEqual(["+Aborted"]);
  });

  it("round-trips with BufRead", () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    const rev = (b: Uint8Array) => Uint8Array.from(b).reverse();
    function test<T>(x: T, f: (t: Eio.BufWrite.Writer, x: T) => void, g: Eio.BufRead.Parser<T>): Uint8Array {
      const t = W.create(10);
      f(t, x);
      const encoded = W.serializeToBytes(t);
      const decoded = R.parseStringExn(g, encoded);
      if (decoded !== x) throw new Error(`Failed to round-trip: ${hex(encoded)}`);
      return encoded;
    }
    expect(Buffer.from(test("test", W.string, R.takeAll)).toString()).toBe("test");
    expect(ocamlString(test("\xfd", W.char, R.anyChar))).toBe('"\\253"');
    expect(hex(test(0xa5, W.uint8, R.uint8))).toBe("a5");
    expect([
      hex(test(0xa123, W.BE.uint16, R.BE.uint16)),
      hex(test(0xa1234567, W.BE.uint32, R.BE.uint32)),
      hex(test(0xa1234567890a, W.BE.uint48, R.BE.uint48)),
      hex(test(0xa1234567890abcden, W.BE.uint64, R.BE.uint64)),
      hex(test(32.25, W.BE.float, R.BE.float)),
      hex(test(32.25, W.BE.double, R.BE.double)),
    ]).toEqual(["a123", "a1234567", "a1234567890a", "a1234567890abcde", "42010000", "4040200000000000"]);
    expect([
      hex(rev(test(0xa123, W.LE.uint16, R.LE.uint16))),
      hex(rev(test(0xa1234567, W.LE.uint32, R.LE.uint32))),
      hex(rev(test(0xa1234567890a, W.LE.uint48, R.LE.uint48))),
      hex(rev(test(0xa1234567890abcden, W.LE.uint64, R.LE.uint64))),
      hex(rev(test(32.25, W.LE.float, R.LE.float))),
      hex(rev(test(32.25, W.LE.double, R.LE.double))),
    ]).toEqual(["a123", "a1234567", "a1234567890a", "a1234567890abcde", "42010000", "4040200000000000"]);
  });

  it("writing to a closed writer and bad values are errors that say so", () => {
    const t = W.create(10);
    expect(() => W.uint8(t, 1.5)).toThrow(/BufWrite.uint8: expected an integer, got 1.5/);
    expect(() => W.BE.uint64(t, 1 as never)).toThrow(/BufWrite.BE.uint64: expected a bigint, got number/);
    expect(() => W.create(0)).toThrow(/BufWrite.create: expected a buffer size \(integer >= 1\), got 0/);
    W.close(t);
    expect(() => W.string(t, "x")).toThrow(/BufWrite.string: cannot write to a closed writer/);
    expect(W.isClosed(t)).toBe(true);
  });
});
