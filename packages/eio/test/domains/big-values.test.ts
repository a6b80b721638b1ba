// Values larger than the shared heap cross every road: they travel in buffers of their own.
// The heap is made small here, so that nothing large can fit in it. Real worker threads: run
// `npm run build` first.
import "../support/small-heap.js";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const table = new URL("./fixtures/value-table.mjs", import.meta.url);
const task = <A extends unknown[], R>(name: string) => Eio.task<A, R>(table, name);
const BIG = 200_000_000;

/** The same bytes as the fixture's bigBuffer: byte i of each 4 KiB page is the page number. */
function bigBuffer(bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4096) buffer[i] = (i >> 12) & 0xff;
  return buffer;
}

function checkBig(buffer: unknown): number {
  expect(Buffer.isBuffer(buffer)).toBe(true);
  const bytes = buffer as Buffer;
  for (let i = 0; i < bytes.length; i += 4096) if (bytes[i] !== ((i >> 12) & 0xff)) throw new Error(`byte ${i} is ${bytes[i]}`);
  return bytes.length;
}

// Each test moves 200 MB between threads a few times (about 3 s alone, several times that in a
// full run on 2 loaded cores): a longer timeout than the suite's 30 s.
describe("a 200 MB Buffer with a 16 MiB shared heap", { timeout: 120_000 }, () => {
  it("crosses as a job argument and as a job result", async () => {
    const [checked, made] = await Eio.run<[number, unknown]>(function* (env) {
      const checked = yield* Eio.DomainManager.run(env.domainMgr, task<[Buffer], number>("checkBig"), bigBuffer(BIG));
      const made = yield* Eio.DomainManager.run(env.domainMgr, task<[number], Buffer>("bigBuffer"), BIG);
      return [checked, made];
    });
    expect(checked).toBe(BIG);
    expect(checkBig(made)).toBe(BIG);
  });

  it("crosses as a shared stream item, both ways", async () => {
    const [taken, received] = await Eio.run<[number[], unknown]>(function* (env) {
      const toDomain = Eio.Stream.create<Buffer>(1, { shared: true });
      const fromDomain = Eio.Stream.create<Buffer>(1, { shared: true });
      return yield* Eio.Switch.run(function* (sw) {
        const taken = Eio.Fiber.forkPromise(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown, number], number[]>("takeBig"), toDomain, 1));
        yield* Eio.Stream.add(toDomain, bigBuffer(BIG));
        Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown, number], void>("addBig"), fromDomain, BIG));
        const received = yield* Eio.Stream.take(fromDomain);
        return [yield* Eio.Promise.awaitExn(taken), received];
      });
    });
    expect(taken).toEqual([BIG]);
    expect(checkBig(received)).toBe(BIG);
  });

  it("crosses as a shared promise's value, both ways", async () => {
    const [awaited, resolved] = await Eio.run<[number, unknown]>(function* (env) {
      const [promise, resolver] = Eio.Promise.create<Buffer>({ shared: true });
      Eio.Promise.resolve(resolver, bigBuffer(BIG));
      // The domain awaits the promise made here and checks the bytes it finds.
      const awaited = yield* Eio.DomainManager.run(env.domainMgr, task<[unknown], number>("awaitBig"), promise);
      const [inDomain, inDomainResolver] = Eio.Promise.create<Buffer>({ shared: true });
      yield* Eio.DomainManager.run(env.domainMgr, task<[unknown, number], void>("resolveBig"), inDomainResolver, BIG);
      return [awaited, yield* Eio.Promise.await(inDomain)];
    });
    expect(awaited).toBe(BIG);
    expect(checkBig(resolved)).toBe(BIG);
  });

  it("when the shared heap runs out, the add that asked fails with an error that names the size, and the program goes on", async () => {
    expect(process.env["EIO_SHARED_HEAP_MB"]).toBe("16");
    const outcome = await Eio.run<{ error: unknown; added: number; after: number }>(function* () {
      // Values just under the size that travels apart, so that they fill the 16 MiB heap.
      const stream = Eio.Stream.create<Uint8Array>(1000, { shared: true });
      let error: unknown = null;
      let added = 0;
      try {
        for (;;) {
          yield* Eio.Stream.add(stream, new Uint8Array(200_000));
          added++;
        }
      } catch (e) {
        error = e;
      }
      // Taking the items frees the heap: the stream works again.
      for (let i = 0; i < added; i++) yield* Eio.Stream.take(stream);
      yield* Eio.Stream.add(stream, new Uint8Array(200_000));
      return { error, added, after: (yield* Eio.Stream.take(stream)).length };
    });
    expect(outcome.error).toBeInstanceOf(RangeError);
    expect(String((outcome.error as Error).message)).toMatch(/shared heap is full \(16 MiB, \d+ more bytes asked\)/);
    expect(outcome.added).toBeGreaterThan(10);
    expect(outcome.after).toBe(200_000);
  });
});
