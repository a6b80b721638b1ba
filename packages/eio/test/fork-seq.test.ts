// Eio's tests/fiber.md, section fork_seq, ported: the same programs, the same traces.
import { describe, expect, it } from "vitest";
import type { Operation } from "../src/index.js";
import { Eio, failure, traced } from "./helpers.js";

const { Fiber, Switch } = Eio;
type Seq<T> = Eio.Fiber.Seq<T>;

/** OCaml's `List.of_seq`. */
function* listOf<T>(seq: Seq<T>): Operation<T[]> {
  const items: T[] = [];
  for (let node = yield* seq(); !node.done; node = yield* node.next()) items.push(node.value);
  return items;
}

/** OCaml's `Seq.to_dispenser`, with `Some x` as `x` and `None` as "None". */
function dispenser<T>(seq: Seq<T>): () => Operation<T | "None"> {
  let rest = seq;
  return function* () {
    const node = yield* rest();
    if (node.done) return "None";
    rest = node.next;
    return node.value;
  };
}

describe("Eio's fiber.md: fork_seq", () => {
  it("the simple case where everything works", async () => {
    expect(
      await traced(() =>
        Switch.run(function* (sw) {
          const seq = Fiber.forkSeq<number>(sw, function* (emit) {
            Eio.traceln("Generator fiber starting");
            for (let i = 1; i <= 3; i++) {
              Eio.traceln(`Yielding ${i}`);
              yield* emit(i);
            }
          });
          Eio.traceln("Requesting 1st item");
          const node = yield* seq();
          if (node.done) throw new Error("assert false");
          Eio.traceln(`hd = ${node.value}`);
          Eio.traceln("Requesting remaining items");
          return yield* listOf(node.next);
        }),
      ),
    ).toEqual(["Requesting 1st item", "Generator fiber starting", "Yielding 1", "hd = 1", "Requesting remaining items", "Yielding 2", "Yielding 3", "-> [2,3]"]);
  });

  it("the generator raises: the consumer gets the exception", async () => {
    expect(
      await traced(() =>
        Switch.run((sw) => {
          const seq = Fiber.forkSeq<number>(sw, () => {
            Eio.traceln("Generator fiber starting");
            throw failure("Simulated error");
          });
          return Eio.Cancel.protect(function* () {
            Eio.traceln("Requesting an item");
            try {
              yield* seq();
              throw new Error("assert false");
            } catch (e) {
              Eio.traceln(`Consumer got exception: ${(e as Error).message}`);
            }
          });
        }),
      ),
    ).toEqual(["Requesting an item", "Generator fiber starting", "Consumer got exception: Simulated error"]);
  });

  it("the sequence is used after the switch is finished", async () => {
    expect(
      await traced(function* () {
        const seq = yield* Switch.run<Seq<number>>((sw) =>
          Fiber.forkSeq<number>(sw, () => {
            throw new Error("assert false");
          }),
        );
        Eio.traceln("Requesting an item");
        return yield* seq();
      }),
    ).toEqual(["Requesting an item", "!! Coroutine has already failed: Cancelled: Symbol(Eio.onlyDaemonsLeft)"]);
  });

  it("the sequence is used after the switch is finished, and the generator has started", async () => {
    expect(
      await traced(function* () {
        const seq = yield* Switch.run<Seq<number>>(function* (sw) {
          const seq = Fiber.forkSeq<number>(sw, function* (emit) {
            try {
              yield* emit(1);
            } catch (e) {
              Eio.traceln(`Generator caught: ${(e as Error).name}`);
              throw e;
            }
          });
          Eio.traceln("Requesting an item");
          const node = yield* seq();
          if (node.done) throw new Error("assert false");
          Eio.traceln(`Got ${node.value}`);
          return node.next;
        });
        Eio.traceln("Switch finished. Requesting another item...");
        return yield* seq();
      }),
    ).toEqual([
      "Requesting an item",
      "Got 1",
      "Generator caught: Cancelled",
      "Switch finished. Requesting another item...",
      "!! Coroutine has already failed: Cancelled: Symbol(Eio.onlyDaemonsLeft)",
    ]);
  });

  it("using a sequence after it has finished normally", async () => {
    expect(
      await traced(() =>
        Switch.run(function* (sw) {
          const seq = Fiber.forkSeq<number>(sw, function* (emit) {
            yield* emit(1);
            Eio.traceln("Generator done");
          });
          const next = dispenser(seq);
          Eio.traceln(`Got ${yield* next()}`);
          Eio.traceln(`Got ${yield* next()}`);
          yield* next();
        }),
      ),
    ).toEqual(["Got 1", "Generator done", "Got None", "!! Coroutine has already finished!"]);
  });

  it("trying to resume twice", async () => {
    expect(
      await traced(() =>
        Switch.run(function* (sw) {
          const seq = Fiber.forkSeq<number>(sw, () => Fiber.awaitCancel());
          yield* Fiber.both(
            () => seq(),
            () => seq(),
          );
        }),
      ),
    ).toEqual(["!! Coroutine is still running!"]);
  });

  it("the generator yields twice for a single request", async () => {
    expect(
      await traced(() =>
        Switch.run(function* (sw) {
          const seq = Fiber.forkSeq<number>(sw, (emit) =>
            Fiber.both(
              () => emit(1),
              () => emit(2),
            ),
          );
          yield* seq();
        }),
      ),
    ).toEqual(["!! Coroutine has already yielded!"]);
  });

  it("yielding from a different fiber (end-of-sequence still comes when the original fiber exits)", async () => {
    expect(
      await traced(() =>
        Switch.run(function* (sw) {
          const seq = Fiber.forkSeq<string>(sw, function* (emit) {
            const p = Fiber.forkPromise<void>(sw, function* () {
              yield* Fiber.yield();
              yield* emit("Second fiber");
            });
            yield* Eio.Promise.awaitExn(p);
            yield* emit("Original fiber");
          });
          return yield* listOf(seq);
        }),
      ),
    ).toEqual(['-> ["Second fiber","Original fiber"]']);
  });

  it("the consumer cancels: the producer is cancelled at its next emit", async () => {
    expect(
      await traced(() =>
        Switch.run(function* (sw) {
          const seq = Fiber.forkSeq<number>(sw, function* (emit) {
            Eio.traceln("Working...");
            try {
              yield* Fiber.yield();
              yield* emit(1);
            } catch (e) {
              Eio.traceln(`Generator caught: ${(e as Error).message}`);
              throw e;
            }
          });
          const node = yield* Fiber.first<Eio.Fiber.SeqNode<number>>(
            () => seq(),
            () => ({ done: true }),
          );
          return node.done ? "Nil" : "Cons";
        }),
      ),
    ).toEqual(["Working...", expect.stringMatching(/^Generator caught: Cancelled: /), "-> Nil"]);
  });

  it("the generator is cancelled while queued to be resumed: it runs, but cancels at the next opportunity", async () => {
    expect(
      await traced(() =>
        Switch.run(function* (sw) {
          const seq = Fiber.forkSeq<number>(sw, () => {
            Eio.traceln("Working...");
            try {
              Fiber.check();
            } catch (e) {
              Eio.traceln(`Generator caught: ${(e as Error).message}`);
              throw e;
            }
          });
          Eio.traceln("Enqueue resume");
          yield* Fiber.both(
            function* () {
              yield* seq();
              throw new Error("assert false");
            },
            () => {
              Eio.traceln("Cancel generator");
              Switch.fail(sw, failure("Exit"));
            },
          );
        }),
      ),
    ).toEqual(["Enqueue resume", "Cancel generator", "Working...", "Generator caught: Cancelled: Error: Exit", "!! Exit"]);
  });

  it("says what is wrong when not given a function", () => {
    expect(() => Eio.Fiber.forkSeq(null as never, null as never)).toThrow(TypeError);
  });
});
