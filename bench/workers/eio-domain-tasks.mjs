// Tasks that the domains suite runs in a second eio-ts domain (named with Eio.task).
import * as Eio from "eio-ts";

/**
 * The far end of the shared-promise ping-pong. Each ping carries the resolver to answer with and
 * the promise of the next ping; a null ping ends it. Returns how many pings were answered.
 */
export function* answerPings(firstPing) {
  let ping = firstPing;
  let answered = 0;
  for (;;) {
    const message = yield* Eio.Promise.await(ping);
    if (message === null) return answered;
    Eio.Promise.resolve(message.pong, message.i);
    ping = message.next;
    answered++;
  }
}

/**
 * The consumer of the shared-stream throughput test: sums the numbers it takes; an item
 * `{ total: resolver }` is answered with the sum so far (and the sum restarts); null ends it.
 */
export function* sumStream(stream) {
  let sum = 0;
  for (;;) {
    const item = yield* Eio.Stream.take(stream);
    if (typeof item === "number") {
      sum += item;
    } else if (item === null) {
      return;
    } else {
      Eio.Promise.resolve(item.total, sum);
      sum = 0;
    }
  }
}
