// Eio's rule for combining errors (tests/exn.md "Combining exceptions") and the error classes.
import { describe, expect, it } from "vitest";
import { combineErrors } from "../src/core/errors.js";
import { Eio, failure, show } from "./helpers.js";

const { MultipleErrors, SwitchFinished, DeadlockError } = Eio;
const { Cancelled } = Eio.Cancel;

describe("combineErrors", () => {
  it("combines two regular errors into MultipleErrors, oldest first", () => {
    expect(show(combineErrors(failure("a"), failure("b")))).toBe("MultipleErrors[a, b]");
  });

  it("appends to an existing MultipleErrors instead of nesting", () => {
    const ab = combineErrors(failure("a"), failure("b"));
    expect(show(combineErrors(ab, failure("c")))).toBe("MultipleErrors[a, b, c]");
  });

  it("keeps the same error once", () => {
    const e = failure("same");
    expect(combineErrors(e, e)).toBe(e);
  });

  it("drops a Cancelled in favour of a real error, on either side", () => {
    const real = failure("real");
    expect(combineErrors(new Cancelled("x"), real)).toBe(real);
    expect(combineErrors(real, new Cancelled("x"))).toBe(real);
  });

  it("keeps the later of two Cancelled (Eio's combine checks the first argument first)", () => {
    const second = new Cancelled("second");
    expect(combineErrors(new Cancelled("first"), second)).toBe(second);
  });

  it("does not mutate an existing MultipleErrors", () => {
    const ab = combineErrors(failure("a"), failure("b")) as InstanceType<typeof MultipleErrors>;
    combineErrors(ab, failure("c"));
    expect(ab.errors.length).toBe(2);
  });
});

describe("error classes", () => {
  it("MultipleErrors is an AggregateError listing its errors in its message", () => {
    const e = new MultipleErrors([failure("a"), "plain string"]);
    expect([e instanceof AggregateError, e.name, e.message]).toEqual([true, "MultipleErrors", "Multiple errors: Error: a; plain string"]);
  });

  it("SwitchFinished names the operation and the fix", () => {
    const e = new SwitchFinished("fork a fiber");
    expect([e.name, e.message]).toEqual(["SwitchFinished", "Cannot fork a fiber: the switch has finished. Use a switch that is still running."]);
  });

  it("DeadlockError lists what was waiting", () => {
    expect(new DeadlockError(["fiber 1 on Stream.take"]).message).toBe(
      "Deadlock: every fiber is waiting and nothing can wake one (waiting on: fiber 1 on Stream.take).",
    );
  });

  it("Cancelled describes non-error reasons", () => {
    expect(new Cancelled("timeout").message).toBe("Cancelled: timeout");
    expect(new Cancelled(Symbol("why")).message).toBe("Cancelled: Symbol(why)");
  });
});
