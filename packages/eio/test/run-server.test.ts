import { execFile } from "node:child_process";
import net from "node:net";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { exchange, portOf } from "./net-helpers.js";

const echo = Eio.task(new URL("./fixtures/echo-handler.mjs", import.meta.url), "echo");
const hold = Eio.task(new URL("./fixtures/hold-handler.mjs", import.meta.url), "hold");

/** A client that connects, reads the "ready" line, and sends `line` when `go` resolves. */
function holdingClient(port: number, go: Promise<void>, line: string): { ready: Promise<void>; reply: Promise<string> } {
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  const reply = new Promise<string>((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.startsWith("ready\n")) signalReady();
    });
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
    go.then(() => socket.write(`${line}\n`));
  });
  return { ready, reply };
}

/** Sends rounds of 20 exchanges (at most 100 rounds) until `n` threads have counted a connection. */
function* untilDomainsServed(port: number, counts: Int32Array, n: number, message = "warm up"): Eio.Operation<void> {
  for (let round = 0; round < 100 && counts.filter((c) => c > 0).length < n; round++) {
    yield* Eio.Fiber.awaitNative(Promise.all(Array.from({ length: 20 }, () => exchange(port, message))));
  }
}

describe("Net.runServer", () => {
  it("serves 1000 concurrent clients from 3 domains, echoing each byte for byte", async () => {
    const counts = new Int32Array(new SharedArrayBuffer(4 * 256));
    const errors: Error[] = [];
    let burst: number[] = [];
    const results = await Eio.run<boolean[]>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { backlog: 2048 });
        const port = portOf(Eio.Net.listeningAddr(socket));
        const [stop, setStop] = Eio.Promise.create<void>();
        let replies: boolean[] = [];
        let before: number[] = [];
        Eio.Fiber.fork(sw, function* () {
          // The other domains take a moment to start: warm up until all three have served.
          yield* untilDomainsServed(port, counts, 3);
          before = [...counts];
          const clients = Array.from({ length: 1000 }, (_, i) => {
            const message = `client ${i}: ${"abcdefghij".repeat(1 + (i % 50))} end`;
            return exchange(port, message).then((reply) => reply === message);
          });
          replies = yield* Eio.Fiber.awaitNative(Promise.all(clients));
          Eio.Promise.resolve(setStop, undefined);
        });
        yield* Eio.Net.runServer(socket, echo, {
          additionalDomains: [env.domainMgr, 2],
          args: [counts],
          stop,
          onError: (e) => errors.push(e),
        });
        burst = [...counts].map((n, i) => n - before[i]!);
        return replies;
      });
    });
    expect(errors).toEqual([]);
    expect(results.filter((ok) => ok).length).toBe(1000);
    // Each domain's share of the burst of 1000 (by thread). All three served in the warm-up; in
    // the burst itself a thread starved of CPU by a loaded machine may take none (seen once in
    // a full `npm test` beside other work), so the test asks that the burst be spread, not that
    // every thread got a share: how evenly is measured by the bench, not timed here.
    const perDomain = burst.filter((n) => n > 0);
    expect(perDomain.length).toBeGreaterThanOrEqual(2);
    expect(perDomain.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it("under a steady load from another process, each of 3 domains takes a share of the connections", async () => {
    const counts = new Int32Array(new SharedArrayBuffer(4 * 256));
    const client = new URL("./fixtures/steady-client.mjs", import.meta.url).pathname;
    const STEADY = 600;
    let wrong = "";
    let share: number[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { backlog: 64 });
        const port = portOf(Eio.Net.listeningAddr(socket));
        const [stop, setStop] = Eio.Promise.create<void>();
        Eio.Fiber.fork(sw, function* () {
          yield* untilDomainsServed(port, counts, 3);
          const before = [...counts];
          wrong = yield* Eio.Fiber.awaitNative(
            new Promise<string>((resolve, reject) =>
              execFile(process.execPath, [client, String(port), String(STEADY)], (error, out) => (error ? reject(error) : resolve(out))),
            ),
          );
          share = [...counts].map((n, i) => n - before[i]!).filter((n) => n > 0);
          Eio.Promise.resolve(setStop, undefined);
        });
        yield* Eio.Net.runServer(socket, echo, { additionalDomains: [env.domainMgr, 2], args: [counts], stop, onError: (e) => { throw e; } });
      });
    });
    expect(wrong).toBe("0");
    expect(share.reduce((a, b) => a + b, 0)).toBe(STEADY);
    // Whichever domain wakes first takes a connection: an even share is 200, and each took
    // 102-306 in six runs on a loaded machine (the calling domain the most). A tenth says every
    // domain still wakes for its socket, whatever else it waits for.
    expect(share.length).toBe(3);
    for (const n of share) expect(n).toBeGreaterThanOrEqual(STEADY / 10);
  });

  it("a handler that throws on some inputs reports to onError in the calling domain; the others are served", async () => {
    const errors: Error[] = [];
    const replies = await Eio.run<string[]>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(socket));
        const [stop, setStop] = Eio.Promise.create<void>();
        let out: string[] = [];
        Eio.Fiber.fork(sw, function* () {
          const clients = Array.from({ length: 60 }, (_, i) => exchange(port, i % 3 === 0 ? `!bad ${i}` : `good ${i}`));
          out = yield* Eio.Fiber.awaitNative(Promise.all(clients));
          Eio.Promise.resolve(setStop, undefined);
        });
        yield* Eio.Net.runServer(socket, echo, { additionalDomains: [env.domainMgr, 2], stop, onError: (e) => errors.push(e) });
        return out;
      });
    });
    replies.forEach((reply, i) => expect(reply).toBe(i % 3 === 0 ? "" : `good ${i}`));
    expect(errors.length).toBe(20);
    expect(errors.map((e) => e.message).sort()).toEqual(
      Array.from({ length: 20 }, (_, k) => `bad input from client: !bad ${k * 3}`).sort(),
    );
    expect(errors.every((e) => e instanceof Error && e.name === "Error" && /echo-handler\.mjs/.test(e.stack ?? ""))).toBe(true);
  });

  it("stop stops accepting and waits for the open connections to finish", async () => {
    const cells = new Int32Array(new SharedArrayBuffer(12));
    const trace: string[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(socket));
        const [stop, setStop] = Eio.Promise.create<void>();
        let release: () => void = () => {};
        const go = new Promise<void>((resolve) => (release = resolve));
        const clients = Array.from({ length: 6 }, (_, i) => holdingClient(port, go, `c${i}`));
        Eio.Fiber.fork(sw, function* () {
          yield* Eio.Fiber.awaitNative(Promise.all(clients.map((c) => c.ready)));
          Eio.Promise.resolve(setStop, undefined);
          trace.push(`stop requested with ${Atomics.load(cells, 0)} open`);
          // Not a wait for anything to get ready (the test passes with any delay): time for a
          // runServer that wrongly returned at stop to do so and fail the test.
          yield* Eio.Fiber.awaitNative(new Promise((resolve) => setTimeout(resolve, 50)));
          release();
          const replies = yield* Eio.Fiber.awaitNative(Promise.all(clients.map((c) => c.reply)));
          trace.push(`replies: ${replies.map((r) => r.split("\n")[1]).join(",")}`);
        });
        yield* Eio.Net.runServer(socket, hold, { additionalDomains: [env.domainMgr, 2], args: [cells], stop, onError: (e) => trace.push(e.message) });
        trace.push(`runServer returned after ${Atomics.load(cells, 2)} finished`);
      });
    });
    expect(trace).toEqual([
      "stop requested with 6 open",
      "replies: bye c0,bye c1,bye c2,bye c3,bye c4,bye c5",
      "runServer returned after 6 finished",
    ]);
  });

  it("maxConnections is one limit over all domains", async () => {
    const cells = new Int32Array(new SharedArrayBuffer(12));
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(socket));
        const [stop, setStop] = Eio.Promise.create<void>();
        Eio.Fiber.fork(sw, function* () {
          const clients = Array.from({ length: 12 }, (_, i) => holdingClient(port, Promise.resolve(), `c${i}`));
          yield* Eio.Fiber.awaitNative(Promise.all(clients.map((c) => c.reply)));
          Eio.Promise.resolve(setStop, undefined);
        });
        yield* Eio.Net.runServer(socket, hold, {
          additionalDomains: [env.domainMgr, 2],
          args: [cells],
          maxConnections: 2,
          stop,
          onError: (e) => { throw e; },
        });
      });
    });
    expect(Atomics.load(cells, 2)).toBe(12);
    expect(Atomics.load(cells, 1)).toBeLessThanOrEqual(2);
  });

  it("cancelling runServer stops every domain at once, closing open connections", async () => {
    const cells = new Int32Array(new SharedArrayBuffer(12));
    const outcome = await Eio.run(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(socket));
        const never = new Promise<void>(() => {});
        const clients = Array.from({ length: 6 }, (_, i) => holdingClient(port, never, `c${i}`));
        try {
          yield* Eio.Cancel.sub(function* (ctx) {
            Eio.Fiber.fork(sw, function* () {
              yield* Eio.Fiber.awaitNative(Promise.all(clients.map((c) => c.ready)));
              Eio.Cancel.cancel(ctx, new Error("shutting down"));
            });
            yield* Eio.Net.runServer(socket, hold, { additionalDomains: [env.domainMgr, 2], args: [cells], onError: (e) => { throw e; } });
          });
          return "returned";
        } catch (e) {
          const replies = yield* Eio.Fiber.awaitNative(Promise.all(clients.map((c) => c.reply)));
          return `${(e as Error).name}; ${Atomics.load(cells, 0)} active; clients got ${JSON.stringify([...new Set(replies)])}`;
        }
      });
    });
    expect(outcome).toBe('Cancelled; 0 active; clients got ["ready\\n"]');
  });

  it("runs a plain function handler in one domain, passing args", async () => {
    const seen: string[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const [stop, setStop] = Eio.Promise.create<void>();
        Eio.Fiber.fork(sw, function* () {
          seen.push(yield* Eio.Fiber.awaitNative(exchange(portOf(Eio.Net.listeningAddr(socket)), "x")));
          Eio.Promise.resolve(setStop, undefined);
        });
        yield* Eio.Net.runServer(
          socket,
          (flow, _addr, greeting: string) => Eio.Flow.copyString(greeting, flow),
          { args: ["hi there"], stop, onError: (e) => { throw e; } },
        );
      });
    });
    expect(seen).toEqual(["hi there"]);
  });

  it("rejects a function handler with additional domains, and bad options", async () => {
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const handler = () => {};
        expect(() => Eio.Net.runServer(socket, handler, { additionalDomains: [env.domainMgr, 2], onError: () => {} }).next()).toThrow(/must be a task/);
        expect(() => Eio.Net.runServer(socket, handler, { maxConnections: 0, onError: () => {} }).next()).toThrow(/maxConnections must be a positive integer, got 0/);
        expect(() => Eio.Net.runServer(socket, handler, {} as Eio.Net.RunServerOptions<[]>).next()).toThrow(/onError must be a function/);
      });
    });
  });
});

describe("Net.runServer args", () => {
  it("a shared stream in args reaches the handler live in every domain", async () => {
    const counts = new Int32Array(new SharedArrayBuffer(4 * 256));
    const relay = Eio.task(new URL("./fixtures/queue-handler.mjs", import.meta.url), "relay");
    const replies = await Eio.run<string[]>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const queue = Eio.Stream.create<{ line: string; resolver: Eio.Promise.Resolver<string> }>(16, { shared: true });
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = portOf(Eio.Net.listeningAddr(socket));
        const [stop, setStop] = Eio.Promise.create<void>();
        let out: string[] = [];
        Eio.Fiber.forkDaemon(sw, function* () {
          for (;;) {
            const request = yield* Eio.Stream.take(queue);
            Eio.Promise.resolve(request.resolver, request.line.toUpperCase());
          }
        });
        Eio.Fiber.fork(sw, function* () {
          out = yield* Eio.Fiber.awaitNative(Promise.all(Array.from({ length: 300 }, (_, i) => exchange(port, `msg ${i}\n`))));
          // If this domain took all 300 before the others started, go on until another serves.
          yield* untilDomainsServed(port, counts, 2, "msg\n");
          Eio.Promise.resolve(setStop, undefined);
        });
        yield* Eio.Net.runServer(socket, relay, { additionalDomains: [env.domainMgr, 2], args: [queue, counts], stop, onError: (e) => { throw e; } });
        return out;
      });
    });
    expect(replies).toEqual(Array.from({ length: 300 }, (_, i) => `MSG ${i}\n`));
    expect([...counts].filter((n) => n > 0).length).toBeGreaterThan(1);
  });
});

describe("Net.runServer and a failing accept", () => {
  it("goes on serving after accept fails with EMFILE (out of descriptors), and reports it as a warning", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => {
      if (warning.code === "EIO_ACCEPT_RETRY") warnings.push(warning.message);
    };
    process.on("warning", onWarning);
    try {
      const replies = await Eio.run<string[]>(function* (env) {
        return yield* Eio.Switch.run(function* (sw) {
          const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
          const port = portOf(Eio.Net.listeningAddr(socket));
          const [stop, setStop] = Eio.Promise.create<void>();
          let replies: string[] = [];
          Eio.Fiber.fork(sw, function* () {
            replies.push(yield* Eio.Fiber.awaitNative(exchange(port, "before")));
            // What Node's server emits when libuv's accept() fails for want of a descriptor.
            const server = (socket as unknown as { server: net.Server }).server;
            server.emit("error", Object.assign(new Error("accept EMFILE"), { code: "EMFILE", errno: -24, syscall: "accept" }));
            replies.push(yield* Eio.Fiber.awaitNative(exchange(port, "after")));
            Eio.Promise.resolve(setStop, undefined);
          });
          yield* Eio.Net.runServer(socket, (flow) => Eio.Flow.copy(flow, flow), {
            onError: (error) => {
              throw error;
            },
            stop,
          });
          return replies;
        });
      });
      expect(replies).toEqual(["before", "after"]);
      // Emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([expect.stringMatching(/^accept on tcp:127\.0\.0\.1:\d+ failed \(accept EMFILE\); the listener goes on accepting$/)]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
