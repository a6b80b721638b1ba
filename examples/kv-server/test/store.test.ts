import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as Eio from "eio-ts";
import { afterEach, describe, expect, it } from "vitest";
import * as Connection from "../src/connection.js";
import * as Log from "../src/log.js";
import * as Session from "../src/session.js";
import * as Storage from "../src/storage.js";
import * as Store from "../src/store.js";
import { decodeReplies, encodeCommand, type Reply } from "./reply.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-store-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

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
    await Eio.run(function* () {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir),
        () => Connection.serve(channel, Session.create(server), (commands) => Store.submit(queue, commands)),
      );
    });
    expect(replies()).toEqual(["OK", "PONG", 2, "2", "x"]);
  });

  it("closes the connection after a protocol error, answering what came before", async () => {
    const dir = tempDir();
    const { channel, replies } = scriptedChannel([Buffer.concat([encodeCommand("SET", "a", "1"), Buffer.from("*x\r\n"), encodeCommand("PING")])]);
    await Eio.run(function* () {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir),
        () => Connection.serve(channel, Session.create(server), (commands) => Store.submit(queue, commands)),
      );
    });
    expect(replies()).toEqual(["OK", { error: "ERR Protocol error: invalid multibulk length" }]);
  });

  it("acknowledges a write only once it is in the log on disk", async () => {
    const dir = tempDir();
    const seen: string[][] = [];
    await Eio.run(function* () {
      const queue = Eio.Stream.create<Store.Request>(16);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir),
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
    await Eio.run(function* () {
      const queue = Eio.Stream.create<Store.Request>(64);
      yield* Eio.Fiber.first(
        () => Store.serve(queue, dir, { onReady: (s) => (store = s) }),
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
