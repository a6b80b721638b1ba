/**
 * The storage loop's side of what lasts beyond one request of a client: transactions (EXEC),
 * WATCH and pub/sub. The loop runs every request through {@link run}: plain data commands go
 * to `Commands.execute`; PUBLISH and PUBSUB to the hub; a request that names its client may
 * also WATCH, UNWATCH, (P)SUBSCRIBE and (P)UNSUBSCRIBE, or say goodbye; and a request marked
 * `exec` is a whole transaction, one item on the storage stream, checked against the client's
 * watched keys and then run with nothing in between, its changes committed with the rest of
 * the batch (one append, one fsync) before EXEC's reply goes out. Its changes are journaled as
 * one transaction record (`Log.encodeTransaction`), so a crash mid-append loses it whole and
 * replay applies it all or nothing.
 * @module
 */
import * as Blocking from "./blocking.js";
import * as CommandName from "./command-name.js";
import * as Commands from "./commands.js";
import * as Log from "./log.js";
import * as PubSub from "./pubsub.js";
import * as Resp from "./resp.js";
import type * as Eio from "eio-ts";
import type * as Table from "./table.js";
import { keyOf } from "./table.js";
import * as Watch from "./watch.js";

/**
 * The client a request speaks for, when it needs one: its id (unique across domains) for
 * WATCH and UNWATCH, and its pub/sub mailbox for the subscribe commands.
 *
 * @example
 * ```ts
 * const client: ClientRequest.Client = { id: "1:7" };
 * ```
 */
export interface Client extends Partial<Omit<PubSub.Client, "id">> {
  id: string;
  /** The connection is closing: forget its watched keys, subscriptions and blocking pop. */
  bye?: boolean;
  /** The client may block (BLPOP, BRPOP outside MULTI): wake it through this when served. */
  wake?: Eio.Promise.Resolver<Blocking.Served>;
  /** Its blocking pop is over (timed out, or the client left): the reply is 1 if it was still waiting, else 0 (it was served). */
  unblock?: boolean;
}

/**
 * A request as {@link run} sees it (the store's request without its resolver).
 *
 * @example
 * ```ts
 * const request: ClientRequest.Request = { commands: [[Buffer.from("GET"), Buffer.from("k")]] };
 * ```
 */
export interface Request {
  commands: Uint8Array[][];
  client?: Client;
  /** The commands are one transaction: EXEC's. */
  exec?: boolean;
}

/**
 * What the storage loop keeps about clients: their watched keys and the pub/sub hub.
 *
 * @example
 * ```ts
 * const state = ClientRequest.createState(store.table);
 * ```
 */
export interface State {
  watches: Watch.Watches;
  hub: PubSub.Hub;
  blocked: Blocking.Blocked;
}

/**
 * A fresh state for `table`.
 *
 * @example
 * ```ts
 * const state: ClientRequest.State = ClientRequest.createState(Table.create());
 * ```
 */
export function createState(table: Table.Table, limits?: PubSub.Limits): State {
  return { watches: Watch.create(table), hub: PubSub.create(limits), blocked: Blocking.create() };
}

/**
 * The name of a pseudo-command that a connection puts into a transaction in place of a
 * connection command it already answered: the loop answers it with its argument. No client can
 * send it: its name is not a command, so the connection refuses it before anything is queued.
 *
 * @example
 * ```ts
 * const placeholder = [ClientRequest.LOCAL_REPLY, Resp.PONG];
 * ```
 */
export const LOCAL_REPLY = Buffer.from("\0local-reply");

const SUBSCRIBE_COMMANDS = new Set(["subscribe", "unsubscribe", "psubscribe", "punsubscribe"]);

/**
 * Runs one command for `client` (if any). A command that needs a client and has none, or a
 * mailbox and has none, is an internal error (the connection always gives them).
 *
 * @example
 * ```ts
 * ClientRequest.execute(state, table, ["PUBLISH", "news", "hi"].map((a) => Buffer.from(a)), Date.now());
 * ```
 */
export function execute(state: State, table: Table.Table, args: Buffer[], now: number, context?: Commands.Context, client?: Client): Buffer {
  // The common case first, at the cost of one byte's look: a data command of no client that is
  // not PUBLISH or PUBSUB (their names start with p) nor a connection's reply (with a NUL).
  const first = (args[0]![0] ?? 0) | 0x20;
  if (client === undefined && first !== 0x70 && first !== 0x20) return Commands.execute(table, args, now, context);
  const name = CommandName.of(args[0]!);
  switch (name) {
    case "publish":
      return Resp.integer(PubSub.publish(state.hub, args[1]!, args[2]!, now));
    case "pubsub":
      return PubSub.pubsub(state.hub, args);
  }
  if (args[0]!.length === LOCAL_REPLY.length && args[0]!.equals(LOCAL_REPLY)) return args[1]!;
  if (client?.wake !== undefined && Blocking.isBlocking(name)) return Blocking.run(state.blocked, table, args, now, client.id, client.wake);
  if (client === undefined || !(name === "watch" || name === "unwatch" || SUBSCRIBE_COMMANDS.has(name))) {
    return Commands.execute(table, args, now, context);
  }
  if (name === "watch") Watch.watch(state.watches, client.id, args.slice(1).map(keyOf), now);
  else if (name === "unwatch") Watch.unwatch(state.watches, client.id);
  else {
    if (client.mailbox === undefined || client.output === undefined || client.kill === undefined) {
      return Resp.error(`ERR internal error: ${name} without a mailbox`);
    }
    return PubSub.subscribe(state.hub, client as PubSub.Client, args);
  }
  return Resp.OK;
}

const EMPTY = Buffer.alloc(0);

/**
 * Runs a request: its replies, in order (for a transaction, one: EXEC's array, or a null array
 * if a watched key was touched, when nothing is run). A request that brings a mailbox has its
 * replies put into the mailbox, in order with the client's messages; its own reply is then the
 * number of channels and patterns the client listens to afterwards, as an integer reply.
 *
 * @example
 * ```ts
 * const replies = ClientRequest.run(state, table, { commands, exec: true, client: { id } }, Date.now());
 * ```
 */
export function run(state: State, table: Table.Table, request: Request, now: number, context?: Commands.Context): Buffer[] {
  const client = request.client;
  if (client?.bye === true) {
    Watch.unwatch(state.watches, client.id);
    PubSub.leave(state.hub, client.id);
    Blocking.cancel(state.blocked, client.id);
    return [EMPTY];
  }
  if (client?.unblock === true) return [Resp.integer(Blocking.cancel(state.blocked, client.id) ? 1 : 0)];
  let replies: Buffer[];
  if (request.exec === true) {
    const journal = table.journal;
    const mark = journal?.length ?? 0;
    replies = client !== undefined && !Watch.check(state.watches, client.id, now)
      ? [Resp.NULL_ARRAY]
      : [Resp.array(request.commands.map((args) => execute(state, table, args as Buffer[], now, context, client)))];
    if (journal !== null && journal.length - mark > 1) {
      const wrapped = Log.encodeTransaction(journal.slice(mark));
      journal.length = mark;
      for (const part of wrapped) journal.push(part);
    }
  } else replies = request.commands.map((args) => {
    const reply = execute(state, table, args as Buffer[], now, context, client);
    Blocking.serve(state.blocked, table, now);
    return reply;
  });
  // A transaction is one command for the blocked clients: served after it (its pops are records
  // of their own, after the transaction's), as in Redis.
  Blocking.serve(state.blocked, table, now);
  if (client?.mailbox === undefined) return replies;
  PubSub.reply(state.hub, client as PubSub.Client, Buffer.concat(replies), now);
  return [Resp.integer(PubSub.subscriptions(state.hub, client.id))];
}

/**
 * What the batch gave subscribers, to add to their mailboxes once it is committed.
 *
 * @example
 * ```ts
 * for (const [client, bytes] of ClientRequest.takeDeliveries(state)) yield* Eio.Stream.add(client.mailbox, bytes);
 * ```
 */
export function takeDeliveries(state: State): [PubSub.Client, Uint8Array][] {
  return PubSub.takeDeliveries(state.hub);
}

/**
 * The blocked clients served since the last call, to wake once the batch is committed.
 *
 * @example
 * ```ts
 * for (const [wake, served] of ClientRequest.takeWakes(state)) Eio.Promise.resolve(wake, served);
 * ```
 */
export function takeWakes(state: State): [Eio.Promise.Resolver<Blocking.Served>, Blocking.Served][] {
  return Blocking.takeWakes(state.blocked);
}

/**
 * Serves the blocked clients whose keys now hold what they wait for (after each command).
 *
 * @example
 * ```ts
 * ClientRequest.serveBlocked(state, table, Date.now());
 * ```
 */
export function serveBlocked(state: State, table: Table.Table, now: number): void {
  Blocking.serve(state.blocked, table, now);
}

/**
 * A mailbox refused its bytes: its client is dropped, as one over its output limit.
 *
 * @example
 * ```ts
 * ClientRequest.undeliverable(state, client);
 * ```
 */
export function undeliverable(state: State, client: PubSub.Client): void {
  PubSub.undeliverable(state.hub, client);
}
