import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

function run<T>(fn: () => Generator<any, T, any>): Promise<T> {
  return Eio.run(fn);
}

describe("Flow", () => {
  it("read, readExact, copy and copyString over memory flows", async () => {
    const out = await run(function* () {
      const src = Eio.Flow.stringSource("0123456789");
      const buffer = new Uint8Array(4);
      const n = yield* Eio.Flow.read(src, buffer);
      yield* Eio.Flow.readExact(src, buffer);
      const sink = Eio.Flow.bufferSink();
      yield* Eio.Flow.copyString(">", sink);
      const copied = yield* Eio.Flow.copy(src, sink);
      let end = "";
      try {
        yield* Eio.Flow.read(src, buffer);
      } catch (e) {
        end = (e as Error).name;
      }
      return [n, Buffer.from(buffer).toString(), copied, Eio.Flow.bufferSinkContents(sink), end];
    });
    expect(out).toEqual([4, "4567", 2, ">89", "EndOfFile"]);
  });

  it("rejects bad arguments with clear errors", async () => {
    await run(function* () {
      expect(() => Eio.Flow.read({} as Eio.Flow.Source, new Uint8Array(1))).toThrow(/expected a source flow/);
      expect(() => Eio.Flow.read(Eio.Flow.stringSource("a"), new Uint8Array(0))).toThrow(/buffer is empty/);
      expect(() => Eio.Flow.write(Eio.Flow.bufferSink(), 5 as unknown as string)).toThrow(/expected a string or a Uint8Array, got number/);
    });
  });
});
