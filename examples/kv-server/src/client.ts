/**
 * What a connection keeps beyond one command, and the commands that use it: a transaction
 * being queued (MULTI ... EXEC or DISCARD), whether it watches keys (WATCH, UNWATCH), and its
 * subscriptions ((P)SUBSCRIBE, (P)UNSUBSCRIBE), with Redis 7.0's replies and errors (RESP2:
 * kv-server does not speak RESP3).
 *
 * The state that matters lives in the storage loop (client-request.ts): the watched keys, the
 * subscriptions. The connection sends it requests that name the client: WATCH, UNWATCH, EXEC
 * (the whole transaction as one request: one item on the storage stream) and the subscribe
 * commands (with the client's mailbox, see subscriber.ts). Connection commands queued in a
 * transaction (PING, ECHO, CLIENT ...) touch no data: they are answered on a copy of the
 * session when EXEC is sent, travel in the transaction as their replies, and the copy replaces
 * the session if the transaction ran.
 * @module
 */
import * as Eio from "eio-ts";
import * as Blocking from "./blocking.js";
import * as ClientRequest from "./client-request.js";
import * as CommandName from "./command-name.js";
import * as DiskError from "./disk-error.js";
import { arityOk, dataCommands } from "./commands.js";
import * as PubSub from "./pubsub.js";
import * as Resp from "./resp.js";
import * as Session from "./session.js";
import * as Subscriber from "./subscriber.js";

/**
 * Sends commands to the store, as one request, and returns its replies (empty past
 * `replyLimit`, the client's output-buffer limit: see `Store.Request`).
 *
 * @example
 * ```ts
 * const submit: Client.Submit = (commands, options) => Store.submit(queue, commands, { ...options, shared: true });
 * ```
 */
export type Submit = (commands: Uint8Array[][], options?: { client?: ClientRequest.Client; exec?: boolean; replyLimit?: number }) => Eio.Operation<Uint8Array>;

/**
 * The commands of this module, with their arities (Redis's: negative means at least).
 *
 * @example
 * ```ts
 * Client.COMMANDS.get("watch"); // -2
 * ```
 */
export const COMMANDS: ReadonlyMap<string, number> = new Map([
  ["multi", 1], ["exec", 1], ["discard", 1], ["watch", -2], ["unwatch", 1],
  ["subscribe", -2], ["unsubscribe", -1], ["psubscribe", -2], ["punsubscribe", -1],
  ["publish", 3], ["pubsub", -2],
]);

const SUBSCRIBE_COMMANDS = new Set(["subscribe", "unsubscribe", "psubscribe", "punsubscribe"]);
/** What a RESP2 client may send while it listens to a channel or a pattern. */
const ALLOWED_SUBSCRIBED = new Set([...SUBSCRIBE_COMMANDS, "ping", "quit", "reset"]);
/** Commands Redis names with their subcommand (`client|id`) in errors. */
const CONTAINERS = new Set(["client", "config", "command", "pubsub"]);
/** Commands the store runs: the data commands, and these. */
const STORE_COMMANDS = new Set([...SUBSCRIBE_COMMANDS, "publish", "pubsub", "unwatch"]);

const QUEUED = Resp.simple("QUEUED");

/**
 * A connection's state beyond one command.
 *
 * @example
 * ```ts
 * const client: Client.Client = Client.create(session, true);
 * ```
 */
export interface Client {
  session: Session.Session;
  /** Unique across domains: how the store knows this client. */
  id: string;
  /** The store is in another domain: mailboxes and promises must be shared. */
  shared: boolean;
  /** The commands queued since MULTI, or null outside a transaction. */
  multi: Buffer[][] | null;
  /** A command was refused while queuing: EXEC will answer EXECABORT. */
  multiFailed: boolean;
  /** WATCH was sent since the last EXEC, DISCARD or UNWATCH. */
  watching: boolean;
  /** The mailbox and its writer, while the client listens to something. */
  subscriber: Subscriber.Subscriber | null;
  /** How many channels and patterns it listens to, as the store last said. */
  subscriptions: number;
  /** The reply to a refused EXEC (the "abort" action). */
  abort: Buffer;
}

/**
 * A fresh state for `session`'s connection.
 *
 * @example
 * ```ts
 * const client = Client.create(Session.create(server), false);
 * ```
 */
export function create(session: Session.Session, shared: boolean): Client {
  return { session, id: Subscriber.newId(), shared, multi: null, multiFailed: false, watching: false, subscriber: null, subscriptions: 0, abort: Resp.OK };
}

/**
 * What the connection does with a command: a reply at once (Buffer), queue it with the other
 * data commands (null), or run one of this module's commands with {@link run}.
 *
 * @example
 * ```ts
 * const action: Client.Action = Client.classify(client, args);
 * ```
 */
export type Action = Buffer | null | "exec" | "discard" | "abort" | "watch" | "unwatch" | "subscribe" | "block";

function lower(bytes: Buffer): string {
  return bytes.toString("latin1").toLowerCase();
}

/** Why Redis refuses the command before running it (its error, without the minus), or null. */
function refusal(client: Client, name: string, args: Buffer[]): string | null {
  const refused = Session.check(client.session, args, COMMANDS);
  if (refused !== null) return refused.toString("latin1").slice(1, -2);
  // Redis 7.0 refuses PING too while its AOF cannot be written (before the pub/sub context check).
  const diskError = name === "ping" ? client.session.server.diskError?.() ?? null : null;
  if (diskError !== null) return DiskError.misconf(diskError).toString("latin1").slice(1, -2);
  if (name === "pubsub") {
    const why = PubSub.checkPubsub(args);
    if (why !== null) return why;
  }
  if (client.subscriptions > 0) {
    if (!ALLOWED_SUBSCRIBED.has(name)) {
      const fullName = CONTAINERS.has(name) && args.length > 1 ? `${name}|${lower(args[1]!)}` : name;
      return `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
    }
    if (name === "ping" && args.length > 2) return "ERR wrong number of arguments for 'ping' command";
  }
  return null;
}

/**
 * Decides what to do with `args` (a parsed command) for `client`, answering at once what needs
 * nothing from the store: errors, QUEUED, MULTI's OK, and connection commands.
 *
 * @example
 * ```ts
 * Client.classify(client, [Buffer.from("MULTI")]); // +OK
 * ```
 */
export function classify(client: Client, args: Buffer[]): Action {
  const name = CommandName.of(args[0]!);
  // The common case first: a data command, well formed, of a client that is authenticated, not
  // queuing a transaction nor listening to a channel, and that cannot block. It is queued.
  const data = dataCommands.get(name);
  if (data !== undefined && client.multi === null && client.subscriptions === 0 && client.session.authenticated && arityOk(data.arity, args) && !Blocking.isBlocking(name)) {
    client.session.lastCommand = name;
    return null;
  }
  const refused = refusal(client, name, args);
  if (refused === null) client.session.lastCommand = CONTAINERS.has(name) && args.length > 1 ? `${name}|${lower(args[1]!)}` : name;
  if (refused !== null && name === "exec") {
    // Redis's execCommandAbort: a refused EXEC discards the transaction, whether or not there was one.
    client.abort = Resp.error(`EXECABORT Transaction discarded because of: ${refused.replace(/^ERR /, "")}`);
    return "abort";
  }
  if (refused !== null) {
    // As Redis's rejectCommand: a command refused while queuing dooms the transaction.
    if (client.multi !== null) client.multiFailed = true;
    return Resp.error(refused);
  }
  if (client.subscriptions > 0 && name === "ping") return Resp.array([Resp.bulk("pong"), Resp.bulk(args[1] ?? "")]);
  if (client.multi !== null) {
    switch (name) {
      case "multi":
        return Resp.error("ERR MULTI calls can not be nested");
      case "watch":
        return Resp.error("ERR WATCH inside MULTI is not allowed");
      case "exec":
      case "discard":
        return name;
      case "quit":
        return Session.handle(client.session, args);
    }
    client.multi.push(args);
    return QUEUED;
  }
  switch (name) {
    case "multi":
      client.multi = [];
      client.multiFailed = false;
      return Resp.OK;
    case "exec":
      return Resp.error("ERR EXEC without MULTI");
    case "discard":
      return Resp.error("ERR DISCARD without MULTI");
    case "watch":
      return "watch";
    case "unwatch":
      return client.watching ? "unwatch" : Resp.OK;
    case "publish":
    case "pubsub":
      return null;
  }
  if (SUBSCRIBE_COMMANDS.has(name)) {
    // Leaving what it never joined: Redis's replies, with nothing to ask the store.
    if (client.subscriptions === 0 && name.endsWith("unsubscribe")) {
      const names = args.length > 1 ? args.slice(1) : [null];
      return Buffer.concat(names.map((channel) => Resp.array([Resp.bulk(name), Resp.bulk(channel), Resp.integer(0)])));
    }
    return "subscribe";
  }
  // Inside MULTI it was queued above: there it does not block, as in Redis.
  if (Blocking.isBlocking(name)) return "block";
  // Checked above: a data command is queued as it is, a connection command answered.
  return dataCommands.has(name) ? null : Session.handle(client.session, args);
}

/**
 * How the connection's output is reached from {@link run}.
 *
 * @example
 * ```ts
 * const io: Client.Io = { sw, write: channel.write, flush };
 * ```
 */
export interface Io {
  /** The connection's switch, for the subscriber's writer. */
  sw: Eio.Switch.Switch;
  /** Writes to the socket. */
  write(bytes: Uint8Array): Eio.Operation<void>;
  /** Sends the replies the connection holds, so that what follows comes after them. */
  flush(): Eio.Operation<void>;
  /** The clock of blocking commands' timeouts. */
  clock?: Eio.Time.Clock;
  /**
   * Reads what the client sends while it is blocked (kept for after) and returns once it has
   * gone: how a blocked client's disconnection is seen.
   */
  untilEnd?(): Eio.Operation<void>;
}

/**
 * Runs one of this module's commands (what {@link classify} named): its reply, or null if it
 * went through the client's mailbox.
 *
 * Suspends: yes — use `yield*`. Waits for the store.
 *
 * @example
 * ```ts
 * const reply = yield* Client.run(client, "exec", args, submit, io);
 * ```
 */
export function* run(client: Client, action: Exclude<Action, Buffer | null>, args: Buffer[], submit: Submit, io: Io): Eio.Operation<Buffer | null> {
  const named = { id: client.id };
  switch (action) {
    case "watch": {
      const reply = yield* submit([args], { client: named });
      client.watching = true;
      return Buffer.from(reply);
    }
    case "unwatch":
      yield* unwatch(client, submit);
      return Resp.OK;
    case "discard":
      client.multi = null;
      yield* unwatch(client, submit);
      return Resp.OK;
    case "abort":
      client.multi = null;
      yield* unwatch(client, submit);
      return client.abort;
    case "subscribe":
      yield* io.flush();
      return yield* throughMailbox(client, [args], {}, submit, io);
    case "exec":
      return yield* exec(client, submit, io);
    case "block":
      return yield* block(client, args, submit, io);
  }
}

/**
 * A blocking command (BLPOP, BLMOVE, BZMPOP ...): answered at once if a key holds what it
 * takes (or on an error); else the store has
 * registered the client and this fiber waits on the promise it will resolve, under
 * `Time.withTimeout`, while another fiber watches for the client leaving. Whatever ends the
 * wait (the timeout, the client leaving, the connection being cancelled) asks the store to
 * remove the waiter; if the store had served it already, the element is sent (timeout) or
 * put back where it was taken (the client is gone): nothing is lost.
 */
function* block(client: Client, args: Buffer[], submit: Submit, io: Io): Eio.Operation<Buffer | null> {
  const [woken, wake] = Eio.Promise.create<Blocking.Served>({ shared: client.shared });
  const first = Buffer.from(yield* submit([args], { client: { id: client.id, wake } }));
  if (!first.equals(Blocking.BLOCKED)) return first;
  // The replies before it go out now, as Redis writes them while the client waits.
  yield* io.flush();
  const ms = Blocking.timeoutOf(args);
  const clock = io.clock;
  if (ms > 0 && clock === undefined) throw new Error("Client.run: a blocking command with a timeout needs io.clock");
  let outcome: "served" | "timeout" | "gone";
  let given: Blocking.Served | null = null;
  try {
    outcome = yield* Eio.Fiber.first<"served" | "timeout" | "gone">(
      function* awaitServed() {
        if (ms === 0) {
          given = yield* Eio.Promise.await(woken);
          return "served";
        }
        const result = yield* Eio.Time.withTimeout(clock!, ms / 1000, function* () {
          return { ok: true as const, value: yield* Eio.Promise.await(woken) };
        });
        if (!result.ok) return "timeout";
        given = result.value;
        return "served";
      },
      function* awaitGone() {
        if (io.untilEnd === undefined) yield* Eio.Promise.await(Eio.Promise.create<void>()[0]);
        else yield* io.untilEnd();
        return "gone";
      },
    );
  } catch (error) {
    // Cancelled (the server is stopping): the client takes nothing.
    if (error instanceof Eio.Cancel.Cancelled) yield* Eio.Cancel.protect(() => unblock(client, woken, submit, true));
    throw error;
  }
  if (outcome === "served") return Buffer.from(given!.reply);
  const served = yield* unblock(client, woken, submit, outcome === "gone");
  if (outcome === "gone") {
    client.session.closing = true;
    return null;
  }
  return served === null ? Resp.NULL_ARRAY : Buffer.from(served.reply);
}

/**
 * Asks the store to remove the client's waiter. Returns what it was given if the store served
 * it first (null: it took nothing); if `putBack`, that element is pushed back where it was taken.
 */
function* unblock(client: Client, woken: Eio.Promise.Promise<Blocking.Served>, submit: Submit, putBack: boolean): Eio.Operation<Blocking.Served | null> {
  const reply = Buffer.from(yield* submit([], { client: { id: client.id, unblock: true } }));
  if (reply.equals(Resp.integer(1))) return null;
  // Served before the cancel arrived: its promise was resolved before the cancel's reply.
  const served = yield* Eio.Promise.await(woken);
  if (putBack && served.undo !== undefined) yield* submit([served.undo]);
  return served;
}

function* unwatch(client: Client, submit: Submit): Eio.Operation<void> {
  if (!client.watching) return;
  client.watching = false;
  yield* submit([[Buffer.from("UNWATCH")]], { client: { id: client.id } });
}

/** Sends a request whose replies go through the client's mailbox (made first if need be). */
function* throughMailbox(client: Client, commands: Uint8Array[][], options: { exec?: boolean }, submit: Submit, io: Io): Eio.Operation<null> {
  client.subscriber ??= Subscriber.open(io.sw, io.write, client.id, client.shared);
  const reply = yield* submit(commands, { ...options, client: client.subscriber.client });
  // The store answers with how many channels and patterns the client listens to now.
  client.subscriptions = Number(Buffer.from(reply).toString("latin1").slice(1, -2));
  if (client.subscriptions === 0) {
    yield* Subscriber.close(client.subscriber);
    client.subscriber = null;
  }
  return null;
}

function* exec(client: Client, submit: Submit, io: Io): Eio.Operation<Buffer | null> {
  const queued = client.multi!;
  client.multi = null;
  if (client.multiFailed) {
    yield* unwatch(client, submit);
    return Resp.error("EXECABORT Transaction discarded because of previous errors.");
  }
  const scratch = { ...client.session };
  const commands = queued.map((args) => {
    const name = CommandName.of(args[0]!);
    if (dataCommands.has(name) || STORE_COMMANDS.has(name)) return args;
    return [ClientRequest.LOCAL_REPLY, Session.handle(scratch, args) ?? Resp.error("ERR internal error: not a connection command")];
  });
  client.watching = false;
  if (client.subscriber !== null || queued.some((args) => SUBSCRIBE_COMMANDS.has(CommandName.of(args[0]!)))) {
    yield* io.flush();
    Object.assign(client.session, scratch);
    return yield* throughMailbox(client, commands, { exec: true }, submit, io);
  }
  const reply = Buffer.from(yield* submit(commands, { exec: true, client: { id: client.id } }));
  if (!reply.equals(Resp.NULL_ARRAY)) Object.assign(client.session, scratch);
  return reply;
}

/**
 * The store forgets the client's watched keys and subscriptions (the connection is closing);
 * done before the last reply goes out, so that a client that has seen the reply to its QUIT
 * is no longer counted by PUBSUB NUMSUB.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Client.forget(client, submit);
 * ```
 */
export function* forget(client: Client, submit: Submit): Eio.Operation<void> {
  if (client.watching || client.subscriptions > 0) yield* submit([], { client: { id: client.id, bye: true } });
  client.watching = false;
  client.subscriptions = 0;
}

/**
 * The connection is ending (the client left or quit): {@link forget}, then the mailbox is
 * written out and closed.
 *
 * Suspends: yes — use `yield*`.
 *
 * @example
 * ```ts
 * yield* Client.end(client, submit);
 * ```
 */
export function* end(client: Client, submit: Submit): Eio.Operation<void> {
  yield* forget(client, submit);
  if (client.subscriber !== null) {
    yield* Subscriber.close(client.subscriber);
    client.subscriber = null;
  }
}
