// runServer's additional domains take a while to start (a thread, a module, a duplicate of the
// listening descriptor): connections that arrive meanwhile wait in the socket's backlog and are
// all served, by whichever domain is ready first.
import { tryExchange } from "./net-helpers.js";
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

const echo = Eio.task(new URL("./fixtures/echo-handler.mjs", import.meta.url), "echo");


/** The burst: the kernel resets connections beyond the backlog, so the backlog holds it all. */
const BURST = 400;
const BACKLOG = 1024;

interface Outcome {
  servedBefore: number;
  replies: string[];
  waves: string[][];
}

describe("Net.runServer while its additional domains start", () => {
  it("answers every connection of a burst sent before any domain is ready", async () => {
    const counts = new Int32Array(new SharedArrayBuffer(4 * 256));
    const outcome = await Eio.run<Outcome>(function* (env) {
      return yield* Eio.Switch.run<Outcome>(function* (sw) {
        const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { backlog: BACKLOG });
        const { host, port } = Eio.Net.listeningAddr(socket) as { host: string; port: number };
        const [stop, setStop] = Eio.Promise.create<void>();
        Eio.Fiber.fork(sw, () =>
          Eio.Net.runServer(socket, echo, { additionalDomains: [env.domainMgr, 2], args: [counts], stop, onError: (e) => { throw e; } }));
        // runServer ran until it first waited (for the handler's module): nothing serves yet.
        const servedBefore = counts.reduce((a, b) => a + b, 0);
        const burst = Promise.all(Array.from({ length: BURST }, (_, i) => tryExchange({ host, port }, `burst ${i}`)));
        const replies = yield* Eio.Fiber.awaitNative(burst);
        // Then waves until every domain has served someone: connections keep arriving while
        // the last domains start, and each must be answered too.
        const waves: string[][] = [];
        for (let round = 0; round < 250 && counts.filter((n) => n > 0).length < 3; round++) {
          waves.push(yield* Eio.Fiber.awaitNative(Promise.all(Array.from({ length: 20 }, (_, i) => tryExchange({ host, port }, `wave ${round}.${i}`)))));
        }
        Eio.Promise.resolve(setStop, undefined);
        return { servedBefore, replies, waves };
      });
    });
    expect(outcome.servedBefore).toBe(0);
    const wrong = outcome.replies.map((reply, i) => [i, reply] as const).filter(([i, reply]) => reply !== `burst ${i}`);
    expect(wrong).toEqual([]);
    outcome.waves.forEach((wave, round) => expect(wave).toEqual(wave.map((_, i) => `wave ${round}.${i}`)));
    expect(counts.filter((n) => n > 0).length).toBe(3); // the domains did start and serve
    expect(counts.reduce((a, b) => a + b, 0)).toBe(BURST + 20 * outcome.waves.length);
  });
});
