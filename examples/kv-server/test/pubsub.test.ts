// Pub/sub on the built server: every reply and message compared with Debian's redis-server 7.0
// started beside it; subscribers and publishers served by different domains; a subscriber
// that stops reading is dropped at the output buffer limit while its publisher goes on being
// answered, as Redis does; and the hub's limits, checked directly.
import * as Eio from "eio-ts";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertProperty } from "../../../test/support/fc.js";
import * as PubSub from "../src/pubsub.js";
import type { Reply } from "./reply.js";
import { Connection, runScript, type Step } from "./script.js";
import { besideRedis, bothRun, newDir, SHAPES, startRedis, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

const s = (on: string, ...command: string[]): Step => ({ on, command });
/** `on` runs `command`, then each of `readers` is read up to a PING of its own. */
const r = (readers: string[], on: string, ...command: string[]): Step => ({ on, command, sync: readers });

const SCENARIOS: Record<string, Step[]> = {
  "subscribe confirmations, message and pmessage shapes, PUBLISH's count": [
    s("a", "SUBSCRIBE", "c1", "c2", "c1"), s("a", "PSUBSCRIBE", "c?", "news.*"), s("b", "SUBSCRIBE", "c1"),
    r(["a", "b"], "p", "PUBLISH", "c1", "hello"), r(["a", "b"], "p", "PUBLISH", "cx", "to a pattern"),
    r(["a", "b"], "p", "PUBLISH", "news.sport", "binary \u0000\r\n bytes"), r(["a", "b"], "p", "PUBLISH", "nobody", "x"),
    r(["a"], "p", "PUBLISH", "c2", ""),
  ],
  "UNSUBSCRIBE and PUNSUBSCRIBE, with and without names, and back to normal commands": [
    s("a", "SUBSCRIBE", "c1", "c2"), s("a", "PSUBSCRIBE", "p*"), s("a", "UNSUBSCRIBE", "c1", "never"), s("a", "PUNSUBSCRIBE", "q*"),
    r(["a"], "p", "PUBLISH", "c1", "gone"), r(["a"], "p", "PUBLISH", "c2", "still"), s("a", "UNSUBSCRIBE"), s("a", "UNSUBSCRIBE"),
    r(["a"], "p", "PUBLISH", "pattern", "still"), s("a", "PUNSUBSCRIBE"), s("a", "PUNSUBSCRIBE"), s("a", "SET", "k", "v"), s("a", "GET", "k"),
    s("n", "UNSUBSCRIBE", "x", "y"), s("n", "PUNSUBSCRIBE"), s("n", "GET", "k"),
  ],
  "the commands a RESP2 subscriber may send, and Redis's error for the others": [
    s("a", "SUBSCRIBE", "c"), s("a", "GET", "k"), s("a", "SET", "k", "v"), s("a", "CLIENT", "ID"), s("a", "MULTI"),
    s("a", "PUBLISH", "c", "x"), s("a", "PUBSUB", "NUMPAT"), s("a", "PING"), s("a", "PING", "hello"), s("a", "PING", "a", "b"),
    s("a", "NOSUCHCOMMAND"), s("a", "SUBSCRIBE"), s("a", "ECHO", "x"), s("a", "WATCH", "k"), s("a", "EXEC"),
    s("a", "UNSUBSCRIBE"), s("a", "PING"), s("a", "ECHO", "free again"),
  ],
  "PUBSUB CHANNELS, NUMSUB and NUMPAT, and their errors": [
    s("a", "SUBSCRIBE", "news.1", "news.2", "other"), s("b", "SUBSCRIBE", "news.1"), s("c", "PSUBSCRIBE", "news.*", "x"), s("d", "PSUBSCRIBE", "x"),
    { on: "p", command: ["PUBSUB", "CHANNELS"], unordered: true }, { on: "p", command: ["PUBSUB", "CHANNELS", "news.*"], unordered: true },
    s("p", "PUBSUB", "CHANNELS", "nothing*"), s("p", "PUBSUB", "NUMSUB", "news.1", "other", "none"), s("p", "PUBSUB", "NUMSUB"),
    s("p", "PUBSUB", "NUMPAT"), s("p", "PUBSUB"), s("p", "PUBSUB", "NOSUCH"), s("p", "PUBSUB", "NUMPAT", "extra"),
    s("p", "PUBSUB", "CHANNELS", "a", "b"), s("p", "PUBLISH", "c"), s("p", "PUBSUB", "SHARDCHANNELS"), s("p", "PUBSUB", "SHARDNUMSUB", "x"),
    s("b", "UNSUBSCRIBE"), s("p", "PUBSUB", "NUMSUB", "news.1"), s("d", "QUIT"), s("p", "PUBSUB", "NUMPAT"),
  ],
  "PUBLISH inside a transaction, and SUBSCRIBE run by EXEC": [
    s("a", "SUBSCRIBE", "t"), s("p", "MULTI"), s("p", "PUBLISH", "t", "one"), s("p", "SET", "k", "1"), s("p", "PUBLISH", "t", "two"),
    r(["a"], "p", "EXEC"), s("q", "MULTI"), s("q", "SUBSCRIBE", "u"), s("q", "EXEC"), r(["q"], "p", "PUBLISH", "u", "after exec"),
    s("q", "GET", "k"), s("q", "UNSUBSCRIBE"), s("q", "GET", "k"),
  ],
};

describe.each(SHAPES)("pub/sub, compared with redis-server 7.0 (kv-server %s)", (_shape, shapeArgs) => {
  const pair = besideRedis(shapeArgs);

  it.each(Object.entries(SCENARIOS))("%s", async (_name, steps) => {
    const [ours, theirs] = await bothRun(pair, steps);
    expect(ours).toEqual(theirs);
  });

  it("random sequences of three clients subscribing, publishing and leaving get redis-server's bytes", async () => {
    const channel = fc.constantFrom("c1", "c2", "d1");
    const pattern = fc.constantFrom("c*", "?1", "[cd]2");
    const command: fc.Arbitrary<string[]> = fc.oneof(
      { arbitrary: fc.array(channel, { minLength: 1, maxLength: 2 }).map((names) => ["SUBSCRIBE", ...names]), weight: 4 },
      { arbitrary: fc.array(channel, { maxLength: 2 }).map((names) => ["UNSUBSCRIBE", ...names]), weight: 2 },
      { arbitrary: fc.array(pattern, { minLength: 1, maxLength: 2 }).map((names) => ["PSUBSCRIBE", ...names]), weight: 3 },
      { arbitrary: fc.array(pattern, { maxLength: 2 }).map((names) => ["PUNSUBSCRIBE", ...names]), weight: 2 },
      { arbitrary: fc.tuple(channel, fc.constantFrom("hi", "")).map(([c, m]) => ["PUBLISH", c, m]), weight: 6 },
      { arbitrary: fc.constantFrom<string[]>(["PUBSUB", "NUMSUB", "c1", "d1"], ["PUBSUB", "NUMPAT"], ["PING"], ["GET", "k"], ["PUBSUB", "CHANNELS"]), weight: 2 },
    );
    // Leaving every channel: Redis goes through them in its hash table's order, so the names
    // are compared as a set, the counts (one fewer each time) as a list.
    const leavingAll = (replies: Reply[]) => replies.map((reply) => (Array.isArray(reply) && reply.length === 3 ? [reply[0], reply[2]] : reply))
      .concat([replies.flatMap((reply) => (Array.isArray(reply) && reply.length === 3 ? [reply[1]!] : [])).sort() as Reply]);
    const step = fc.tuple(fc.constantFrom("a", "b", "c"), command).map(([on, c]): Step => {
      // Every client reads after a PUBLISH; several patterns may match, in an order Redis leaves open.
      if (c[0] === "PUBLISH" || c[1] === "CHANNELS") return { on, command: c, sync: ["a", "b", "c"].filter((x) => x !== on), unordered: true };
      if (c.length === 1 && c[0]!.endsWith("UNSUBSCRIBE")) return { on, command: c, normalize: leavingAll };
      return { on, command: c };
    });
    await assertProperty(fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (script) => {
      const [ours, theirs] = await bothRun(pair, script);
      expect(ours).toEqual(theirs);
    }), { numRuns: 40 });
  }, 120_000);
});

/**
 * Opens connections to `port` until two of them are served by different domains, and returns
 * them with the rest (to close). Each domain numbers its clients from 1 (CLIENT ID: the
 * session module is loaded once per domain), so two connections with the same id are in two
 * domains. Which domain accepts a connection is the kernel's choice: many may be needed.
 */
async function pairAcrossDomains(port: number): Promise<{ pairs: [Connection, Connection][]; all: Connection[] }> {
  const byId = new Map<number, Connection[]>();
  const all: Connection[] = [];
  for (let round = 0; round < 100; round++) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => Connection.open(port)));
    all.push(...batch);
    for (const connection of batch) connection.send("CLIENT", "ID");
    for (const connection of batch) {
      const [id] = await connection.read(1);
      byId.set(id as number, [...(byId.get(id as number) ?? []), connection]);
    }
    const pairs = [...byId.values()].filter((group) => group.length === 2).map((group) => group as [Connection, Connection]);
    if (pairs.length >= 4) return { pairs, all };
  }
  throw new Error(`no two of ${all.length} connections were served by different domains`);
}

describe("pub/sub across domains (--domains 1)", () => {
  it("a subscriber served by either domain receives what a publisher served by the other publishes; PUBLISH counts them all", async () => {
    const kv = await startServer(newDir(), ["--domains", "1"]);
    const { pairs, all } = await pairAcrossDomains(kv.port);
    try {
      // In each pair the two are in different domains: the first subscribes, the second publishes, and the other way round.
      const subscribers = pairs.flatMap(([x, y], i) => (i % 2 === 0 ? [x] : [y]));
      const publishers = pairs.flatMap(([x, y], i) => (i % 2 === 0 ? [y] : [x]));
      for (const subscriber of subscribers) {
        subscriber.send("SUBSCRIBE", "everyone");
        expect(await subscriber.read(1)).toEqual([["subscribe", "everyone", 1]]);
      }
      for (const [i, publisher] of publishers.entries()) {
        publisher.send("PUBLISH", "everyone", `from publisher ${i}`);
        expect(await publisher.read(1)).toEqual([subscribers.length]);
      }
      for (const subscriber of subscribers) {
        expect(await subscriber.read(publishers.length)).toEqual(publishers.map((_, i) => ["message", "everyone", `from publisher ${i}`]));
      }
      // Each publisher's partner, alone on a pattern of its own: one receiver, in the other domain.
      for (const [i, subscriber] of subscribers.entries()) {
        subscriber.send("PSUBSCRIBE", `pair${i}.*`);
        expect(await subscriber.read(1)).toEqual([["psubscribe", `pair${i}.*`, 2]]);
        publishers[i]!.send("PUBLISH", `pair${i}.x`, "to my partner");
        expect(await publishers[i]!.read(1)).toEqual([1]);
        expect(await subscriber.read(1)).toEqual([["pmessage", `pair${i}.*`, `pair${i}.x`, "to my partner"]]);
      }
      // Subscribers that drop their connections without a word are forgotten: the count falls to 0
      // (each PUBLISH is a round trip through the store, behind which the goodbyes queue up).
      for (const subscriber of subscribers) subscriber.close();
      let receivers = subscribers.length;
      for (let tries = 0; receivers > 0 && tries < 10_000; tries++) {
        publishers[0]!.send("PUBLISH", "everyone", "anyone left?");
        [receivers] = (await publishers[0]!.read(1)) as [number];
      }
      expect(receivers).toBe(0);
      publishers[0]!.send("PUBSUB", "NUMPAT");
      expect(await publishers[0]!.read(1)).toEqual([0]);
    } finally {
      for (const connection of all) connection.close();
      expect(await stopServer(kv)).toBe(0);
    }
  }, 120_000);
});

describe.each([["kv-server", "kv"], ["redis-server", "redis"]])("a subscriber that stops reading (%s)", (_name, which) => {
  it("is disconnected at the 32mb output buffer limit, while its publisher goes on being answered", async () => {
    const server = which === "kv" ? await startServer(newDir(), ["--domains", "1"]) : await startRedis();
    const subscriber = await Connection.open(server.port);
    const publisher = await Connection.open(server.port);
    try {
      subscriber.send("SUBSCRIBE", "firehose");
      expect(await subscriber.read(1)).toEqual([["subscribe", "firehose", 1]]);
      // From now on nothing is read: what the server sends piles up in the kernel's buffers, then in its own.
      subscriber.socket.pause();
      const message = "x".repeat(256 * 1024);
      let published = 0;
      for (;;) {
        publisher.send("PUBLISH", "firehose", message);
        const [receivers] = await publisher.read(1);
        if (receivers === 0) break;
        expect(receivers).toBe(1);
        published += message.length;
        // 32 MB in the server, and the kernel's socket buffers: never 256 MB.
        expect(published).toBeLessThan(256 * 1024 * 1024);
      }
      expect(published).toBeGreaterThan(32 * 1024 * 1024);
      publisher.send("PUBSUB", "NUMSUB", "firehose");
      expect(await publisher.read(1)).toEqual([["firehose", 0]]);
      // The server closed the connection: once the client reads again it sees the end, short of what was published.
      subscriber.socket.resume();
      await subscriber.closedByServer();
      expect(subscriber.received).toBeLessThan(published);
      publisher.send("PING");
      expect(await publisher.read(1)).toEqual(["PONG"]);
    } finally {
      subscriber.close();
      publisher.close();
      await stopServer(server);
    }
  }, 120_000);
});

describe("the hub's output buffer limits", () => {
  function client(id: string): PubSub.Client {
    const [, kill] = Eio.Promise.create<void>();
    return { id, mailbox: Eio.Stream.create<Uint8Array | null>(Infinity), output: new Int32Array(new SharedArrayBuffer(4)), kill };
  }
  const args = (...words: string[]) => words.map((word) => Buffer.from(word));

  it("drops a client at the hard limit, and one over the soft limit for its seconds, but not one that catches up", () => {
    const hub = PubSub.create({ hard: 1000, soft: 500, softSeconds: 60 });
    const [slow, soft, reader] = [client("slow"), client("soft"), client("reader")];
    for (const c of [slow, soft, reader]) PubSub.subscribe(hub, c, args("SUBSCRIBE", c.id));
    const payload = Buffer.alloc(100);
    const sent = (c: PubSub.Client, now: number) => PubSub.publish(hub, Buffer.from(c.id), payload, now);
    // The hard limit: about 1000 bytes pending.
    let n = 0;
    while (sent(slow, 0) === 1) n++;
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(10);
    expect(PubSub.subscriptions(hub, "slow")).toBe(0);
    // The soft limit: over 500 bytes at t=0 is allowed until 60 s later.
    while (Atomics.load(soft.output, 0) < 500) expect(sent(soft, 0)).toBe(1);
    expect(sent(soft, 59_999)).toBe(1);
    Atomics.store(soft.output, 0, 0); // the connection wrote everything out
    expect(sent(soft, 60_000)).toBe(1);
    while (Atomics.load(soft.output, 0) < 500) expect(sent(soft, 60_001)).toBe(1);
    expect(sent(soft, 120_001)).toBe(1); // the message that finds it over the soft limit for 60 s is its last
    expect(sent(soft, 120_002)).toBe(0);
    // A client whose connection keeps writing out is never dropped.
    for (let i = 0; i < 100; i++) {
      expect(sent(reader, i * 1000)).toBe(1);
      Atomics.store(reader.output, 0, 0); // its connection wrote it out
    }
    expect(hub.dropped).toBe(2);
    expect(PubSub.takeDeliveries(hub).map(([c]) => c.id)).toEqual(["reader"]);
  });
});
