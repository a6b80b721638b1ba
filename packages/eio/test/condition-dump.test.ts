/** Condition.registerImmediate/cancel, Switch.dump and Cancel.dump, and Fiber.nAny's order. */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import { mockTraced } from "./support/run-traced.js";

const traceln = Eio.traceln;

describe("Condition.registerImmediate", () => {
  it("runs the callback inside the next broadcast only, alongside waiting fibers", async () => {
    const { lines } = await mockTraced(function* () {
      const c = Eio.Condition.create();
      yield* Eio.Fiber.both(
        function* () {
          yield* Eio.Condition.awaitNoMutex(c);
          traceln("fiber woken");
        },
        () => {
          const r = Eio.Condition.registerImmediate(c, () => traceln("callback"));
          traceln("broadcasting");
          Eio.Condition.broadcast(c);
          traceln("broadcast returned; cancel now: %s", Eio.Condition.cancel(r));
          Eio.Condition.broadcast(c);
        },
      );
    });
    expect(lines).toEqual(["broadcasting", "callback", "broadcast returned; cancel now: false", "fiber woken"]);
  });

  it("a cancelled request never runs", () => {
    const c = Eio.Condition.create();
    let called = 0;
    const r = Eio.Condition.registerImmediate(c, () => called++);
    expect(Eio.Condition.cancel(r)).toBe(true);
    expect(Eio.Condition.cancel(r)).toBe(false);
    Eio.Condition.broadcast(c);
    expect(called).toBe(0);
  });

  it("a throwing callback does not keep later requests from running; broadcast rethrows", () => {
    const c = Eio.Condition.create();
    const seen: string[] = [];
    Eio.Condition.registerImmediate(c, () => { throw new Error("first failed"); });
    Eio.Condition.registerImmediate(c, () => seen.push("second ran"));
    expect(() => Eio.Condition.broadcast(c)).toThrow("first failed");
    expect(seen).toEqual(["second ran"]);
    expect(() => Eio.Condition.registerImmediate(c, 1 as never)).toThrow("expected a function");
    expect(() => Eio.Condition.cancel({} as never)).toThrow("expected a request");
  });
});

describe("Switch.dump and Cancel.dump", () => {
  it("show the contexts' states, their fibers and children, indented", async () => {
    const { lines } = await mockTraced(function* () {
      yield* Eio.Switch.run(function* (sw) {
        Eio.Fiber.fork(sw, () => Eio.Fiber.awaitCancel());
        yield* Eio.Cancel.sub(function* (ctx) {
          Eio.Cancel.cancel(ctx, new Error("stop"));
          // Context and fiber ids are global counters: show the switch's as N and count the fibers.
          const stable = (text: string) =>
            text.replace(/^Switch \d+/, "Switch N").replace(/\[([\d,]*)\]/g, (_, ids: string) => `[${ids === "" ? 0 : ids.split(",").length} fibers]`);
          for (const line of stable(Eio.Switch.dump(sw)).split("\n")) traceln(line);
          for (const line of stable(Eio.Cancel.dump(ctx)).split("\n")) traceln(line);
        });
        Eio.Switch.fail(sw, new Error("done"));
      });
    });
    expect(lines).toEqual([
      "Switch N (2 extra fibers):",
      "  on [1 fibers]",
      "    cancelling(Error: stop) [1 fibers]",
      "cancelling(Error: stop) [1 fibers]",
    ]);
  });

  it("refuse what is not a switch or context", () => {
    expect(() => Eio.Switch.dump({} as never)).toThrow("expected a switch");
    expect(() => Eio.Cancel.dump({} as never)).toThrow("cancellation context");
  });
});

describe("Fiber.nAny", () => {
  it("returns results in the order the fibers finished, as Eio", async () => {
    const { result } = await mockTraced(function* () {
      return yield* Eio.Fiber.nAny<string>([
        function* () {
          yield* Eio.Cancel.protect(() => Eio.Fiber.yield());
          return "given first";
        },
        () => "given second",
      ]);
    });
    expect(result).toEqual(["given second", "given first"]);
  });
});
