// One table of values through every road a value takes between domains: each must arrive the
// same whichever road it took. Real worker threads: run `npm run build` first.
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { KnownError, makeValues } from "./fixtures/value-table.mjs";

const table = new URL("./fixtures/value-table.mjs", import.meta.url);
const task = <A extends unknown[], R>(name: string) => Eio.task<A, R>(table, name);
const values = makeValues() as [string, unknown][];

/** Classes that must arrive as themselves (a thread knows them by name). */
const keepClass = new Set<unknown>([
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError,
  Eio.Cancel.Cancelled, Eio.MultipleErrors, Eio.DomainCrashed, Eio.PoolClosed, Eio.SwitchFinished, Eio.DeadlockError, KnownError,
]);
const errorSlots = new Set(["name", "message", "stack", "cause", "errors"]);

/**
 * What a value is, as plain data that `toEqual` compares strictly: classes by name, errors by
 * every part, views by class, bytes and whether they own their buffer, shared references and
 * cycles by position.
 */
function shape(value: unknown, seen = new Map<object, number>(), original = false): unknown {
  const inner = (v: unknown) => shape(v, seen, original);
  if (typeof value === "bigint") return { bigint: String(value) };
  // An error's field that cannot be cloned arrives as a string that says what it was.
  if (typeof value === "function") return "[not cloneable: function]";
  if (value === undefined) return { undefined: true };
  if (typeof value === "number") return Number.isNaN(value) ? { nan: true } : Object.is(value, -0) ? { minusZero: true } : value;
  if (typeof value !== "object" || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return { ref: known };
  seen.set(value, seen.size);
  if (value instanceof Error) {
    const type = value.constructor;
    // A class nobody registered arrives as an Error that keeps its name.
    const className = keepClass.has(type) && !(type === Error && value.name !== "Error") ? type.name : "user class";
    const fields = Object.keys(value).filter((k) => !errorSlots.has(k)).sort();
    return {
      error: className,
      name: value.name,
      message: value.message,
      stack: value.stack,
      cause: "cause" in value ? inner(value.cause) : "no cause",
      errors: Array.isArray((value as AggregateError).errors) ? (value as AggregateError).errors.map((e) => inner(e)) : "no errors",
      fields: fields.map((k) => [k, inner((value as unknown as Record<string, unknown>)[k])]),
    };
  }
  if (ArrayBuffer.isView(value)) {
    const shared = value.buffer instanceof SharedArrayBuffer;
    return {
      view: value.constructor.name,
      bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex"),
      shared,
      // A view of ordinary memory crosses as its own bytes, not as the buffer around them.
      ownBytes: original || shared || (value.byteOffset === 0 && value.buffer.byteLength === value.byteLength),
    };
  }
  if (value instanceof SharedArrayBuffer) return { sharedArrayBuffer: value.byteLength };
  if (value instanceof ArrayBuffer) return { arrayBuffer: Buffer.from(value).toString("hex") };
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [inner(k), inner(v)]) };
  if (value instanceof Set) return { set: [...value].map((v) => inner(v)) };
  if (value instanceof Date) return { date: value.getTime() };
  if (value instanceof RegExp) return { regexp: String(value) };
  if (Array.isArray(value)) return { array: value.length, items: Object.keys(value).map((k) => [k, inner(value[Number(k)])]) };
  return {
    object: Object.getPrototypeOf(value) === Object.prototype ? "plain" : value.constructor?.name,
    fields: Object.keys(value).map((k) => [k, inner((value as Record<string, unknown>)[k])]),
  };
}

const expected = values.map(([, value]) => shape(value, new Map(), true));
const labelled = (got: unknown[]) => got.map((value, i) => [values[i]![0], value]);
const want = labelled(expected);

describe("a value arrives the same whichever road it took", () => {
  it("the table itself is what the test thinks it is (errors of every kind, bytes, holes, cycles)", () => {
    // Guards the shapes: a wrong shape() would let every road pass.
    expect(values.length).toBeGreaterThan(30);
    expect(shape(values.find(([l]) => l === "an array with holes")![1])).toEqual({ array: 5, items: [["0", 1], ["2", 3]] });
    expect(shape(values.find(([l]) => l === "a Buffer from the pool")![1])).toMatchObject({ view: "Buffer", ownBytes: false });
    expect(shape(new Uint8Array([1]))).toMatchObject({ view: "Uint8Array", ownBytes: true });
    expect(shape(new Error("x"))).not.toEqual(shape(new TypeError("x")));
  });

  it("as a job's argument and back as its result (DomainManager.run)", async () => {
    const got: unknown[] = await Eio.run(function* (env) {
      const out: unknown[] = [];
      for (const [, value] of values) out.push(yield* Eio.DomainManager.run(env.domainMgr, task<[unknown], unknown>("echo"), value));
      return out;
    });
    expect(labelled(got.map((v) => shape(v)))).toEqual(want);
  });

  it("as a job's result, made in the domain", async () => {
    const got: unknown[] = await Eio.run(function* (env) {
      const out: unknown[] = [];
      for (let i = 0; i < values.length; i++) out.push(yield* Eio.DomainManager.run(env.domainMgr, task<[number], unknown>("make"), i));
      return out;
    });
    expect(labelled(got.map((v) => shape(v)))).toEqual(want);
  });

  it("as an executor pool job's argument and result", async () => {
    const got: unknown[] = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const pool = Eio.ExecutorPool.create(sw, env.domainMgr, { domainCount: 1 });
        const out: unknown[] = [];
        for (const [, value] of values) out.push(yield* Eio.ExecutorPool.submitExn(pool, { weight: 0.5 }, task<[unknown], unknown>("echo"), value));
        return out;
      });
    });
    expect(labelled(got.map((v) => shape(v)))).toEqual(want);
  });

  it("thrown by a job", async () => {
    const errors = values.map(([, v], i) => [v, i] as const).filter(([v]) => v instanceof Error);
    expect(errors.length).toBeGreaterThan(15);
    const got: unknown[] = await Eio.run(function* (env) {
      const out: unknown[] = [];
      for (const [, i] of errors) {
        try {
          yield* Eio.DomainManager.run(env.domainMgr, task<[number], never>("throwIt"), i);
          out.push("did not throw");
        } catch (error) {
          out.push(error);
        }
      }
      return out;
    });
    expect(got.map((v) => shape(v))).toEqual(errors.map(([, i]) => expected[i]));
  });

  it("as a shared stream's items, to a domain and back", async () => {
    const got: unknown[] = await Eio.run(function* (env) {
      const input = Eio.Stream.create<unknown>(4, { shared: true });
      const output = Eio.Stream.create<unknown>(4, { shared: true });
      return yield* Eio.Switch.run(function* (sw) {
        Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown, unknown, number], void>("relay"), input, output, values.length));
        const out: unknown[] = [];
        for (const [, value] of values) {
          yield* Eio.Stream.add(input, value);
          out.push(yield* Eio.Stream.take(output));
        }
        return out;
      });
    });
    expect(labelled(got.map((v) => shape(v)))).toEqual(want);
  });

  it("as a shared stream's items, made in the domain", async () => {
    const got: unknown[] = await Eio.run(function* (env) {
      const output = Eio.Stream.create<unknown>(2, { shared: true });
      return yield* Eio.Switch.run(function* (sw) {
        Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown], void>("produce"), output));
        const out: unknown[] = [];
        for (let i = 0; i < values.length; i++) out.push(yield* Eio.Stream.take(output));
        return out;
      });
    });
    expect(labelled(got.map((v) => shape(v)))).toEqual(want);
  });

  it("as a shared promise's value, resolved in the domain", async () => {
    const got: unknown[] = await Eio.run(function* (env) {
      const out: unknown[] = [];
      for (let i = 0; i < values.length; i++) {
        const [promise, resolver] = Eio.Promise.create<unknown>({ shared: true });
        yield* Eio.DomainManager.run(env.domainMgr, task<[unknown, number], void>("resolveWith"), resolver, i);
        out.push(yield* Eio.Promise.await(promise));
      }
      return out;
    });
    expect(labelled(got.map((v) => shape(v)))).toEqual(want);
  });

  it("as a shared promise's value, resolved here and awaited in the domain", async () => {
    const got: unknown[] = await Eio.run(function* (env) {
      const pairs = values.map(() => Eio.Promise.create<unknown>({ shared: true }));
      const output = Eio.Stream.create<unknown>(values.length, { shared: true });
      values.forEach(([, value], i) => Eio.Promise.resolve(pairs[i]![1], value));
      yield* Eio.DomainManager.run(env.domainMgr, task<[unknown[], unknown], void>("awaitAndRelay"), pairs.map(([p]) => p), output);
      const out: unknown[] = [];
      for (let i = 0; i < values.length; i++) out.push(yield* Eio.Stream.take(output));
      return out;
    });
    expect(labelled(got.map((v) => shape(v)))).toEqual(want);
  });
});

describe("what only some values can show", () => {
  it("a registered class keeps instanceof, an unregistered one keeps its name and fields, MultipleErrors keeps its errors", async () => {
    const [known, unknown, multiple] = await Eio.run<unknown[]>(function* (env) {
      const make = task<[number], unknown>("make");
      const index = (label: string) => values.findIndex(([l]) => l === label);
      return [
        yield* Eio.DomainManager.run(env.domainMgr, make, index("a registered user error with a code")),
        yield* Eio.DomainManager.run(env.domainMgr, make, index("an unregistered user error with fields")),
        yield* Eio.DomainManager.run(env.domainMgr, make, index("MultipleErrors")),
      ];
    });
    expect(known).toBeInstanceOf(KnownError);
    expect((known as KnownError).code).toBe("E_NOT_FOUND");
    expect((known as Error).cause).toBeInstanceOf(RangeError);
    expect(unknown).toBeInstanceOf(Error);
    expect((unknown as Error).name).toBe("UnknownError");
    expect((unknown as { code: string }).code).toBe("E_UNKNOWN");
    expect((unknown as { details: { when: Date } }).details.when).toBeInstanceOf(Date);
    expect(multiple).toBeInstanceOf(Eio.MultipleErrors);
    expect((multiple as Eio.MultipleErrors).errors[1]).toBeInstanceOf(KnownError);
  });

  it("a SharedArrayBuffer and views of it stay shared on every road, one buffer per value", async () => {
    const memory = new SharedArrayBuffer(16);
    const value = { memory, words: new Int32Array(memory), bytes: new Uint8Array(memory, 4, 4) };
    const roads = await Eio.run<(typeof value)[]>(function* (env) {
      const echo = task<[typeof value], typeof value>("echo");
      const byJob = yield* Eio.DomainManager.run(env.domainMgr, echo, value);
      const input = Eio.Stream.create<typeof value>(1, { shared: true });
      const output = Eio.Stream.create<typeof value>(1, { shared: true });
      const byStream = yield* Eio.Switch.run(function* (sw) {
        Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown, unknown, number], void>("relay"), input, output, 1));
        yield* Eio.Stream.add(input, value);
        return yield* Eio.Stream.take(output);
      });
      const [promise, resolver] = Eio.Promise.create<typeof value>({ shared: true });
      Eio.Promise.resolve(resolver, value);
      const relayed = Eio.Stream.create<typeof value>(1, { shared: true });
      yield* Eio.DomainManager.run(env.domainMgr, task<[unknown[], unknown], void>("awaitAndRelay"), [promise], relayed);
      return [byJob, byStream, yield* Eio.Stream.take(relayed)];
    });
    roads.forEach((got, road) => {
      // The same memory (a SharedArrayBuffer object per thread, as postMessage gives), one per value.
      expect(got.memory).toBeInstanceOf(SharedArrayBuffer);
      expect(got.words.buffer).toBe(got.memory);
      expect(got.bytes.buffer).toBe(got.memory);
      expect(got.bytes.byteOffset).toBe(4);
      Atomics.store(got.words, 0, road + 1);
      expect(Atomics.load(value.words, 0)).toBe(road + 1);
    });
  });

  it("shared handles nested anywhere arrive live, the same object named twice as one handle, on every road", async () => {
    const arrived = await Eio.run<string[]>(function* (env) {
      const stream = Eio.Stream.create<string>(4, { shared: true });
      const [promise, resolver] = Eio.Promise.create<string>({ shared: true });
      const value = { list: [stream, new Map([["p", promise]])], again: stream, error: new Error("with a handle", { cause: { stream } }) };
      type Value = typeof value;
      const echo = task<[Value], Value>("echo");
      const byJob = yield* Eio.DomainManager.run(env.domainMgr, echo, value);
      const input = Eio.Stream.create<Value>(1, { shared: true });
      const output = Eio.Stream.create<Value>(1, { shared: true });
      const byStream = yield* Eio.Switch.run(function* (sw) {
        Eio.Fiber.fork(sw, () => Eio.DomainManager.run(env.domainMgr, task<[unknown, unknown, number], void>("relay"), input, output, 1));
        yield* Eio.Stream.add(input, value);
        return yield* Eio.Stream.take(output);
      });
      const [boxed, boxResolver] = Eio.Promise.create<Value>({ shared: true });
      Eio.Promise.resolve(boxResolver, value);
      const relayed = Eio.Stream.create<Value>(1, { shared: true });
      yield* Eio.DomainManager.run(env.domainMgr, task<[unknown[], unknown], void>("awaitAndRelay"), [boxed], relayed);
      const byPromise = yield* Eio.Stream.take(relayed);
      const out: string[] = [];
      Eio.Promise.resolve(resolver, "resolved once");
      for (const got of [byJob, byStream, byPromise] as Value[]) {
        const gotStream = got.list[0] as Eio.Stream.Stream<string>;
        out.push(`same handle twice: ${gotStream === got.again}, in the cause: ${(got.error.cause as { stream: unknown }).stream === gotStream}`);
        // Live: what goes in through the arrived handle comes out of the original, and back.
        yield* Eio.Stream.add(gotStream, "through the arrived handle");
        out.push(yield* Eio.Stream.take(stream));
        out.push(yield* Eio.Promise.await((got.list[1] as Map<string, Eio.Promise.Promise<string>>).get("p")!));
      }
      return out;
    });
    expect(arrived).toEqual(Array.from({ length: 3 }, () => ["same handle twice: true, in the cause: true", "through the arrived handle", "resolved once"]).flat());
  });

  it("a value that cannot be cloned fails the operation with a TypeError, and the domain goes on", async () => {
    const result = await Eio.run<unknown[]>(function* (env) {
      const echo = task<[unknown], unknown>("echo");
      let error: unknown;
      try {
        yield* Eio.DomainManager.run(env.domainMgr, echo, { callback: () => 1 });
      } catch (e) {
        error = e;
      }
      return [error, yield* Eio.DomainManager.run(env.domainMgr, echo, "still fine")];
    });
    expect(result[0]).toBeInstanceOf(TypeError);
    expect(result[1]).toBe("still fine");
  });
});
