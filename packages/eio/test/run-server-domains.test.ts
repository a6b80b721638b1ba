// runServer's additional domains: each listens on its own duplicate of the listening
// descriptor, which it closes when the server returns, so the socket is then the calling
// domain's alone. And a handler module that is the program's entry.
import { execFile } from "node:child_process";
import { readFile, readdir, readlink } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { exchange, tryExchange } from "./net-helpers.js";

const echo = Eio.task(new URL("./fixtures/echo-handler.mjs", import.meta.url), "echo");

/** How many descriptors of this process name the same socket as `fd`. */
async function copiesOf(fd: number): Promise<number> {
  const target = await readlink(`/proc/self/fd/${fd}`);
  let n = 0;
  for (const entry of await readdir("/proc/self/fd")) {
    try {
      if ((await readlink(`/proc/self/fd/${entry}`)) === target) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function threadCount(): Promise<number> {
  const status = await readFile("/proc/self/status", "utf8");
  return Number(/^Threads:\s+(\d+)/m.exec(status)![1]);
}

/**
 * Waits (at most 10 s) until this process has no more than `n` threads; returns the count. It
 * polls: a thread's exit has no event that this process can wait on.
 */
async function threadsDownTo(n: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const now = await threadCount();
    if (now <= n) return now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return threadCount();
}


function descriptorOf(socket: Eio.Net.ListeningSocket): number {
  return (socket as unknown as { server: { _handle: { fd: number } } }).server._handle.fd;
}

/**
 * Serves 40 clients with 2 additional domains, then, after runServer returned, accepts 20 more
 * connections with Net.accept in this domain. Reports what a test should check.
 */
interface Outcome {
  servedOk: boolean;
  domainsServing: number;
  during: number;
  after: number;
  accepted: number;
  lateReplies: string[];
  threadsAfter: number;
  baseline: number;
  addr: net.NetConnectOpts;
}

async function serveThenAccept(listenAddr: Eio.Net.StreamAddr, connectAddr: (socket: Eio.Net.ListeningSocket) => net.NetConnectOpts): Promise<Outcome> {
  await readFile(fileURLToPath(import.meta.url)); // start libuv's thread pool now, not in the middle
  const baseline = await threadCount();
  const counts = new Int32Array(new SharedArrayBuffer(4 * 256));
  return Eio.run<Outcome>(function* (env) {
    return yield* Eio.Switch.run(function* (sw) {
      const socket = yield* Eio.Net.listen(sw, env.net, listenAddr);
      const fd = descriptorOf(socket);
      const addr = connectAddr(socket);
      const [stop, setStop] = Eio.Promise.create<void>();
      let during = 0;
      let served: string[] = [];
      Eio.Fiber.fork(sw, function* () {
        // Wait until every domain has served someone, so that they surely listen. Which thread
        // accepts a connection is a race that the kernel runs: this one won 60-90% of them in
        // our runs, and the last domain's first connection came after 180-780, so allow 5000.
        for (let round = 0; round < 250 && [...counts].filter((n) => n > 0).length < 3; round++) {
          served = served.concat(yield* Eio.Fiber.awaitNative(Promise.all(Array.from({ length: 20 }, (_, i) => tryExchange(addr, `m${i}`)))));
        }
        during = yield* Eio.Fiber.awaitNative(copiesOf(fd));
        Eio.Promise.resolve(setStop, undefined);
      });
      yield* Eio.Net.runServer(socket, echo, { additionalDomains: [env.domainMgr, 2], args: [counts], stop, onError: (e) => { throw e; } });
      const after = yield* Eio.Fiber.awaitNative(copiesOf(fd));
      const domainsServing = [...counts].filter((n) => n > 0).length;
      // Every further connection must reach this domain's Net.accept.
      let accepted = 0;
      const replies = yield* Eio.Fiber.pair<string[], void>(
        () => Eio.Fiber.awaitNative(Promise.all(Array.from({ length: 20 }, (_, i) => tryExchange(addr, `late ${i}`)))),
        function* () {
          for (let i = 0; i < 20; i++) {
            yield* Eio.Switch.run(function* (connSw) {
              const [flow] = yield* Eio.Net.accept(connSw, socket);
              accepted++;
              yield* Eio.Flow.copy(flow, flow);
            });
          }
        },
      );
      const threadsAfter = yield* Eio.Fiber.awaitNative(threadsDownTo(baseline));
      return {
        servedOk: served.every((reply, i) => reply === `m${i % 20}`),
        domainsServing,
        during,
        after,
        accepted,
        lateReplies: replies[0],
        threadsAfter,
        baseline,
        addr,
      };
    });
  });
}

describe("Net.runServer with additional domains", () => {
  it("each domain listens on its own duplicate; after runServer returns, the socket is this domain's alone", async () => {
    const r = await serveThenAccept({ host: "127.0.0.1", port: 0 }, (socket) => {
      const addr = Eio.Net.listeningAddr(socket) as { host: string; port: number };
      return { host: addr.host, port: addr.port };
    });
    expect(r.servedOk).toBe(true);
    expect(r.domainsServing).toBe(3);
    expect(r.during).toBe(3); // this domain's descriptor and one duplicate per additional domain
    expect(r.after).toBe(1);
    expect(r.accepted).toBe(20);
    expect(r.lateReplies).toEqual(Array.from({ length: 20 }, (_, i) => `late ${i}`));
    expect(r.threadsAfter).toBeLessThanOrEqual(r.baseline); // the domains' threads have exited
    // The socket's switch has finished: it is closed for good, in every domain.
    expect(await tryExchange(r.addr, "too late")).toBe("reset: ECONNREFUSED");
  });

  it("works the same on a Unix socket", async () => {
    const path = join(tmpdir(), `eio-run-server-${process.pid}-${Date.now()}.sock`);
    const r = await serveThenAccept({ path }, () => ({ path }));
    expect(r.servedOk).toBe(true);
    expect(r.domainsServing).toBe(3);
    expect([r.during, r.after, r.accepted]).toEqual([3, 1, 20]);
    expect(r.lateReplies).toEqual(Array.from({ length: 20 }, (_, i) => `late ${i}`));
    expect(await tryExchange(r.addr, "too late")).toMatch(/^reset: (ECONNREFUSED|ENOENT)$/);
  });

  it("the socket can serve a second multi-domain runServer after the first returns", async () => {
    const results = await Eio.run<string[]>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = (Eio.Net.listeningAddr(socket) as { port: number }).port;
        const out: string[] = [];
        for (const round of [1, 2]) {
          const [stop, setStop] = Eio.Promise.create<void>();
          Eio.Fiber.fork(sw, function* () {
            out.push(yield* Eio.Fiber.awaitNative(exchange(port, `round ${round}`)));
            Eio.Promise.resolve(setStop, undefined);
          });
          yield* Eio.Net.runServer(socket, echo, { additionalDomains: [env.domainMgr, 1], stop, onError: (e) => { throw e; } });
        }
        return out;
      });
    });
    expect(results).toEqual(["round 1", "round 2"]);
  });
});

describe("Net.runServer onError with additional domains", () => {
  it("gets every handler error from every domain, with its class, and never a Cancelled", async () => {
    const fail = Eio.task(new URL("./fixtures/echo-handler.mjs", import.meta.url), "fail");
    const counts = new Int32Array(new SharedArrayBuffer(4 * 256));
    const errors: Error[] = [];
    await Eio.run(function* (env) {
      yield* Eio.Switch.run(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 });
        const port = (Eio.Net.listeningAddr(socket) as { port: number }).port;
        const [stop, setStop] = Eio.Promise.create<void>();
        Eio.Fiber.fork(sw, function* () {
          for (let round = 0; round < 100 && counts.filter((n) => n > 0).length < 3; round++) {
            // A failed handler's connection is closed with "hello" unread: the client may see a reset.
            yield* Eio.Fiber.awaitNative(Promise.all(Array.from({ length: 20 }, () => tryExchange({ host: "127.0.0.1", port }, "hello"))));
          }
          Eio.Promise.resolve(setStop, undefined);
        });
        yield* Eio.Net.runServer(socket, fail, { additionalDomains: [env.domainMgr, 2], args: [counts], stop, onError: (e) => errors.push(e) });
      });
    });
    const handled = counts.reduce((a, b) => a + b, 0);
    expect(counts.filter((n) => n > 0).length).toBe(3);
    expect(errors.length).toBe(handled);
    expect(errors.every((e) => e instanceof RangeError)).toBe(true);
    expect(new Set(errors.map((e) => e.message)).size).toBe(3); // one message per thread
  });
});

describe("Net.runServer with a handler in the program's entry module", () => {
  const program = fileURLToPath(new URL("./fixtures/entry-server.mjs", import.meta.url));
  const runProgram = (mode: string): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [program, mode], { timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout.trim());
      });
    });

  it("started with a top-level await on the server: a clear error instead of a deadlock", async () => {
    expect(await runProgram("await")).toMatch(
      /^runServer failed: Net\.runServer: the handler task's module file:.*entry-server\.mjs is the program's entry, and it is still evaluating/,
    );
  });

  it("started without a top-level await: served", async () => {
    expect(await runProgram("then")).toMatch(/^served 30: (domain, )?main$|^served 30: domain$/);
  });
});
