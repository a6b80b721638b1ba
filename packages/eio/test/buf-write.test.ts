import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

function run<T>(fn: () => Generator<any, T, any>): Promise<T> {
  return Eio.run(fn);
}

describe("BufWrite", () => {
  it("batches small writes into one write on the flow", async () => {
    const writes: string[] = [];
    const sink: Eio.Flow.Sink = Object.assign(Eio.Flow.bufferSink(), {
      *writeAll(data: Uint8Array) {
        writes.push(Buffer.from(data).toString());
      },
    });
    await run(function* () {
      yield* Eio.BufWrite.withFlow(sink, function* (w) {
        Eio.BufWrite.string(w, "a");
        Eio.BufWrite.char(w, "b");
        Eio.BufWrite.bytes(w, new Uint8Array([99]));
        expect(Eio.BufWrite.pendingBytes(w)).toBe(3);
        yield* Eio.BufWrite.flush(w);
        expect(Eio.BufWrite.pendingBytes(w)).toBe(0);
        Eio.BufWrite.string(w, "d");
        Eio.BufWrite.string(w, "e");
      });
    });
    expect(writes).toEqual(["abc", "de"]);
  });

  it("flushes what was written even when the body throws", async () => {
    const sink = Eio.Flow.bufferSink();
    await expect(
      run(function* () {
        yield* Eio.BufWrite.withFlow(sink, (w) => {
          Eio.BufWrite.string(w, "kept");
          throw new Error("body failed");
        });
      }),
    ).rejects.toThrow("body failed");
    expect(Eio.Flow.bufferSinkContents(sink)).toBe("kept");
  });
});
