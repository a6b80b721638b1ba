// Eio.Io and Eio.Exn: every I/O error (files, network, processes) is an Eio.Io whose context
// list grows as it travels and prints as Eio prints it; it crosses domains with its context.
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";

describe("Eio.Io and Exn.addContext", () => {
  it("a file-system error carries its context; addContext adds steps in order, and the message follows", async () => {
    const out = await Eio.run(function* (env) {
      try {
        yield* Eio.Path.load(Eio.Path.join(env.fs, "/no/such/eio-file"));
        return [];
      } catch (e) {
        if (!(e instanceof Eio.Io)) throw e;
        const before = e.message;
        const same = Eio.Exn.addContext(e, "loading the configuration");
        return [before, same === e, e instanceof Eio.Fs.NotFound, e.err, e.context, e.message, e.stack!.split("\n")[0]];
      }
    });
    expect(out).toEqual([
      "Eio.Io Fs Not_found ENOENT: no such file or directory, opening <fs:/no/such/eio-file>, loading <fs:/no/such/eio-file>",
      true,
      true,
      "Fs Not_found ENOENT: no such file or directory",
      ["opening <fs:/no/such/eio-file>", "loading <fs:/no/such/eio-file>", "loading the configuration"],
      "Eio.Io Fs Not_found ENOENT: no such file or directory, opening <fs:/no/such/eio-file>, loading <fs:/no/such/eio-file>, loading the configuration",
      "NotFound: Eio.Io Fs Not_found ENOENT: no such file or directory, opening <fs:/no/such/eio-file>, loading <fs:/no/such/eio-file>, loading the configuration",
    ]);
  });

  it("the stack's first line follows the message even when it was read before the step was added", () => {
    const error = new Eio.Fs.NotFound("ENOENT", "ENOENT: gone", { context: ["opening <cwd:x>"] });
    const first = error.stack!.split("\n")[0];
    Eio.Exn.addContext(error, "starting");
    expect([first, error.stack!.split("\n")[0], error.stack!.split("\n").length > 1]).toEqual([
      "NotFound: Eio.Io Fs Not_found ENOENT: gone, opening <cwd:x>",
      "NotFound: Eio.Io Fs Not_found ENOENT: gone, opening <cwd:x>, starting",
      true,
    ]);
  });

  it("addContext leaves other errors alone; reraiseWithContext throws the same error, with the step if it is an Io", () => {
    const plain = new Error("plain");
    expect(Eio.Exn.addContext(plain, "doing x")).toBe(plain);
    expect(plain.message).toBe("plain");
    const io = new Eio.Io("Custom failure");
    let caught: unknown;
    try {
      Eio.Exn.reraiseWithContext(io, "step one");
    } catch (e) {
      caught = e;
    }
    expect([caught === io, io.message, io.context]).toEqual([true, "Eio.Io Custom failure, step one", ["step one"]]);
    expect(() => Eio.Exn.reraiseWithContext(plain, "x")).toThrow(plain);
    expect(() => Eio.Exn.addContext(io, 42 as never)).toThrow(/Exn.addContext: expected a string step, got number/);
  });

  it("network errors are Eio.Io too: a refused connection says what failed and where", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        // A port that was listening a moment ago, and is closed now.
        const addr = yield* Eio.Switch.run<Eio.Net.StreamAddr>(function* (inner) {
          return Eio.Net.listeningAddr(yield* Eio.Net.listen(inner, env.net, { host: "127.0.0.1", port: 0 }));
        });
        try {
          yield* Eio.Net.connect(sw, env.net, addr);
          return "connected";
        } catch (e) {
          if (!(e instanceof Eio.Net.ConnectionFailure)) throw e;
          return [e instanceof Eio.Io, e.code, e.message.replaceAll(String((addr as { port: number }).port), "PORT")];
        }
      }),
    );
    expect(out).toEqual([true, "ECONNREFUSED", "Eio.Io Net Connection_failure connect ECONNREFUSED 127.0.0.1:PORT, connecting to tcp:127.0.0.1:PORT"]);
  });

  it("an Io error crosses domains with its class, err and context, and its context can grow there", async () => {
    const out = await Eio.run(function* (env) {
      const load = Eio.task<[Eio.Path.Path, string], string>(new URL("./fixtures/fs-tasks.mjs", import.meta.url), "loadUnder");
      try {
        yield* Eio.DomainManager.run(env.domainMgr, load, env.cwd, "no-such-file");
        return [];
      } catch (e) {
        if (!(e instanceof Eio.Io)) throw e;
        Eio.Exn.addContext(e, "back home");
        return [e instanceof Eio.Fs.NotFound, e.err, e.context, e.message];
      }
    });
    expect(out).toEqual([
      true,
      "Fs Not_found ENOENT: no such file or directory",
      ["opening <cwd:no-such-file>", "loading <cwd:no-such-file>", "back home"],
      "Eio.Io Fs Not_found ENOENT: no such file or directory, opening <cwd:no-such-file>, loading <cwd:no-such-file>, back home",
    ]);
  });
});
