import * as fs from "node:fs";
import * as path from "node:path";
import * as Eio from "eio-ts";
import { describe, expect, it } from "vitest";
import * as Connection from "../src/connection.js";
import * as Log from "../src/log.js";
import * as Session from "../src/session.js";
import * as Storage from "../src/storage.js";
import * as Store from "../src/store.js";
import { decodeReplies, encodeCommand, type Reply } from "./reply.js";
import { tempDirs } from "./temp-dirs.js";

const tempDir = tempDirs("kv-store-");

/** The keys a fresh replay of the log on disk would have, right now. */
function keysOnDisk(dir: string): string[] {
  const keys = new Set<string>();
  Log.replay(fs.readFileSync(path.join(dir, Storage.LOG_NAME)), (r) => {
    if (r.op === "set") keys.add(r.key.toString());
  });
  return [...keys].sort();
}

/** A channel that hands out `chunks` one read at a time and records what is written. */
function scriptedChannel(chunks: Buffer[]) {
  const written: Buffer[] = [];
  const channel: Connection.Channel = {
    *read() {
      yield* Eio.Fiber.yield();
      return chunks.shift() ?? null;
    },
    *write(bytes) {
      written.push(Buffer.from(bytes));
    },
  };
  return { channel, replies: () => decodeReplies(Buffer.concat(written)).replies };
}

const server = { port: 0, dir: "", startedAt: Date.now() };

describe("Store and Connection in one domain", () => {
  it("answers pipelined commands in order, local ones included", async () => {
    const dir = tempDir();
    const input = Buffer.concat([
      encodeCommand("SET", "a", "1"), encodeCommand("PING"), encodeCommand("INCR", "a"),
      encodeCommand("GET", "a"), encodeCommand("ECHO", "x"),
    ]);
    const { channel, replies } = scriptedChannel([input.subarray(0, 7), input.subarray(7)]);
    await Eio.run(function* (env) {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { fs: env.fs }),
        () => Connection.serve(channel, Session.create(server), (commands) => Store.submit(queue, commands)),
      );
    });
    expect(replies()).toEqual(["OK", "PONG", 2, "2", "x"]);
  });

  it("closes the connection after a protocol error, answering what came before", async () => {
    const dir = tempDir();
    const { channel, replies } = scriptedChannel([Buffer.concat([encodeCommand("SET", "a", "1"), Buffer.from("*x\r\n"), encodeCommand("PING")])]);
    await Eio.run(function* (env) {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { fs: env.fs }),
        () => Connection.serve(channel, Session.create(server), (commands) => Store.submit(queue, commands)),
      );
    });
    expect(replies()).toEqual(["OK", { error: "ERR Protocol error: invalid multibulk length" }]);
  });

  it("acknowledges a write only once it is in the log on disk", async () => {
    const dir = tempDir();
    const seen: string[][] = [];
    await Eio.run(function* (env) {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { fs: env.fs }),
        function* () {
          for (let i = 0; i < 5; i++) {
            const reply = yield* Store.submit(queue, [[Buffer.from("SET"), Buffer.from(`k${i}`), Buffer.from("v")]]);
            expect(decodeReplies(Buffer.from(reply)).replies).toEqual(["OK"]);
            seen.push(keysOnDisk(dir));
          }
        },
      );
    });
    expect(seen).toEqual([["k0"], ["k0", "k1"], ["k0", "k1", "k2"], ["k0", "k1", "k2", "k3"], ["k0", "k1", "k2", "k3", "k4"]]);
  });

  it("commits requests queued together with one fsync (group commit)", async () => {
    const dir = tempDir();
    let store: Storage.Store | undefined;
    const replies: Reply[][] = [];
    await Eio.run(function* (env) {
      const queue = Eio.Stream.create<Store.Request>(64);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { fs: env.fs, onReady: (s) => (store = s) }),
        () =>
          Eio.Fiber.all(
            Array.from({ length: 20 }, (_, i) => function* () {
              const reply = yield* Store.submit(queue, [[Buffer.from("SET"), Buffer.from(`k${i}`), Buffer.from("v")]]);
              replies.push(decodeReplies(Buffer.from(reply)).replies);
            }),
          ),
      );
    });
    expect(replies).toEqual(Array.from({ length: 20 }, () => ["OK"]));
    expect(store!.stats.commits).toBeGreaterThan(0);
    expect(store!.stats.commits).toBeLessThan(20);
    expect(keysOnDisk(dir)).toHaveLength(20);
  });
});

describe("the storage loop's background rewrite and INFO", () => {
  const cmd = (...args: string[]) => args.map((a) => Buffer.from(a));

  it.each(["always", "everysec", "no"] as const)("commits and answers while a rewrite is under way, and the new log has every write (appendfsync %s)", async (appendfsync) => {
    const dir = tempDir();
    let store: Storage.Store | undefined;
    const answeredDuringRewrite: number[] = [];
    await Eio.run(function* (env) {
      const queue = Eio.Stream.create<Store.Request>(64);
      const options = { compactBytes: 200_000, rewriteSliceBytes: 1024, appendfsync, clock: env.monoClock };
      // Slices of 1 KiB: a rewrite of this table takes 150 slices, each a write on libuv's pool.
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { fs: env.fs, ...options, onReady: (s) => (store = s), log: () => {} }),
        function* () {
          const value = "v".repeat(1000);
          // The store is ready (onReady) once the first request is answered.
          for (let i = 0; i < 5000 && (store === undefined || !Storage.rewriting(store)); i++) yield* Store.submit(queue, [cmd("SET", `key${i % 150}`, value)]);
          for (let i = 0; Storage.rewriting(store!); i++) {
            // A client's next request comes from a socket, through Node's event loop, which also
            // brings the rewrite's writes back: without an fsync to wait for (everysec, no), a
            // loop of submits alone would never let them in.
            if (appendfsync !== "always") yield* Eio.Fiber.awaitNative(new Promise((resolve) => setImmediate(resolve)));
            const reply = yield* Store.submit(queue, [cmd("SET", `during${i}`, String(i))]);
            expect(decodeReplies(Buffer.from(reply)).replies).toEqual(["OK"]);
            if (Storage.rewriting(store!)) answeredDuringRewrite.push(i);
          }
        },
      );
    });
    // A rewrite that blocked the loop would never be seen in progress between two replies.
    expect(answeredDuringRewrite.length).toBeGreaterThanOrEqual(1);
    expect(store!.stats.compactions).toBe(1);
    await Eio.run((env) =>
      Eio.Switch.run(function* (sw): Eio.Operation<void> {
        const reopened = yield* Storage.open(sw, Eio.Path.join(env.fs, dir));
        try {
          for (const i of answeredDuringRewrite) expect(reopened.table.entries.get(`during${i}`)?.value.toString()).toBe(String(i));
          expect(reopened.table.entries.size).toBe(150 + answeredDuringRewrite.length + 1);
          // The live keys' records (1 KiB values, small ones for the rest), not the 200 KB written before.
          expect(Storage.logSize(reopened)).toBeLessThan(150 * 1100 + 100 * (answeredDuringRewrite.length + 1));
        } finally {
          yield* Storage.close(reopened);
        }
      }),
    );
  });

  it("INFO reports the keyspace, changes, clients and hits from the store itself", async () => {
    const dir = tempDir();
    const clients = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(clients, 0, 3);
    let info = "";
    let keyspace = "";
    await Eio.run(function* (env) {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { fs: env.fs, clients, port: 7777 }),
        function* () {
          yield* Store.submit(queue, [cmd("SET", "a", "1"), cmd("SET", "b", "2", "EX", "100"), cmd("INCR", "a"), cmd("GET", "a"), cmd("GET", "nope"), cmd("DEL", "nope")]);
          info = decodeReplies(Buffer.from(yield* Store.submit(queue, [cmd("INFO")]))).replies[0] as string;
          keyspace = decodeReplies(Buffer.from(yield* Store.submit(queue, [cmd("INFO", "KEYSPACE")]))).replies[0] as string;
        },
      );
    });
    const fields = Object.fromEntries(info.split("\r\n").filter((line) => line.includes(":")).map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]));
    expect(fields).toMatchObject({
      redis_version: "7.0.0", role: "master", tcp_port: "7777", connected_clients: "3", rdb_changes_since_last_save: "3",
      keyspace_hits: "1", keyspace_misses: "1", total_commands_processed: "6", aof_enabled: "1", aof_rewrite_in_progress: "0",
      aof_last_bgrewrite_status: "ok", aof_last_write_status: "ok",
    });
    expect(fields["db0"]).toMatch(/^keys=2,expires=1,avg_ttl=(99\d{3}|100000)$/);
    expect(info.startsWith("# Server\r\n")).toBe(true);
    expect(keyspace).toMatch(/^# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d+\r\n$/);
  });
});

describe("replies too large to build", () => {
  it("fail only the largest replies of the request, with an error; the commands ran and the loop goes on", async () => {
    const dir = tempDir();
    let replies: Reply[] = [];
    let after: Reply[] = [];
    const cmd = (...args: string[]) => args.map((a) => Buffer.from(a));
    await Eio.run(function* (env) {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { fs: env.fs, maxReplyBytes: 1500 }),
        function* () {
          const reply = yield* Store.submit(queue, [cmd("SET", "a", "x".repeat(1000)), cmd("SET", "b", "y".repeat(900)), cmd("GET", "a"), cmd("GET", "b"), cmd("DBSIZE")]);
          replies = decodeReplies(Buffer.from(reply)).replies;
          after = decodeReplies(Buffer.from(yield* Store.submit(queue, [cmd("GET", "b")]))).replies;
        },
      );
    });
    expect(replies).toEqual(["OK", "OK", { error: expect.stringMatching(/^ERR reply too large to send: 1009 bytes, with 1931 in this request \(the most is 1500\)$/) }, "y".repeat(900), 2]);
    expect(after).toEqual(["y".repeat(900)]);
  });
});
