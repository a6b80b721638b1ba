// The blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) and
// LMPOP and ZMPOP on the built server, compared with Debian's redis-server 7.0 started beside
// it: replies and errors, first in first out with three blocked clients, a blocked client
// that leaves takes nothing, the timeout's null, a wake across domains, and durability: an
// element given to a blocked client is gone from the list after a kill -9 and a restart.
// A test never sleeps to let the server get ready: it waits until INFO's blocked_clients
// says the clients are waiting, or for the reply itself.
import * as Eio from "eio-ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Blocking from "../src/blocking.js";
import * as Commands from "../src/commands.js";
import * as Table from "../src/table.js";
import { Connection, runScript, type Step } from "./script.js";
import { besideRedis, bothRun, newDir, SHAPES, startServer, stopAllAndClean, stopServer } from "./server.js";

afterAll(stopAllAndClean);

const s = (on: string, ...command: string[]): Step => ({ on, command });

// Scenarios that never block for long: what comes at once, errors, and short timeouts (whose
// null reply is waited for).
const SCENARIOS: Record<string, Step[]> = {
  "an element at once, keys checked in order, from the head or the tail": [
    s("a", "RPUSH", "l1", "a", "b", "c"), s("a", "RPUSH", "l2", "x"), s("a", "BLPOP", "none", "l1", "l2", "0"),
    s("a", "BRPOP", "none", "l1", "0"), s("a", "BRPOP", "l2", "l1", "1"), s("a", "BLPOP", "l2", "l1", "0"),
    s("a", "EXISTS", "l1", "l2"), s("a", "BLPOP", "none", "l1", "0.01"),
  ],
  "WRONGTYPE for a key of another type before a list, not after it": [
    s("a", "SET", "str", "v"), s("a", "RPUSH", "l", "a", "b"), s("a", "BLPOP", "str", "l", "0"),
    s("a", "BLPOP", "l", "str", "0"), s("a", "BRPOP", "none", "str", "0"), s("a", "SADD", "set", "m"), s("a", "BRPOP", "set", "0"),
  ],
  "timeouts: not a float, negative, out of range, and arity": [
    s("a", "BLPOP", "k", "abc"), s("a", "BLPOP", "k", "-1"), s("a", "BRPOP", "k", "inf"), s("a", "BLPOP", "k", "-inf"),
    s("a", "BLPOP", "k", "1e20"), s("a", "BLPOP", "k", ""), s("a", "BLPOP", "k", " 1"), s("a", "BLPOP", "k", "nan"),
    s("a", "BLPOP", "k", "1x"), s("a", "BLPOP", "k"), s("a", "BRPOP"), s("a", "SET", "s", "v"), s("a", "BLPOP", "s", "abc"),
  ],
  "a timeout returns a null array": [
    s("a", "BLPOP", "empty", "0.05"), s("a", "BRPOP", "empty1", "empty2", "0.02"), s("a", "BLPOP", "empty", "0.001"), s("a", "LLEN", "empty"),
  ],
  "inside MULTI they do not block: a null array at once, or the element": [
    s("a", "MULTI"), s("a", "BLPOP", "none", "0"), s("a", "BRPOP", "none", "-1"), s("a", "RPUSH", "l", "x", "y"),
    s("a", "BRPOP", "l", "0"), s("a", "BLPOP", "l", "none", "0"), s("a", "BLPOP", "l", "0"), s("a", "EXEC"),
    s("a", "MULTI"), s("a", "BLPOP", "k", "abc"), s("a", "EXEC"),
  ],
  "BLMOVE: at once, its checks in Redis's order, inside MULTI a null bulk string, a timeout": [
    s("a", "RPUSH", "src", "a", "b", "c"), s("a", "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"), s("a", "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"),
    s("a", "LRANGE", "dst", "0", "-1"), s("a", "BLMOVE", "src", "src", "LEFT", "RIGHT", "0"), s("a", "LRANGE", "src", "0", "-1"),
    s("a", "BLMOVE", "src", "dst", "UP", "RIGHT", "abc"), s("a", "BLMOVE", "src", "dst", "LEFT", "RIGHT", "abc"), s("a", "SET", "str", "v"),
    s("a", "BLMOVE", "str", "dst", "LEFT", "RIGHT", "0"), s("a", "BLMOVE", "src", "str", "LEFT", "RIGHT", "0"), s("a", "BLMOVE", "none", "str", "LEFT", "RIGHT", "0.01"),
    s("a", "BLMOVE", "none", "dst", "LEFT", "RIGHT", "-1"), s("a", "BLMOVE", "src", "dst"), s("a", "MULTI"), s("a", "BLMOVE", "none", "dst", "LEFT", "RIGHT", "0"),
    s("a", "BLMOVE", "src", "dst", "LEFT", "LEFT", "0"), s("a", "EXEC"),
  ],
  "BZPOPMIN and BZPOPMAX: at once, keys in order, WRONGTYPE, timeouts, inside MULTI": [
    s("a", "ZADD", "z", "1", "a", "2.5", "b", "3", "c", "-inf", "d"), s("a", "BZPOPMIN", "none", "z", "0"), s("a", "BZPOPMAX", "z", "0"),
    s("a", "BZPOPMIN", "z", "0.01"), s("a", "SET", "str", "v"), s("a", "BZPOPMIN", "str", "z", "0"), s("a", "BZPOPMAX", "z", "str", "0"),
    s("a", "BZPOPMIN", "z", "0.01"), s("a", "BZPOPMIN", "z", "abc"), s("a", "BZPOPMAX", "z", "-1"), s("a", "BZPOPMIN", "z"),
    s("a", "RPUSH", "l", "x"), s("a", "BZPOPMIN", "l", "0"), s("a", "BLPOP", "str", "0"), s("a", "ZADD", "z", "1.5", "x"),
    s("a", "MULTI"), s("a", "BZPOPMAX", "none", "0"), s("a", "BZPOPMIN", "z", "0"), s("a", "EXEC"),
  ],
  "LMPOP and ZMPOP: counts, sides, keys in order, WRONGTYPE, their checks in Redis's order, a null array": [
    s("a", "RPUSH", "l1", "a", "b", "c"), s("a", "RPUSH", "l2", "x"), s("a", "LMPOP", "2", "none", "l1", "LEFT"),
    s("a", "LMPOP", "3", "none", "l2", "l1", "right", "COUNT", "5"), s("a", "LMPOP", "1", "l1", "RIGHT", "count", "2"), s("a", "EXISTS", "l1", "l2"),
    s("a", "LMPOP", "1", "none", "LEFT"), s("a", "LMPOP", "0", "l1", "LEFT"), s("a", "LMPOP", "-1", "l1", "LEFT"), s("a", "LMPOP", "x", "l1", "LEFT"),
    s("a", "LMPOP", "3", "l1", "LEFT"), s("a", "LMPOP", "1", "l1", "UP"), s("a", "LMPOP", "1", "l1", "LEFT", "COUNT", "0"),
    s("a", "LMPOP", "1", "l1", "LEFT", "COUNT"), s("a", "LMPOP", "1", "l1", "LEFT", "COUNT", "1", "COUNT", "1"), s("a", "LMPOP", "1", "l1", "LEFT", "BOGUS"),
    s("a", "LMPOP", "1", "l1"), s("a", "SET", "str", "v"), s("a", "RPUSH", "l3", "q"), s("a", "LMPOP", "2", "str", "l3", "LEFT"), s("a", "LMPOP", "2", "l3", "str", "LEFT"),
    s("a", "ZADD", "z1", "1", "a", "2", "b", "3", "c"), s("a", "ZADD", "z2", "-inf", "m", "1.5", "n"), s("a", "ZMPOP", "2", "none", "z1", "MIN"),
    s("a", "ZMPOP", "2", "z2", "z1", "max", "COUNT", "10"), s("a", "ZMPOP", "1", "z1", "MAX", "COUNT", "10"), s("a", "ZMPOP", "1", "z1", "MIN"),
    s("a", "ZMPOP", "1", "z1", "LEFT"), s("a", "ZMPOP", "0", "z1", "MIN"), s("a", "ZMPOP", "1", "z1", "MIN", "COUNT", "-2"), s("a", "ZMPOP", "2", "str", "z1", "MIN"),
    s("a", "ZMPOP", "1", "l3", "MIN"), s("a", "ZMPOP", "1"), s("a", "LMPOP", "1"), s("a", "MULTI"), s("a", "LMPOP", "1", "none", "LEFT"), s("a", "ZMPOP", "1", "z1", "MAX"), s("a", "EXEC"),
  ],
  "BLMPOP and BZMPOP: at once, their checks in Redis's order (the timeout after the others), a timeout, inside MULTI": [
    s("a", "RPUSH", "l", "a", "b", "c"), s("a", "BLMPOP", "0", "2", "none", "l", "LEFT", "COUNT", "2"), s("a", "BLMPOP", "0.01", "1", "l", "RIGHT", "COUNT", "9"),
    s("a", "BLMPOP", "0.01", "1", "l", "RIGHT"), s("a", "BLMPOP", "abc", "1", "l", "LEFT"), s("a", "BLMPOP", "abc", "0", "l", "LEFT"), s("a", "BLMPOP", "-1", "1", "l", "UP"),
    s("a", "BLMPOP", "-1", "1", "l", "LEFT", "COUNT", "0"), s("a", "BLMPOP", "-1", "1", "l", "LEFT"), s("a", "BLMPOP", "0", "2", "l", "LEFT"), s("a", "BLMPOP", "0", "1", "l"),
    s("a", "SET", "str", "v"), s("a", "BLMPOP", "0", "1", "str", "LEFT"), s("a", "BZMPOP", "0", "1", "str", "MIN"),
    s("a", "ZADD", "z", "1", "a", "2", "b", "3", "c"), s("a", "BZMPOP", "0", "2", "none", "z", "MAX", "COUNT", "2"), s("a", "BZMPOP", "0.01", "1", "z", "MIN"),
    s("a", "BZMPOP", "0.01", "1", "z", "MIN"), s("a", "BZMPOP", "x", "1", "z", "MIN"), s("a", "BZMPOP", "x", "1", "z", "RIGHT"), s("a", "BZMPOP", "0", "x", "z", "MIN"),
    s("a", "BZMPOP", "0", "1", "z", "MIN", "COUNT", "x"), s("a", "BZMPOP", "0", "1", "z"),
    s("a", "RPUSH", "l", "x", "y"), s("a", "ZADD", "z", "4", "d"), s("a", "MULTI"), s("a", "BLMPOP", "0", "1", "none", "LEFT"), s("a", "BZMPOP", "0", "1", "none", "MIN"),
    s("a", "BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "5"), s("a", "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"), s("a", "BLMPOP", "abc", "1", "l", "LEFT"), s("a", "EXEC"),
  ],
  "BRPOPLPUSH: at once, to itself, WRONGTYPE, its checks, a timeout, inside MULTI a null bulk string": [
    s("a", "RPUSH", "src", "a", "b", "c"), s("a", "BRPOPLPUSH", "src", "dst", "0"), s("a", "BRPOPLPUSH", "src", "src", "0"), s("a", "LRANGE", "src", "0", "-1"),
    s("a", "LRANGE", "dst", "0", "-1"), s("a", "BRPOPLPUSH", "src", "dst", "abc"), s("a", "BRPOPLPUSH", "src", "dst", "-1"), s("a", "SET", "str", "v"),
    s("a", "BRPOPLPUSH", "str", "dst", "0"), s("a", "BRPOPLPUSH", "src", "str", "0"), s("a", "BRPOPLPUSH", "none", "str", "0.01"), s("a", "BRPOPLPUSH", "none", "dst", "0.01"),
    s("a", "BRPOPLPUSH", "src", "dst"), s("a", "MULTI"), s("a", "BRPOPLPUSH", "none", "dst", "0"), s("a", "BRPOPLPUSH", "src", "dst", "0"), s("a", "EXEC"),
  ],
};

/** Waits until `server` has `n` blocked clients (asked again at each reply: no sleep). */
async function blockedClients(admin: Connection, n: number): Promise<void> {
  for (let tries = 0; tries < 100_000; tries++) {
    admin.send("INFO", "clients");
    const [info] = await admin.read(1);
    if (new RegExp(`blocked_clients:${n}\\r\\n`).test(info as string)) return;
  }
  throw new Error(`never ${n} blocked clients`);
}

/** Clients block one after another (each waits until the server counts it), then one push. */
async function fifo(port: number, push: string[], pops: string[]): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const clients = await Promise.all(pops.map(() => Connection.open(port)));
  try {
    admin.send("DEL", "q");
    await admin.read(1);
    for (const [i, client] of clients.entries()) {
      client.send(pops[i]!, "q", "0");
      await blockedClients(admin, i + 1);
    }
    admin.send(...push);
    const out: unknown[] = await admin.read(1);
    for (const client of clients) out.push(...(await client.read(1)));
    await blockedClients(admin, 0);
    admin.send("LRANGE", "q", "0", "-1");
    out.push(...(await admin.read(1)));
    return out;
  } finally {
    for (const connection of [admin, ...clients]) connection.close();
  }
}

/** A client blocks, leaves; once the server has seen it go, a push: nothing is taken. */
async function leaving(port: number): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const gone = await Connection.open(port);
  const stays = await Connection.open(port);
  try {
    gone.send("BLPOP", "left", "0");
    await blockedClients(admin, 1);
    stays.send("BRPOP", "other", "left", "0");
    await blockedClients(admin, 2);
    gone.close();
    await blockedClients(admin, 1);
    admin.send("RPUSH", "left", "x", "y");
    const out: unknown[] = await admin.read(1);
    out.push(...(await stays.read(1)));
    admin.send("LRANGE", "left", "0", "-1");
    out.push(...(await admin.read(1)));
    return out;
  } finally {
    for (const connection of [admin, gone, stays]) connection.close();
  }
}

/** A blocked client's pipelined commands run after it is woken; a transaction wakes it once done. */
async function pipelineAndTransaction(port: number): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const client = await Connection.open(port);
  try {
    client.socket.write("SET before 1\r\nBLPOP p 0\r\nGET before\r\n");
    const out: unknown[] = await client.read(1);
    await blockedClients(admin, 1);
    // Pushed and popped in one transaction: nothing is left for the blocked client.
    for (const command of [["MULTI"], ["RPUSH", "p", "a"], ["LPOP", "p"], ["EXEC"], ["MULTI"], ["RPUSH", "p", "b", "c"], ["EXEC"]]) admin.send(...command);
    out.push(await admin.read(7));
    out.push(await client.read(2));
    admin.send("LRANGE", "p", "0", "-1");
    out.push(...(await admin.read(1)));
    return out;
  } finally {
    admin.close();
    client.close();
  }
}

/** A blocked BLMOVE is served by a push; one whose destination became a string gets WRONGTYPE and takes nothing. */
async function moving(port: number): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const client = await Connection.open(port);
  try {
    const out: unknown[] = [];
    const run = async (...command: string[]) => {
      admin.send(...command);
      out.push(...(await admin.read(1)));
    };
    client.send("BLMOVE", "msrc", "mdst", "RIGHT", "LEFT", "0");
    await blockedClients(admin, 1);
    await run("RPUSH", "msrc", "p", "q");
    out.push(...(await client.read(1)));
    await run("LRANGE", "mdst", "0", "-1");
    await run("SET", "mdst2", "str");
    client.send("BLMOVE", "msrc2", "mdst2", "LEFT", "LEFT", "0");
    await blockedClients(admin, 1);
    await run("RPUSH", "msrc2", "z");
    out.push(...(await client.read(1)));
    await run("LRANGE", "msrc2", "0", "-1");
    return out;
  } finally {
    admin.close();
    client.close();
  }
}

/** A list's waiter and a sorted set's on one key: each is served only by its own type. */
async function kinds(port: number): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const [list, zset] = [await Connection.open(port), await Connection.open(port)];
  try {
    const out: unknown[] = [];
    const run = async (...command: string[]) => {
      admin.send(...command);
      out.push(...(await admin.read(1)));
    };
    list.send("BLPOP", "both", "0");
    await blockedClients(admin, 1);
    zset.send("BZPOPMAX", "both", "0");
    await blockedClients(admin, 2);
    await run("ZADD", "both", "1", "m", "2", "n");
    out.push(...(await zset.read(1)));
    await blockedClients(admin, 1);
    await run("ZRANGE", "both", "0", "-1", "WITHSCORES");
    await run("DEL", "both");
    await run("RPUSH", "both", "x");
    out.push(...(await list.read(1)));
    return out;
  } finally {
    for (const connection of [admin, list, zset]) connection.close();
  }
}

/**
 * Clients blocked in BLMPOP (with COUNT), BZMPOP and BRPOPLPUSH, each on its own key, then
 * served one by one: what each is given, and what is left.
 */
async function manyAndMoves(port: number): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const clients = [await Connection.open(port), await Connection.open(port), await Connection.open(port), await Connection.open(port)];
  try {
    const out: unknown[] = [];
    const run = async (...command: string[]) => {
      admin.send(...command);
      out.push(...(await admin.read(1)));
    };
    await run("DEL", "ml", "mz", "ms", "md", "other");
    const blocks = [
      ["BLMPOP", "0", "2", "other", "ml", "RIGHT", "COUNT", "2"], ["BZMPOP", "0", "1", "mz", "MAX", "COUNT", "5"],
      ["BRPOPLPUSH", "ms", "md", "0"], ["BLMPOP", "0", "1", "ml", "LEFT"],
    ];
    for (const [i, command] of blocks.entries()) {
      clients[i]!.send(...command);
      await blockedClients(admin, i + 1);
    }
    await run("RPUSH", "ml", "a", "b", "c", "d");
    out.push(...(await clients[0]!.read(1)), ...(await clients[3]!.read(1)));
    await run("LRANGE", "ml", "0", "-1");
    await run("ZADD", "mz", "1", "x", "2", "y", "-inf", "z");
    out.push(...(await clients[1]!.read(1)));
    await run("EXISTS", "mz");
    await run("LPUSH", "ms", "1", "2");
    out.push(...(await clients[2]!.read(1)));
    await run("LRANGE", "ms", "0", "-1");
    await run("LRANGE", "md", "0", "-1");
    return out;
  } finally {
    for (const connection of [admin, ...clients]) connection.close();
  }
}

describe.each(SHAPES)("blocking commands, compared with redis-server 7.0 (kv-server %s)", (_shape, shapeArgs) => {
  const pair = besideRedis(shapeArgs);

  it.each(Object.entries(SCENARIOS))("%s", async (_name, steps) => {
    const [ours, theirs] = await bothRun(pair, steps);
    expect(ours).toEqual(theirs);
  });

  it("three blocked clients are served first in, first out, by one RPUSH and by one LPUSH", async () => {
    for (const push of [["RPUSH", "q", "a", "b", "c"], ["LPUSH", "q", "a", "b", "c", "d"]]) {
      const pops = ["BLPOP", "BRPOP", "BLPOP"];
      const [ours, theirs] = [await fifo(pair.kv.port, push, pops), await fifo(pair.redis.port, push, pops)];
      expect(ours).toEqual(theirs);
    }
    expect(await fifo(pair.kv.port, ["RPUSH", "q", "a", "b", "c"], ["BLPOP", "BLPOP", "BLPOP"])).toEqual([3, ["q", "a"], ["q", "b"], ["q", "c"], []]);
  });

  it("a client that leaves while blocked takes nothing: the next waiter, then the list, get the elements", async () => {
    const ours = await leaving(pair.kv.port);
    expect(ours).toEqual(await leaving(pair.redis.port));
    expect(ours).toEqual([2, ["left", "y"], ["x"]]);
  });

  it("a blocked BLMOVE is served by a push, and gets WRONGTYPE for a destination that became a string", async () => {
    const ours = await moving(pair.kv.port);
    expect(ours).toEqual(await moving(pair.redis.port));
    expect(ours.slice(0, 3)).toEqual([2, "q", ["q"]]);
    expect(ours.at(-1)).toEqual(["z"]);
  });

  it("a list's waiter and a sorted set's on one key are each served by their own type only", async () => {
    const ours = await kinds(pair.kv.port);
    expect(ours).toEqual(await kinds(pair.redis.port));
    expect(ours).toEqual([2, ["both", "n", "2"], ["m", "1"], 1, 1, ["both", "x"]]);
  });

  it("blocked BLMPOP (with COUNT), BZMPOP and BRPOPLPUSH are served by pushes, in order, with Redis's replies", async () => {
    const ours = await manyAndMoves(pair.kv.port);
    expect(ours).toEqual(await manyAndMoves(pair.redis.port));
    expect(ours).toEqual([0, 4, ["ml", ["d", "c"]], ["ml", ["a"]], ["b"], 3, ["mz", [["y", "2"], ["x", "1"], ["z", "-inf"]]], 0, 2, "1", ["2"], ["1"]]);
  });

  it("a blocked client's pipelined commands wait for it; a transaction wakes it only once it is done", async () => {
    const ours = await pipelineAndTransaction(pair.kv.port);
    expect(ours).toEqual(await pipelineAndTransaction(pair.redis.port));
    expect(ours).toEqual(["OK", ["OK", "QUEUED", "QUEUED", [1, "a"], "OK", "QUEUED", [2]], [["p", "b"], "1"], ["c"]]);
  });
});

/**
 * Under `timeout 1`: a client blocked in BLPOP 0 and a subscriber outlive an idle client (whose
 * closing is waited for), are served after it, and the blocked client, once served, is idle
 * again and closed in its turn.
 */
async function notIdle(port: number): Promise<unknown[]> {
  const admin = await Connection.open(port);
  const [blocked, subscriber, idle] = [await Connection.open(port), await Connection.open(port), await Connection.open(port)];
  try {
    blocked.send("BLPOP", "idle-q", "0");
    await blockedClients(admin, 1);
    subscriber.send("SUBSCRIBE", "idle-c");
    const out: unknown[] = await subscriber.read(1);
    idle.send("PING");
    out.push(...(await idle.read(1)));
    // The admin keeps talking meanwhile: it is never idle for a whole second.
    const talking = setInterval(() => admin.send("PING"), 200);
    try {
      await idle.closedByServer();
      out.push(blocked.closed, subscriber.closed);
      admin.send("RPUSH", "idle-q", "x");
      admin.send("PUBLISH", "idle-c", "m");
      out.push(...(await blocked.read(1)), ...(await subscriber.read(1)));
      await blocked.closedByServer();
    } finally {
      clearInterval(talking);
    }
    return out;
  } finally {
    for (const connection of [admin, blocked, subscriber, idle]) connection.close();
  }
}

describe.each(SHAPES)("--timeout spares blocked clients and subscribers, as redis-server does (kv-server %s)", (_shape, shapeArgs) => {
  const pair = besideRedis(shapeArgs, { kvArgs: ["--timeout", "1"], redisArgs: ["--timeout", "1"] });

  it("a client blocked in BLPOP 0 and a subscriber are not closed; once served, the blocked client is", async () => {
    const ours = await notIdle(pair.kv.port);
    expect(ours).toEqual(await notIdle(pair.redis.port));
    expect(ours).toEqual([["subscribe", "idle-c", 1], "PONG", false, false, ["idle-q", "x"], ["message", "idle-c", "m"]]);
  }, 30_000);
});

/** Connections until two are served by different domains (same CLIENT ID: ids count per domain). */
async function pairAcrossDomains(port: number): Promise<{ pair: [Connection, Connection]; all: Connection[] }> {
  const byId = new Map<number, Connection>();
  const all: Connection[] = [];
  for (let round = 0; round < 100; round++) {
    const batch = await Promise.all(Array.from({ length: 10 }, () => Connection.open(port)));
    all.push(...batch);
    for (const connection of batch) {
      connection.send("CLIENT", "ID");
      const [id] = (await connection.read(1)) as [number];
      const other = byId.get(id);
      if (other !== undefined) return { pair: [other, connection], all };
      byId.set(id, connection);
    }
  }
  throw new Error(`no two of ${all.length} connections were served by different domains`);
}

describe("BLPOP across domains (--domains 1)", () => {
  it("a client blocked in either domain is woken by a push from the other", async () => {
    const kv = await startServer(newDir(), ["--domains", "1"]);
    const { pair, all } = await pairAcrossDomains(kv.port);
    try {
      for (const [blocked, pusher] of [pair, [pair[1], pair[0]]] as const) {
        blocked.send("BLPOP", "cross", "0");
        await blockedClients(pusher, 1);
        pusher.send("RPUSH", "cross", "from the other domain");
        expect(await pusher.read(1)).toEqual([1]);
        expect(await blocked.read(1)).toEqual([["cross", "from the other domain"]]);
      }
    } finally {
      for (const connection of all) connection.close();
      expect(await stopServer(kv)).toBe(0);
    }
  }, 60_000);
});

describe("durability of a blocked client's pop", () => {
  it("after a kill -9 and a restart, an element given to a blocked client is gone from the list", async () => {
    const dir = newDir();
    const kv = await startServer(dir, ["--domains", "1"]);
    const admin = await Connection.open(kv.port);
    const client = await Connection.open(kv.port);
    client.send("BLPOP", "jobs", "0");
    await blockedClients(admin, 1);
    admin.send("RPUSH", "jobs", "first", "second");
    expect(await admin.read(1)).toEqual([2]);
    expect(await client.read(1)).toEqual([["jobs", "first"]]);
    kv.child.kill("SIGKILL");
    expect(await kv.exited).toBe("SIGKILL");
    admin.close();
    client.close();
    const again = await startServer(dir, ["--domains", "1"]);
    const reader = await Connection.open(again.port);
    try {
      reader.send("LRANGE", "jobs", "0", "-1");
      expect(await reader.read(1)).toEqual([["second"]]);
    } finally {
      reader.close();
      expect(await stopServer(again)).toBe(0);
    }
  }, 60_000);
});

describe("durability of BLMPOP's and BZMPOP's pops", () => {
  it("after a kill -9 and a restart, what was given to blocked clients with COUNT is gone", async () => {
    const dir = newDir();
    const kv = await startServer(dir, ["--domains", "1"]);
    const admin = await Connection.open(kv.port);
    const [lists, zsets] = [await Connection.open(kv.port), await Connection.open(kv.port)];
    lists.send("BLMPOP", "0", "1", "jobs", "LEFT", "COUNT", "2");
    await blockedClients(admin, 1);
    zsets.send("BZMPOP", "0", "1", "ranked", "MAX", "COUNT", "2");
    await blockedClients(admin, 2);
    admin.send("RPUSH", "jobs", "a", "b", "c");
    admin.send("ZADD", "ranked", "1", "x", "2", "y", "3", "z");
    expect(await admin.read(2)).toEqual([3, 3]);
    expect(await lists.read(1)).toEqual([["jobs", ["a", "b"]]]);
    expect(await zsets.read(1)).toEqual([["ranked", [["z", "3"], ["y", "2"]]]]);
    kv.child.kill("SIGKILL");
    expect(await kv.exited).toBe("SIGKILL");
    for (const connection of [admin, lists, zsets]) connection.close();
    const again = await startServer(dir, ["--domains", "1"]);
    const reader = await Connection.open(again.port);
    try {
      reader.send("LRANGE", "jobs", "0", "-1");
      reader.send("ZRANGE", "ranked", "0", "-1");
      expect(await reader.read(2)).toEqual([["c"], ["x"]]);
    } finally {
      reader.close();
      expect(await stopServer(again)).toBe(0);
    }
  }, 60_000);
});

describe("the storage loop's waiters (blocking.ts)", () => {
  const args = (...words: string[]) => words.map((word) => Buffer.from(word));
  const waiter = () => Eio.Promise.create<Blocking.Served>();

  it("serves each key's waiters in order, removes a served waiter from its other keys, and journals each pop", () => {
    const table = Table.create();
    const blocked = Blocking.create();
    const [, w1] = waiter();
    const [, w2] = waiter();
    const [, w3] = waiter();
    expect(Blocking.run(blocked, table, args("BLPOP", "a", "b", "0"), 0, "1", w1)).toBe(Blocking.BLOCKED);
    expect(Blocking.run(blocked, table, args("BRPOP", "b", "0"), 0, "2", w2)).toBe(Blocking.BLOCKED);
    expect(Blocking.run(blocked, table, args("BLPOP", "b", "a", "0"), 0, "3", w3)).toBe(Blocking.BLOCKED);
    expect(Blocking.count(blocked)).toBe(3);
    Table.takeJournal(table);
    Commands.execute(table, args("RPUSH", "b", "x", "y"), 0);
    Blocking.serve(blocked, table, 0);
    const wakes = Blocking.takeWakes(blocked);
    expect(wakes.map(([wake]) => wake)).toEqual([w1, w2]);
    expect(wakes.map(([, served]) => Buffer.from(served.reply).toString())).toEqual(["*2\r\n$1\r\nb\r\n$1\r\nx\r\n", "*2\r\n$1\r\nb\r\n$1\r\ny\r\n"]);
    // The push and the two pops are in the batch's journal: the pops are committed with the push.
    expect(Table.takeJournal(table).length).toBeGreaterThan(0);
    expect(Commands.execute(table, args("EXISTS", "b"), 0).toString()).toBe(":0\r\n");
    // Client 1 was served from b: a push to a now goes to client 3.
    Commands.execute(table, args("RPUSH", "a", "z"), 0);
    Blocking.serve(blocked, table, 0);
    expect(Blocking.takeWakes(blocked).map(([wake]) => wake)).toEqual([w3]);
    expect(Blocking.count(blocked)).toBe(0);
  });

  it("a cancel before the push takes nothing; one after it says the waiter was served", () => {
    const table = Table.create();
    const blocked = Blocking.create();
    Blocking.run(blocked, table, args("BLPOP", "q", "0"), 0, "gone", waiter()[1]);
    Blocking.run(blocked, table, args("BLPOP", "q", "0"), 0, "late", waiter()[1]);
    expect(Blocking.cancel(blocked, "gone")).toBe(true);
    Commands.execute(table, args("RPUSH", "q", "only"), 0);
    Blocking.serve(blocked, table, 0);
    const [[, served]] = Blocking.takeWakes(blocked) as [[unknown, Blocking.Served]];
    expect(Buffer.from(served.reply).toString()).toBe("*2\r\n$1\r\nq\r\n$4\r\nonly\r\n");
    // What puts the element back if its client has left meanwhile.
    expect(served.undo!.map((part) => Buffer.from(part).toString())).toEqual(["LPUSH", "q", "only"]);
    expect(Blocking.cancel(blocked, "late")).toBe(false);
    expect(Blocking.cancel(blocked, "gone")).toBe(false);
  });

  it("BLMPOP and BZMPOP served with COUNT: the undo puts back what they took where it was", () => {
    const table = Table.create();
    const blocked = Blocking.create();
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
    Blocking.run(blocked, table, args("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2"), 0, "1", waiter()[1]);
    Blocking.run(blocked, table, args("BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"), 0, "2", waiter()[1]);
    Commands.execute(table, args("RPUSH", "l", "a", "b", "c"), 0);
    Commands.execute(table, args("ZADD", "z", "1.5", "m", "-inf", "n", "3", "o"), 0);
    Blocking.serve(blocked, table, 0);
    const [[, list], [, zset]] = Blocking.takeWakes(blocked) as [unknown, Blocking.Served][];
    expect(text(list!.reply)).toBe("*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    expect(text(zset!.reply)).toBe("*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nn\r\n$4\r\n-inf\r\n*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n");
    expect(text(Commands.execute(table, args("LRANGE", "l", "0", "-1"), 0))).toBe("*1\r\n$1\r\na\r\n");
    for (const served of [list!, zset!]) Commands.execute(table, served.undo!.map((part) => Buffer.from(part)), 0);
    expect(text(Commands.execute(table, args("LRANGE", "l", "0", "-1"), 0))).toBe("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    expect(text(Commands.execute(table, args("ZRANGE", "z", "0", "-1", "WITHSCORES"), 0))).toBe(
      "*6\r\n$1\r\nn\r\n$4\r\n-inf\r\n$1\r\nm\r\n$3\r\n1.5\r\n$1\r\no\r\n$1\r\n3\r\n",
    );
  });

  it("a key of another type does not serve a list's waiters", () => {
    const table = Table.create();
    const blocked = Blocking.create();
    Blocking.run(blocked, table, args("BLPOP", "k", "0"), 0, "1", waiter()[1]);
    Commands.execute(table, args("SADD", "k", "m"), 0);
    Blocking.serve(blocked, table, 0);
    expect(Blocking.takeWakes(blocked)).toEqual([]);
    expect(Blocking.count(blocked)).toBe(1);
  });

  it("reads timeouts as Redis 7.0: seconds as a long double, to whole milliseconds", () => {
    const parse = (text: string) => Blocking.parseTimeout(Buffer.from(text));
    expect([parse("0"), parse("1.5"), parse("0.001"), parse("0.0009"), parse("-0.0001"), parse("0x10")]).toEqual([0, 1500, 1, 0, 0, 16000]);
    expect([parse("-1"), parse("inf"), parse("1e20")]).toEqual(Array(3).fill("ERR timeout is negative"));
    expect([parse("abc"), parse(""), parse(" 1"), parse("nan")]).toEqual(Array(4).fill("ERR timeout is not a float or out of range"));
  });
});
