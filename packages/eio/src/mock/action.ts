/**
 * What a mock does when called, as in Eio's `Eio_mock.Action`: return a value, throw, wait for
 * a promise, yield first, or run any code.
 * @module
 */
import { yieldNow } from "../core/fiber.js";
import * as EioPromise from "../core/promise.js";
import { type Operation, runBody } from "../core/scheduler.js";
import { checkAction } from "./action-check.js";

/**
 * One scripted action producing a `T` (Eio's `Action.t`), as an object with one key:
 * `{ return: v }` returns `v`; `{ raise: e }` throws `e`; `{ await: p }` waits for `p`, a
 * promise of a result (`Promise.OrError`), and returns its value or throws its error;
 * `{ yieldThen: a }` yields to other fibers, then performs `a`; `{ run: fn }` runs `fn()` (a
 * plain or generator function) and returns what it returns.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const actions: Eio.Mock.Action.Action<string>[] = [
 *   { return: "one" },
 *   { yieldThen: { return: "two" } },
 *   { raise: new Eio.Flow.EndOfFile() },
 * ];
 * console.log(actions.length);
 * ```
 */
export type Action<T> =
  | {
      /** Return this value at once. */
      readonly return: T;
    }
  | {
      /** Throw this error. */
      readonly raise: unknown;
    }
  | {
      /** Wait for this promise of a result; return its value or throw its error. */
      readonly await: EioPromise.OrError<T>;
    }
  | {
      /** Yield to other fibers, then perform this action. */
      readonly yieldThen: Action<T>;
    }
  | {
      /** Run this (plain or generator) function and return what it returns. */
      readonly run: () => unknown;
    };

/**
 * Performs `action` and returns its result. Mirrors `Eio_mock.Action.run`.
 *
 * Suspends: for `{ await }`, `{ yieldThen }` and a `{ run }` that does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   console.log(yield* Eio.Mock.Action.run({ yieldThen: { return: 42 } }));
 * });
 * ```
 */
export function* run<T>(action: Action<T>): Operation<T> {
  checkAction(action, "Mock.Action.run");
  if ("return" in action) return action.return;
  if ("raise" in action) throw action.raise;
  if ("await" in action) return yield* EioPromise.awaitExn(action.await);
  if ("yieldThen" in action) {
    yield* yieldNow();
    return yield* run(action.yieldThen);
  }
  return yield* runBody<T>(action.run());
}

/**
 * The action that performs `action` and applies `f` to its result: `run(map(f, a))` is
 * `f(yield* run(a))`. Mirrors `Eio_mock.Action.map`.
 *
 * Suspends: never (it makes an action).
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const doubled = Eio.Mock.Action.map((n: number) => n * 2, { return: 21 });
 *   console.log(yield* Eio.Mock.Action.run(doubled));
 * });
 * ```
 */
export function map<A, B>(f: (value: A) => B, action: Action<A>): Action<B> {
  if (typeof f !== "function") throw new TypeError(`Mock.Action.map: expected a function, got ${typeof f}`);
  checkAction(action, "Mock.Action.map");
  if ("return" in action) return { return: f(action.return) };
  if ("raise" in action) return { raise: action.raise };
  if ("await" in action) {
    const p = action.await;
    return { run: function* () { return f(yield* EioPromise.awaitExn(p)); } };
  }
  if ("yieldThen" in action) return { yieldThen: map(f, action.yieldThen) };
  const fn = action.run;
  return { run: function* () { return f(yield* runBody<A>(fn())); } };
}
