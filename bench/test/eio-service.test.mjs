import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { probe, startService, unwrapResult } from "../lib/eio-service.mjs";

describe("startService (a long-lived Eio.run that samples call into)", () => {
  it("answers calls in order from a fiber, and stop cancels the background fibers", async () => {
    const trace = [];
    const service = startService(function* (_env, sw) {
      Eio.Fiber.fork(sw, function* () {
        try {
          yield* Eio.Fiber.awaitCancel();
        } finally {
          trace.push("background cancelled");
        }
      });
      return function* (request) {
        yield* Eio.Fiber.yield();
        return request * 2;
      };
    });
    expect(await Promise.all([service.call(1), service.call(2), service.call(3)])).toEqual([2, 4, 6]);
    expect(await service.call(10)).toBe(20);
    await service.stop();
    expect(trace).toEqual(["background cancelled"]);
  });

  it("rejects only the call whose handler threw", async () => {
    const service = startService(function* () {
      return function* (request) {
        if (request === "bad") throw new RangeError("bad request");
        return request;
      };
    });
    await expect(service.call("bad")).rejects.toThrow("bad request");
    expect(await service.call("good")).toBe("good");
    await service.stop();
  });

  it("rejects later calls once a background fiber has failed", async () => {
    const service = startService(function* (_env, sw) {
      const [ready, resolver] = Eio.Promise.create();
      Eio.Fiber.fork(sw, function* () {
        yield* Eio.Promise.await(ready);
        throw new Error("background failure");
      });
      return function* (request) {
        if (request === "fail now") Eio.Promise.resolve(resolver, null);
        yield* Eio.Fiber.yield();
        return request;
      };
    });
    await expect(service.call("fail now")).rejects.toThrow();
    await expect(service.call("later")).rejects.toThrow("background failure");
    await expect(service.stop()).rejects.toThrow("background failure");
  });
});

describe("helpers", () => {
  it("unwrapResult returns a value, throws an error, passes plain values through", () => {
    expect(unwrapResult({ ok: true, value: 3 })).toBe(3);
    expect(() => unwrapResult({ ok: false, error: new Error("no") })).toThrow("no");
    expect(unwrapResult(7)).toBe(7);
  });

  it("probe says null when the body runs, and the reason when it throws", async () => {
    expect(await probe("yield", function* () {
      yield* Eio.Fiber.yield();
    })).toBeNull();
    expect(await probe("Eio.Thing", () => {
      throw new TypeError("Eio.Thing is not a function");
    })).toBe("skipped: Eio.Thing not available (Eio.Thing is not a function)");
  });
});
