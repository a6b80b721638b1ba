/**
 * `Fiber.forkSeq` (Eio's `Fiber.fork_seq`): a producer fiber and its consumer take turns, as
 * a coroutine. The states are Eio's: the producer waits for a request (`ready`), the consumer
 * waits for an item (`running`), or it is over (`finished`, `failed`, `clientCancelled`). Each
 * change checks the state it expects by identity, as Eio's compare-and-set does, so a producer
 * that yields twice for one request, or two consumers at once, get Eio's errors.
 * @module
 */
import { Cancelled } from "./errors.js";
import { type Fiber, type Operation, runBody, suspend } from "./scheduler.js";
import type { Seq, SeqNode } from "./seq.js";
import type { Switch } from "./switch-type.js";


type Node = SeqNode<unknown>;

/** Waiting for a request: the producer fiber, to be woken with the request. */
interface Ready {
  readonly tag: "ready";
  readonly producer: Fiber;
}
/** A request in progress: the consumer fiber, to be woken with the next node. */
interface Running {
  readonly tag: "running";
  readonly consumer: Fiber;
}
type State =
  | { readonly tag: "init" }
  | Ready
  | Running
  | { readonly tag: "finished" }
  | { readonly tag: "failed"; readonly error: unknown }
  | { readonly tag: "clientCancelled"; readonly error: unknown };

class Coroutine {
  state: State = { tag: "init" };
}

/** As Eio prints an exception: `Cancelled: ...` (whose message names it already), `Failure`'s text. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === "Error" || error.message.startsWith(`${error.name}:`) ? error.message : `${error.name}: ${error.message}`;
}

/** Why the state changed under a producer that expected `running` (Eio's `unwrap_cancelled`). */
function unwrapCancelled(co: Coroutine): unknown {
  switch (co.state.tag) {
    case "clientCancelled":
      return co.state.error;
    case "finished":
    case "failed":
      return new Error("Coroutine has already stopped!");
    case "ready":
      return new Error("Coroutine has already yielded!");
    default:
      return new Error("Coroutine in unexpected state!");
  }
}

/**
 * The producer waits for the consumer's next request; `prev` is the state it last saw. Once
 * waiting, `onSuspend` (handing over an item) runs.
 */
function awaitRequest(co: Coroutine, prev: State, onSuspend: (() => void) | null): Operation<Running> {
  return suspend<Running>("await-consumer", (fiber) => {
    if (co.state !== prev) return void fiber.scheduler.wakeError(fiber, unwrapCancelled(co));
    const ready: Ready = { tag: "ready", producer: fiber };
    co.state = ready;
    fiber.cancelFn = (cancelled) => {
      if (co.state !== ready) return; // the consumer's request is on its way: take that instead
      co.state = { tag: "failed", error: cancelled };
      fiber.scheduler.wakeError(fiber, cancelled);
    };
    if (onSuspend !== null) onSuspend();
  });
}

function* runCoroutine(co: Coroutine, fn: (emit: (item: unknown) => Operation<void>) => unknown): Operation<void> {
  let current: State = yield* awaitRequest(co, co.state, null);
  const emit = function* (item: unknown): Operation<void> {
    const running = current as Running;
    current = yield* awaitRequest(co, running, () => running.consumer.scheduler.wake(running.consumer, { done: false, value: item, next: request(co) }));
  };
  yield* runBody(fn(emit));
  if (co.state !== current) throw unwrapCancelled(co);
  const { consumer } = current as Running;
  co.state = { tag: "finished" };
  consumer.scheduler.wake(consumer, { done: true });
}

/** The consumer's side: one request for the next node. */
function request(co: Coroutine): Seq<unknown> {
  return () =>
    suspend<Node>("await-producer", (fiber) => {
      const state = co.state;
      switch (state.tag) {
        case "ready": {
          const running: Running = { tag: "running", consumer: fiber };
          co.state = running;
          state.producer.scheduler.wake(state.producer, running);
          fiber.cancelFn = (cancelled) => {
            if (co.state !== running) return;
            co.state = { tag: "clientCancelled", error: cancelled };
            fiber.scheduler.wakeError(fiber, cancelled);
          };
          return;
        }
        case "finished":
          return void fiber.scheduler.wakeError(fiber, new Error("Coroutine has already finished!"));
        case "failed":
        case "clientCancelled":
          return void fiber.scheduler.wakeError(fiber, new Error(`Coroutine has already failed: ${describe(state.error)}`));
        case "running":
          return void fiber.scheduler.wakeError(fiber, new Error("Coroutine is still running!"));
        default:
          return void fiber.scheduler.wakeError(fiber, new Error("Coroutine in unexpected state!"));
      }
    });
}

/** `Fiber.forkSeq`, given `Fiber.forkDaemon` (fiber.ts checks the arguments). */
export function forkSeqWith<T>(
  forkDaemon: (sw: Switch, fn: () => unknown) => void,
  sw: Switch,
  fn: (emit: (item: T) => Operation<void>) => unknown,
): Seq<T> {
  const co = new Coroutine();
  if (sw.ctx.cancelled) co.state = { tag: "failed", error: sw.ctx.cancelError() };
  forkDaemon(sw, function* () {
    try {
      yield* runCoroutine(co, fn as (emit: (item: unknown) => Operation<void>) => unknown);
    } catch (error) {
      const prev = co.state;
      co.state = { tag: "failed", error };
      // A consumer waits: the error is its. Cancelled with none waiting: it sees the error
      // when it asks. Anything else fails the switch.
      if (prev.tag === "running") prev.consumer.scheduler.wakeError(prev.consumer, error);
      else if (!(error instanceof Cancelled)) throw error;
    }
  });
  return request(co) as Seq<T>;
}
