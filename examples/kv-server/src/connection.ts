/**
 * Serving one client: read what it sent, parse every complete command, answer connection
 * commands at once and send runs of data commands to the store as one request, then write all
 * the replies, in order, as one write. A client that pipelines N commands costs one request and
 * one write, not N.
 * @module
 */
import * as Eio from "eio-ts";
import * as Client from "./client.js";
import * as OutputLimit from "./output-limit.js";
import * as Resp from "./resp.js";
import * as Session from "./session.js";
import * as Subscriber from "./subscriber.js";

/**
 * The two things a connection needs from its socket.
 *
 * @example
 * ```ts
 * const channel: Channel = { read: () => readChunk(socket), write: (bytes) => Eio.Flow.write(flow, bytes) };
 * ```
 */
export interface Channel {
  /**
   * The next bytes from the client, or null at end of input (or once it has been idle past
   * Redis's `timeout`, unless `busy`: a client blocked in BLPOP or subscribed to a channel is
   * never idle, as Redis's `clientsCronHandleTimeout` skips `CLIENT_BLOCKED` and `CLIENT_PUBSUB`).
   */
  read(busy?: boolean): Eio.Operation<Uint8Array | null>;
  /** Sends bytes to the client. */
  write(bytes: Uint8Array): Eio.Operation<void>;
}

/**
 * Sends commands to the store as one request and returns their concatenated replies; the
 * options mark a request that names its client or is a whole transaction (client.ts).
 *
 * @example
 * ```ts
 * const submit: Submit = (commands, options) => Store.submit(queue, commands, options);
 * ```
 */
export type Submit = Client.Submit;

/**
 * A connection's limits, Redis's `proto-max-bulk-len` and `client-query-buffer-limit`. The
 * buffer limits are read again for every chunk the client sends: given as getters of the live
 * settings, a CONFIG SET reaches the connections already open, as in Redis.
 *
 * @example
 * ```ts
 * const limits: Limits = { maxBulk: 512 * 1024 * 1024, queryBufferLimit: 1024 ** 3 };
 * ```
 */
export interface Limits {
  /** The longest bulk string accepted; a longer one is a protocol error. */
  maxBulk?: number;
  /**
   * A client with more bytes received and not yet parsed (the argument being received and what
   * follows it, as Redis counts its query buffer) is disconnected, without a reply.
   */
  queryBufferLimit?: number;
  /** The store is in another domain: a subscriber's mailbox must be shared with it. */
  shared?: boolean;
  /**
   * Redis's `client-output-buffer-limit` for normal clients: a client whose replies to what it
   * sent at once pass `hard` bytes is closed, without them (the soft limit is the channel's).
   */
  outputBufferLimit?: OutputLimit.Limit;
  /** The clock of blocking commands' timeouts (BLPOP ...). */
  clock?: Eio.Time.Clock;
}

/**
 * Serves `channel` until the client disconnects, sends QUIT, or sends bytes that are not RESP
 * (then it gets `-ERR Protocol error: ...` and the connection is closed, as Redis does), or
 * goes over `limits.queryBufferLimit` or the hard `limits.outputBufferLimit` (then it is closed,
 * as Redis does).
 *
 * Suspends: yes — use `yield*`. Cancelling it stops the connection between commands; a
 * request already in the store is still committed, its reply is simply not sent.
*
 * @example
 * ```ts
 * yield* Connection.serve(channel, Session.create(server), (commands) => Store.submit(queue, commands));
 * ```
 */
export function* serve(channel: Channel, session: Session.Session, submit: Submit, limits: Limits = {}): Eio.Operation<void> {
  const client = Client.create(session, limits.shared === true);
  try {
    yield* Eio.Switch.run((sw) => {
      session.kill = () => Eio.Switch.fail(sw, new Killed());
      return loop(sw, channel, client, submit, limits);
    });
  } catch (error) {
    // Dropped by the pub/sub hub for its output buffer, or killed by another client's CLIENT
    // KILL: closed, as Redis closes it.
    if (!(error instanceof Subscriber.Dropped) && !(error instanceof Killed)) throw error;
    // Its writer is gone with the switch: nothing to write out.
    client.subscriber = null;
    yield* Client.end(client, submit);
  } finally {
    session.kill = null;
    Session.forget(session);
  }
}

/** How CLIENT KILL ends another connection: its switch fails with this, and the connection closes. */
class Killed extends Error {
  constructor() {
    super("killed by CLIENT KILL");
  }
}

/**
 * A connection's output and its request being gathered. Module-level generators take it (not
 * closures made per connection or per read: V8 gives each generator function its own
 * prototype, and a resumer that sees many of them is slowed down).
 */
interface Conn {
  channel: Channel;
  client: Client.Client;
  submit: Submit;
  /** Replies held, to go out as one write. */
  out: Uint8Array[];
  /** Data commands gathered, to go to the store as one request. */
  pending: Uint8Array[][];
  /** Bytes of replies to what the client sent at once. */
  outBytes: number;
}

/** What the connection holds goes out, through the mailbox while there is one. */
function* flush(conn: Conn): Eio.Operation<void> {
  const out = conn.out;
  if (out.length === 0) return;
  const bytes = out.length === 1 ? out[0]! : Buffer.concat(out);
  conn.out = [];
  const subscriber = conn.client.subscriber;
  if (subscriber !== null) yield* Subscriber.send(subscriber, bytes);
  else yield* conn.channel.write(bytes);
}

/**
 * Sends the gathered data commands as one request; false if their replies went over the
 * output-buffer limit `hard` (the store stops there: it never builds replies this client would
 * be closed for).
 */
function* submitPending(conn: Conn, hard: number): Eio.Operation<boolean> {
  const replies = yield* conn.submit(conn.pending, hard === 0 ? undefined : { replyLimit: Math.max(1, hard - conn.outBytes) });
  conn.pending = [];
  if (replies.length === 0) return false;
  conn.out.push(replies);
  conn.outBytes += replies.length;
  return true;
}

/** A blocked client's later commands are kept for after; its leaving ends the wait. */
function* untilEnd(channel: Channel, parser: Resp.Parser): Eio.Operation<void> {
  for (let chunk; (chunk = yield* channel.read(true)) !== null; ) Resp.feed(parser, chunk);
}

function* loop(sw: Eio.Switch.Switch, channel: Channel, client: Client.Client, submit: Submit, limits: Limits): Eio.Operation<void> {
  const session = client.session;
  const unauthenticated = (): boolean => !session.authenticated;
  const parser = Resp.createParser(limits.maxBulk === undefined ? { unauthenticated } : { maxBulk: limits.maxBulk, unauthenticated });
  const conn: Conn = { channel, client, submit, out: [], pending: [], outBytes: 0 };
  const io: Client.Io = { sw, write: (bytes) => channel.write(bytes), flush: () => flush(conn), untilEnd: () => untilEnd(channel, parser) };
  if (limits.clock !== undefined) io.clock = limits.clock;
  for (;;) {
    const chunk = yield* channel.read(client.subscriptions > 0);
    if (chunk === null) break;
    const hard = limits.outputBufferLimit?.hard ?? 0;
    Resp.feed(parser, chunk);
    conn.pending = [];
    conn.outBytes = 0;
    let overLimit = false;
    for (;;) {
      const parsed = Resp.next(parser);
      if (parsed.kind === "incomplete") break;
      const args = parsed.kind === "command" ? parsed.args : [];
      const action = parsed.kind === "error" ? Resp.error(parsed.message) : Client.classify(client, args);
      if (action === null) {
        conn.pending.push(args);
        continue;
      }
      // Replies go out in request order, so the queued data commands are answered first.
      if (conn.pending.length > 0 && !(yield* submitPending(conn, hard))) {
        overLimit = true;
        break;
      }
      const reply = typeof action === "string" ? yield* Client.run(client, action, args, submit, io) : action;
      if (reply !== null) {
        conn.out.push(reply);
        conn.outBytes += reply.length;
      }
      if (parsed.kind === "error") session.closing = true;
      if (session.closing) break;
    }
    if (!overLimit && conn.pending.length > 0 && !(yield* submitPending(conn, hard))) overLimit = true;
    if (overLimit || (hard > 0 && conn.outBytes > hard)) {
      console.log(OutputLimit.closedMessage(`id=${session.id} addr=${session.address}`, `hard limit of ${hard} bytes`));
      conn.out = [];
      break;
    }
    if (session.closing) yield* Client.forget(client, submit);
    yield* flush(conn);
    if (session.closing || Resp.buffered(parser) > (limits.queryBufferLimit ?? 1024 ** 3)) break;
  }
  yield* Client.end(client, submit);
}
