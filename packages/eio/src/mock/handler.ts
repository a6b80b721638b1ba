/**
 * How a mock responds, as in Eio's `Eio_mock.Handler`: a default action, replaced by a script
 * of actions (one per call) or by any function. Mostly for writing your own mocks; the
 * ready-made ones wrap it (`Mock.Flow.onRead`, `Mock.Net.onConnect`, ...).
 * @module
 */
import { type Operation, runBody } from "../core/scheduler.js";
import { type Action, run as runAction } from "./action.js";
import { checkAction } from "./action-check.js";

/**
 * A handler that provides values of type `T` (Eio's `Handler.t`). Make one with {@link make}.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * const h: Eio.Mock.Handler.Handler<number> = Eio.Mock.Handler.make({ return: 0 });
 * console.log(typeof h);
 * ```
 */
export class Handler<T> {
  /** @internal */
  fn: () => unknown;

  /** @internal */
  constructor(
    /** @internal */
    readonly defaultAction: Action<T>,
  ) {
    this.fn = () => runAction(defaultAction);
  }
}

function checkHandler<T>(t: unknown, what: string): Handler<T> {
  if (!(t instanceof Handler)) throw new TypeError(`${what}: expected a handler from Mock.Handler.make, got ${String(t)}`);
  return t as Handler<T>;
}

/**
 * A handler that always performs `defaultAction`, until told otherwise. Mirrors
 * `Eio_mock.Handler.make`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const h = Eio.Mock.Handler.make<string>({ return: "default" });
 *   console.log(yield* Eio.Mock.Handler.run(h));
 * });
 * ```
 */
export function make<T>(defaultAction: Action<T>): Handler<T> {
  checkAction(defaultAction, "Mock.Handler.make");
  return new Handler(defaultAction);
}

/**
 * Makes every later {@link run} call `fn()` (a plain or generator function) instead. Mirrors
 * `Eio_mock.Handler.set_handler`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const h = Eio.Mock.Handler.make<number>({ return: 0 });
 *   let calls = 0;
 *   Eio.Mock.Handler.setHandler(h, () => ++calls);
 *   yield* Eio.Mock.Handler.run(h);
 *   console.log(yield* Eio.Mock.Handler.run(h));
 * });
 * ```
 */
export function setHandler<T>(t: Handler<T>, fn: () => unknown): void {
  const handler = checkHandler<T>(t, "Mock.Handler.setHandler");
  if (typeof fn !== "function") throw new TypeError(`Mock.Handler.setHandler: expected a function, got ${typeof fn}`);
  handler.fn = fn;
}

/**
 * Scripts the handler: each {@link run} performs the next of `actions`; when they are used up,
 * the default action. Replaces any earlier script. Mirrors `Eio_mock.Handler.seq`.
 *
 * Suspends: never.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const h = Eio.Mock.Handler.make<string>({ return: "default" });
 *   Eio.Mock.Handler.seq(h, [{ return: "first" }, { return: "second" }]);
 *   for (let i = 0; i < 3; i++) console.log(yield* Eio.Mock.Handler.run(h));
 * });
 * ```
 */
export function seq<T>(t: Handler<T>, actions: readonly Action<T>[]): void {
  const handler = checkHandler<T>(t, "Mock.Handler.seq");
  if (!Array.isArray(actions)) throw new TypeError(`Mock.Handler.seq: expected an array of actions, got ${typeof actions}`);
  actions.forEach((a, i) => checkAction(a, `Mock.Handler.seq: actions[${i}]`));
  const queue = [...actions];
  handler.fn = () => runAction(queue.shift() ?? handler.defaultAction);
}

/**
 * Runs the handler: what mocks call to get their response. Mirrors `Eio_mock.Handler.run`.
 *
 * Suspends: when the action does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const h = Eio.Mock.Handler.make<number>({ raise: new Error("not configured") });
 *   try { yield* Eio.Mock.Handler.run(h); } catch (e) { console.log((e as Error).message); }
 * });
 * ```
 */
export function run<T>(t: Handler<T>): Operation<T> {
  const handler = checkHandler<T>(t, "Mock.Handler.run");
  return runBody<T>(handler.fn());
}

/**
 * Runs the default action given to {@link make}, whatever the handler is set to. Mirrors
 * `Eio_mock.Handler.run_default_action`.
 *
 * Suspends: when the action does — use `yield*`.
 *
 * @example
 * ```ts
 * import * as Eio from "eio-ts";
 * await Eio.Mock.run(function* () {
 *   const h = Eio.Mock.Handler.make<string>({ return: "default" });
 *   Eio.Mock.Handler.seq(h, [{ return: "scripted" }]);
 *   console.log(yield* Eio.Mock.Handler.runDefaultAction(h));
 * });
 * ```
 */
export function runDefaultAction<T>(t: Handler<T>): Operation<T> {
  return runAction(checkHandler<T>(t, "Mock.Handler.runDefaultAction").defaultAction);
}
