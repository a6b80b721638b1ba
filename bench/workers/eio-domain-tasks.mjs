// Tasks that the domains suite runs in a second eio-ts domain (named with Eio.task).
import * as Eio from "eio-ts";

/**
 * The far end of the shared-promise ping-pong. Each ping carries the resolver to answer with and
 * the promise of the next ping; a null ping ends it. Returns how many pings were answered.
 * `box.ping` is the current ping. Each message holds the next ping and each ping its message,
 * so whatever keeps an old ping keeps every later message alive: a heap that grows through
 * the run and makes every garbage collection slower (local promises alike). A suspended
 * generator keeps stale temporaries (measured: one held a message from the start of the run),
 * so the current ping lives in the box and each step runs in a short-lived generator.
 * Even a chain that nothing live holds costs: once the garbage collector has moved one link to
 * the old generation, that dead link keeps every later one alive through each young
 * collection, so all of them are copied twice (measured: half the CPU time of a round trip).
 * So each message lets go of the next ping once it has been taken.
 */
export function* answerPings(box) {
  let answered = 0;
  while (yield* answerOne(box)) answered++;
  return answered;
}

function* answerOne(box) {
  const message = yield* Eio.Promise.await(box.ping);
  if (message === null) return false;
  Eio.Promise.resolve(message.pong, message.i);
  box.ping = message.next;
  message.next = null;
  return true;
}

/**
 * The near end's step of the ping-pong: resolves the current ping (`sender.ping`, a resolver)
 * with a message naming the answer's resolver and the next ping, which becomes current.
 * Returns the message: await `message.pong` (the handle is also the promise), then let go of
 * `message.next` (the resolved ping keeps its message: see answerPings).
 */
export function sendPing(sender, i) {
  const [next, nextResolver] = Eio.Promise.create({ shared: true });
  const [, pongResolver] = Eio.Promise.create({ shared: true });
  const message = { i, pong: pongResolver, next };
  Eio.Promise.resolve(sender.ping, message);
  sender.ping = nextResolver;
  return message;
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

/** A Buffer of `bytes` bytes of its own (not pooled), every page touched: what a big value costs to make. */
export function bigBuffer(bytes) {
  const buffer = Buffer.allocUnsafeSlow(bytes);
  for (let i = 0; i < bytes; i += 4096) buffer[i] = i >> 12;
  return buffer;
}

/** Like {@link bigBuffer}, moved to the caller (Eio.transfer): no copy on the way. */
export function bigBufferMoved(bytes) {
  return Eio.transfer(bigBuffer(bytes));
}

/** Takes `count` items from `stream` and returns the sum of their lengths. */
export function* takeLengths(stream, count) {
  let total = 0;
  for (let i = 0; i < count; i++) total += (yield* Eio.Stream.take(stream)).length;
  return total;
}

/**
 * The far end of the shared-stream ping-pong: takes each item from `pings` and adds it to
 * `pongs` (both of capacity 1), until it takes null. Returns how many items it bounced.
 */
export function* bounceItems(pings, pongs) {
  let bounced = 0;
  for (;;) {
    const item = yield* Eio.Stream.take(pings);
    if (item === null) return bounced;
    yield* Eio.Stream.add(pongs, item);
    bounced++;
  }
}
