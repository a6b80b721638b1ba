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

  it("a copy leaves the sender its buffer and gives the receiver memory of its own, not shared", async () => {
    const sent = bigBuffer(BIG);
    const [checked, made] = await Eio.run<[number, Buffer]>(function* (env) {
      const checked = yield* Eio.DomainManager.run(env.domainMgr, task<[Buffer], number>("checkBig"), sent);
      return [checked, yield* Eio.DomainManager.run(env.domainMgr, task<[number], Buffer>("bigBuffer"), BIG)];
    });
    expect(checked).toBe(BIG);
    expect(checkBig(sent)).toBe(BIG);
    expect(made.buffer).toBeInstanceOf(ArrayBuffer);
    expect(made.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(checkBig(made)).toBe(BIG);
  });
});

describe("a 200 MB Buffer moved with Eio.transfer, with a 16 MiB shared heap", { timeout: 120_000 }, () => {
  it("as a job argument (DomainManager.run and a pool) and as a job result: the sender's buffer is detached, the bytes arrive equal", async () => {
    const sent = bigBuffer(BIG);
    const pooled = bigBuffer(BIG);
    const [checked, checkedInPool, made] = await Eio.run<[number, number, Buffer]>(function* (env) {
      const checked = yield* Eio.DomainManager.run(env.domainMgr, task<[Buffer], number>("checkBig"), Eio.transfer(sent));
      const checkedInPool = yield* Eio.Switch.run(function* (sw) {
        const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
        return yield* Eio.ExecutorPool.submitExn(pool, { weight: 1 }, task<[Buffer], number>("checkBig"), Eio.transfer(pooled));
      });
      return [checked, checkedInPool, yield* Eio.DomainManager.run(env.domainMgr, task<[number], Buffer>("bigBufferMoved"), BIG)];
    });
    expect([checked, checkedInPool]).toEqual([BIG, BIG]);
    expect([sent.length, sent.buffer.byteLength, pooled.buffer.byteLength]).toEqual([0, 0, 0]);
    expect(made.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(checkBig(made)).toBe(BIG);
  });

  it("as a shared stream item, both ways", async () => {
    const sent = bigBuffer(BIG);
    const [taken, leftThere, received] = await Eio.run<[number[], number, Buffer]>(function* (env) {
      const toDomain = Eio.Stream.create<Buffer>(1, { shared: true });
      const fromDomain = Eio.Stream.create<Buffer>(1, { shared: true });
      return yield* Eio.Switch.run(function* (sw) {
        const taken = Eio.Fiber.forkPromise(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown, number], number[]>("takeBig"), toDomain, 1));
        yield* Eio.Stream.add(toDomain, Eio.transfer(sent));
        const leftThere = Eio.Fiber.forkPromise(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown, number], number>("addBigMoved"), fromDomain, BIG));
        const received = yield* Eio.Stream.take(fromDomain);
        return [yield* Eio.Promise.awaitExn(taken), yield* Eio.Promise.awaitExn(leftThere), received];
      });
    });
    expect(taken).toEqual([BIG]);
    expect(sent.length).toBe(0);
    expect(leftThere).toBe(0);
    expect(checkBig(received)).toBe(BIG);
  });

  it("as a shared promise's value, both ways (copied beside the value for every awaiter, the sender's buffer still detached)", async () => {
    const sent = bigBuffer(BIG);
    const [awaited, leftThere, resolved] = await Eio.run<[number, number, Buffer]>(function* (env) {
      const [promise, resolver] = Eio.Promise.create<Buffer>({ shared: true });
      Eio.Promise.resolve(resolver, Eio.transfer(sent));
      // This domain's own awaiters read the value back too: the sender's buffer is gone.
      const here = checkBig(yield* Eio.Promise.await(promise));
      const awaited = here + (yield* Eio.DomainManager.run(env.domainMgr, task<[unknown], number>("awaitBig"), promise));
      const [inDomain, inDomainResolver] = Eio.Promise.create<Buffer>({ shared: true });
      const leftThere = yield* Eio.DomainManager.run(env.domainMgr, task<[unknown, number], number>("resolveBigMoved"), inDomainResolver, BIG);
      return [awaited, leftThere, yield* Eio.Promise.await(inDomain)];
    });
    expect(sent.length).toBe(0);
    expect(awaited).toBe(2 * BIG);
    expect(leftThere).toBe(0);
    expect(checkBig(resolved)).toBe(BIG);
  });
});

describe("Eio.transfer", () => {
  it("refuses shared memory and what is not a buffer, with an error that says what was wrong", () => {
    const shared = new SharedArrayBuffer(8);
    expect(() => Eio.transfer(shared as unknown as ArrayBuffer)).toThrow(/Eio.transfer: this is shared memory .* send it as it is/);
    expect(() => Eio.transfer(new Uint8Array(shared))).toThrow(TypeError);
    expect(() => Eio.transfer(new Uint8Array(shared))).toThrow(/shared memory/);
    expect(() => Eio.transfer("bytes" as unknown as ArrayBuffer)).toThrow(/expected an ArrayBuffer or a view of one .*got a string \(bytes\)/);
    expect(() => Eio.transfer({ length: 3 } as unknown as ArrayBuffer)).toThrow(/expected an ArrayBuffer or a view of one .*got an object of class Object/);
    expect(() => Eio.transfer(null as unknown as ArrayBuffer)).toThrow(/got null/);
  });

  it("moves small buffers too, keeps views of one buffer one buffer, refuses to send a buffer twice, and leaves the buffer alone when the send fails", async () => {
    const small = new Uint8Array([1, 2, 3]);
    const whole = new ArrayBuffer(16);
    new Uint8Array(whole).set([9, 8, 7, 6, 5]);
    const views = [new Uint8Array(whole, 1, 2), new DataView(whole, 3, 2)];
    const kept = new Uint8Array(1 << 20).fill(7);
    const outcome = await Eio.run<{ back: unknown; arrived: unknown; twice: unknown; failed: unknown }>(function* (env) {
      const echo = task<[unknown], unknown>("echo");
      const back = yield* Eio.DomainManager.run(env.domainMgr, echo, Eio.transfer(small));
      const arrived = yield* Eio.DomainManager.run(env.domainMgr, task<[unknown], unknown>("describeViews"), views.map((v) => Eio.transfer(v)));
      let twice: unknown = null;
      try {
        yield* Eio.DomainManager.run(env.domainMgr, echo, small);
      } catch (error) {
        twice = error;
      }
      let failed: unknown = null;
      try {
        yield* Eio.DomainManager.run(env.domainMgr, echo, [Eio.transfer(kept), () => 0]);
      } catch (error) {
        failed = error;
      }
      return { back, arrived, twice, failed };
    });
    expect(small.length).toBe(0);
    expect(outcome.back).toEqual(new Uint8Array([1, 2, 3]));
    expect(whole.byteLength).toBe(0);
    // As with postMessage's transfer list: the whole buffer moves, and the views keep their places in it.
    expect(outcome.arrived).toEqual({ sameBuffer: true, bufferLength: 16, bytes: [8, 7, 6, 5] });
    expect(outcome.twice).toBeInstanceOf(TypeError);
    expect(String((outcome.twice as Error).message)).toMatch(/moved away already/);
    expect(outcome.failed).toBeInstanceOf(Error);
    expect([kept.length, kept[12345]]).toEqual([1 << 20, 7]);
  });
});
