// Gathering (gather.ts): several clients' requests of one turn cross to the store as one item.
// Each client must get its own replies, in order, and a failure of one request (an error
// reply, a reply over its limit, its fiber cancelled) must be its own. FC_SEED replays a
// failure of the property test (see test/support/fc.ts).
import * as Eio from "eio-ts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Gather from "../src/gather.js";
import type * as Storage from "../src/storage.js";
import * as Store from "../src/store.js";
import * as Table from "../src/table.js";
import { assertProperty } from "../../../test/support/fc.js";
import { decodeReplies, type Reply } from "./reply.js";
import { tempDirs } from "./temp-dirs.js";

const tempDir = tempDirs("kv-gather-");

const cmd = (...args: string[]): Buffer[] => args.map((a) => Buffer.from(a));
const decode = (reply: Uint8Array): Reply[] => decodeReplies(Buffer.from(reply)).replies;

/**
 * Runs a store on a shared queue and `body` beside it, with a gatherer on the queue; returns
 * what `body` returned and the store.
 */
async function withStore<T>(body: (gatherer: Gather.Gatherer) => Eio.Operation<T>): Promise<{ result: T; store: Storage.Store }> {
  const dir = tempDir();
  let store: Storage.Store | undefined;
  let result: T | undefined;
  await Eio.run(function* (env) {
    const queue: Store.Queue = Eio.Stream.create<Store.Request>(64, { shared: true });
    const gatherer = Gather.create(queue);
    yield* Eio.Fiber.first(
      () => Store.serve(queue, dir, { fs: env.fs, onReady: (s) => (store = s) }),
      function* () {
        result = yield* body(gatherer);
      },
    );
  });
  return { result: result as T, store: store! };
}

/** One client's script: its own key, so its replies do not depend on the others'. */
interface Script {
  commands: Buffer[][];
  expected: Reply[];
}

/** SET, APPEND, GET and STRLEN on `key`, `n` commands, values of `size` bytes; with KEYS if `keys`. */
function script(key: string, n: number, size: number, keys: boolean): Script {
  const commands: Buffer[][] = [];
  const expected: Reply[] = [];
  let value: string | null = null;
  for (let i = 0; i < n; i++) {
    const part = String.fromCharCode(97 + ((i + key.length) % 26)).repeat(size);
    switch (i % 4) {
      case 0:
        commands.push(cmd("SET", key, part));
        expected.push("OK");
        value = part;
        break;
      case 1:
        commands.push(cmd("APPEND", key, part));
        value = (value ?? "") + part;
        expected.push(value.length);
        break;
      case 2:
        commands.push(cmd("GET", key));
        expected.push(value);
        break;
      case 3:
        commands.push(cmd("STRLEN", key));
        expected.push(value?.length ?? 0);
        break;
    }
  }
  if (keys) {
    commands.push(cmd("KEYS", key));
    expected.push(value === null ? [] : [key]);
  }
  return { commands, expected };
}

describe("Gather", () => {
  it("sends a turn's short requests as one item, and each client gets its own replies in order", async () => {
    const clients = Array.from({ length: 30 }, (_, i) => script(`key:${i}`, 1 + (i % 7), 3, false));
    const { result, store } = await withStore(function* (gatherer) {
      const replies: Reply[][] = new Array(clients.length);
      yield* Eio.Fiber.all(clients.map((client, i) => function* () {
        replies[i] = decode(yield* Gather.submit(gatherer, client.commands));
      }));
      return { replies, stats: { ...gatherer.stats } };
    });
    expect(result.replies).toEqual(clients.map((c) => c.expected));
    expect(result.stats).toEqual({ items: 1, requests: 30 });
    expect(store.stats.commits).toBe(1);
  });

  it("gives any mix of requests, gathered or alone, each its own replies", async () => {
    const client = fc.record({ n: fc.integer({ min: 1, max: 12 }), size: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 300, max: 3000 })), keys: fc.boolean() });
    await assertProperty(
      fc.asyncProperty(fc.array(client, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3 }), async (specs, rounds) => {
        const { result } = await withStore(function* (gatherer) {
          const all: { replies: Reply[]; expected: Reply[] }[] = [];
          for (let round = 0; round < rounds; round++) {
            const scripts = specs.map((s, i) => script(`r${round}:c${i}`, s.n, s.size, s.keys));
            yield* Eio.Fiber.all(scripts.map((s) => function* () {
              all.push({ replies: decode(yield* Gather.submit(gatherer, s.commands)), expected: s.expected });
            }));
          }
          return all;
        });
        for (const { replies, expected } of result) expect(replies).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it("a request's error reply, or its replies over its limit, are its own", async () => {
    const { result } = await withStore(function* (gatherer) {
      yield* Gather.submit(gatherer, [cmd("SET", "big", "x".repeat(200)), cmd("RPUSH", "list", "a")]);
      const replies: Reply[][] = [];
      const raw: Uint8Array[] = [];
      yield* Eio.Fiber.all([
        function* () {
          raw[0] = yield* Gather.submit(gatherer, [cmd("SET", "a", "1"), cmd("GET", "a")]);
        },
        function* () {
          // Over its limit: answered empty (the connection closes), its later commands not run.
          raw[1] = yield* Gather.submit(gatherer, [cmd("GET", "big"), cmd("SET", "not-run", "1")], 50);
        },
        function* () {
          raw[2] = yield* Gather.submit(gatherer, [cmd("GET", "list"), cmd("INCR", "b")]);
        },
        function* () {
          raw[3] = yield* Gather.submit(gatherer, [cmd("EXISTS", "not-run"), cmd("GET", "big")], 1000);
        },
      ]);
      for (const reply of raw) replies.push(decode(reply));
      return { replies, rawLengths: raw.map((r) => r.length), items: gatherer.stats.items };
    });
    expect(result.rawLengths[1]).toBe(0);
    expect(result.replies).toEqual([
      ["OK", "1"],
      [],
      [{ error: "WRONGTYPE Operation against a key holding the wrong kind of value" }, 1],
      [0, "x".repeat(200)],
    ]);
    // The first request, then the four of one turn as one item.
    expect(result.items).toBe(2);
  });

  it("a cancelled member or leader fails no one else: the group is sent and answered", async () => {
    const { result, store } = await withStore(function* (gatherer) {
      const replies: (Reply[] | "cancelled")[] = [];
      const cancelledOne = (commands: Buffer[][], at: number) => function* () {
        // `first` cancels the submit as soon as the other branch returns, in this very turn.
        const outcome = yield* Eio.Fiber.first(
          function* () {
            yield* Gather.submit(gatherer, commands);
            return "answered" as const;
          },
          function* () {
            return "cancelled" as const;
          },
        );
        replies[at] = outcome === "cancelled" ? "cancelled" : ["unexpected"];
      };
      yield* Eio.Fiber.all([
        cancelledOne([cmd("SET", "leader", "1")], 0),
        function* () {
          replies[1] = decode(yield* Gather.submit(gatherer, [cmd("SET", "m1", "1"), cmd("GET", "m1")]));
        },
        cancelledOne([cmd("SET", "member", "2")], 2),
        function* () {
          replies[3] = decode(yield* Gather.submit(gatherer, [cmd("INCR", "m3")]));
        },
      ]);
      return { replies, stats: { ...gatherer.stats } };
    });
    expect(result.replies).toEqual(["cancelled", ["OK", "1"], "cancelled", [1]]);
    expect(result.stats).toEqual({ items: 1, requests: 4 });
    // The cancelled requests were sent with the group, and committed with it.
    expect(Buffer.from(Table.lookup(store.table, "leader", Date.now())!.value as Uint8Array).toString()).toBe("1");
    expect(Buffer.from(Table.lookup(store.table, "member", Date.now())!.value as Uint8Array).toString()).toBe("2");
  });

  it("a group whose reply cannot be split fails each of its requests with that error, none waits for ever", async () => {
    const seen: string[] = [];
    await Eio.run(function* () {
      const queue: Store.Queue = Eio.Stream.create<Store.Request>(4, { shared: true });
      const gatherer = Gather.create(queue);
      yield* Eio.Fiber.both(
        () => Eio.Fiber.all([0, 1, 2].map((i) => function* () {
          try {
            yield* Gather.submit(gatherer, [cmd("GET", `k${i}`)]);
            seen.push("answered");
          } catch (error) {
            seen.push(error instanceof Error ? error.message : String(error));
          }
        })),
        function* () {
          // A store that answers the group with bytes that are no joined replies.
          const item = yield* Eio.Stream.take(queue);
          Eio.Promise.resolve(item.resolver, Buffer.from("+OK\r\n"));
        },
      );
    });
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toMatch(/^Frame.splitReplies: /);
  });
});

describe("Store.serve with frames", () => {
  it("keeps copies of the elements of a collection, not views of the frame", async () => {
    const { store } = await withStore(function* (gatherer) {
      yield* Gather.submit(gatherer, [cmd("RPUSH", "l", "a", "bb"), cmd("HSET", "h", "f", "v"), cmd("LPUSH", "l", "c"), cmd("LINSERT", "l", "BEFORE", "a", "d"), cmd("LSET", "l", "0", "e")]);
    });
    const list = Table.lookup(store.table, "l", Date.now())!.value as unknown as { slice(a: number, b: number): Buffer[]; length: number };
    const items = list.slice(0, list.length);
    expect(items.map((b) => b.toString())).toEqual(["e", "d", "a", "bb"]);
    for (const item of items) expect(item.buffer.byteLength).toBe(item.length);
    const hash = Table.lookup(store.table, "h", Date.now())!.value as unknown as { fields: Map<string, Buffer> };
    expect(hash.fields.get("f")!.buffer.byteLength).toBe(1);
  });
});
