/**
 * Serving one client: read what it sent, parse every complete command, answer connection
 * commands at once and send runs of data commands to the store as one request, then write all
 * the replies, in order, as one write. A client that pipelines N commands costs one request and
 * one write, not N.
 * @module
 */
import type * as Eio from "eio-ts";
import * as OutputLimit from "./output-limit.js";
import * as Resp from "./resp.js";
import * as Session from "./session.js";

/**
 * The two things a connection needs from its socket.
 *
 * @example
 * ```ts
 * const channel: Channel = { read: () => readChunk(socket), write: (bytes) => Eio.Flow.write(flow, bytes) };
 * ```
 */
export interface Channel {
  /** The next bytes from the client, or null at end of input. */
  read(): Eio.Operation<Uint8Array | null>;
  /** Sends bytes to the client. */
  write(bytes: Uint8Array): Eio.Operation<void>;
}

/**
 * Sends a run of data commands to the store and returns their concatenated replies, or an empty
 * reply if they would pass `replyLimit` bytes (0: no limit).
 *
 * @example
 * ```ts
 * const submit: Submit = (commands, replyLimit) => Store.submit(queue, commands, { replyLimit });
 * ```
 */
export type Submit = (commands: Uint8Array[][], replyLimit: number) => Eio.Operation<Uint8Array>;

/**
 * A connection's limits, Redis's `proto-max-bulk-len` and `client-query-buffer-limit`.
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
  /**
   * Redis's `client-output-buffer-limit` for normal clients: a client whose replies to what it
   * sent at once pass `hard` bytes is closed, without them (the soft limit is the channel's).
   */
  outputBufferLimit?: OutputLimit.Limit;
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
  const unauthenticated = (): boolean => !session.authenticated;
  const parser = Resp.createParser(limits.maxBulk === undefined ? { unauthenticated } : { maxBulk: limits.maxBulk, unauthenticated });
  const queryBufferLimit = limits.queryBufferLimit ?? 1024 ** 3;
  const hard = limits.outputBufferLimit?.hard ?? 0;
  for (;;) {
    const chunk = yield* channel.read();
    if (chunk === null) return;
    Resp.feed(parser, chunk);
    const out: Uint8Array[] = [];
    let outBytes = 0;
    let pending: Uint8Array[][] = [];
    // The store stops at the limit (it never builds replies this client would be closed for).
    function* submitPending(): Eio.Operation<boolean> {
      const replies = yield* submit(pending, hard === 0 ? 0 : Math.max(1, hard - outBytes));
      pending = [];
      if (replies.length === 0) return false;
      out.push(replies);
      outBytes += replies.length;
      return true;
    }
    const overLimit = (): void => {
      console.log(OutputLimit.closedMessage(`id=${session.id} addr=${session.address}`, `hard limit of ${hard} bytes`));
    };
    for (;;) {
      const parsed = Resp.next(parser);
      if (parsed.kind === "incomplete") break;
      const local = parsed.kind === "error" ? Resp.error(parsed.message) : Session.handle(session, parsed.args);
      if (local === null && parsed.kind === "command") {
        pending.push(parsed.args);
        continue;
      }
      // Replies go out in request order, so the queued data commands are answered first.
      if (pending.length > 0 && !(yield* submitPending())) return overLimit();
      out.push(local!);
      outBytes += local!.length;
      if (parsed.kind === "error") session.closing = true;
      if (session.closing) break;
    }
    if (pending.length > 0 && !(yield* submitPending())) return overLimit();
    if (hard > 0 && outBytes > hard) return overLimit();
    if (out.length > 0) yield* channel.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    if (session.closing || Resp.buffered(parser) > queryBufferLimit) return;
  }
}
