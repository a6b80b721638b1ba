/**
 * Pub/sub's registry, kept by the storage loop (the hub): which client listens to which
 * channels and patterns, and where to put what they receive. Each subscriber's connection,
 * served by whichever domain accepted it, gave the hub its mailbox: an `Eio.Stream` shared
 * between that domain and the storage domain. PUBLISH, from a connection of any domain, reaches
 * the hub on the storage queue; the hub puts the message into the mailbox of every client that
 * listens, and the subscriber's connection writes it out. Subscription confirmations travel by
 * the mailbox too, so a client sees them and its messages in the order the hub made them.
 *
 * Nothing is put into a mailbox while the hub runs a batch: {@link publish} and the
 * subscribe commands collect deliveries, and {@link deliver} hands them over once the batch is
 * committed (mailboxes are unbounded: `Stream.add` never waits, so a slow subscriber never
 * slows the hub or a publisher). Each subscriber counts the bytes it has been given and not yet
 * written to its socket (a cell of shared memory the connection decrements); past Redis's
 * `client-output-buffer-limit pubsub` (32mb hard; 8mb for 60 s soft) the hub drops it and
 * resolves its `kill` promise, which closes the connection.
 * @module
 */
import * as Eio from "eio-ts";
import * as Glob from "./glob.js";
import * as Resp from "./resp.js";
import { keyBytes, keyOf } from "./table.js";

/**
 * What a connection gives the hub when it subscribes.
 *
 * @example
 * ```ts
 * const mailbox = Eio.Stream.create<Uint8Array | null>(Infinity, { shared: true });
 * const [killed, kill] = Eio.Promise.create<void>({ shared: true });
 * const client: PubSub.Client = { id: "1:7", mailbox, output: new Int32Array(new SharedArrayBuffer(4)), kill };
 * ```
 */
export interface Client {
  /** Unique across domains (the domain's thread id, then a number). */
  id: string;
  /** Where the hub puts the client's confirmations and messages (null: the connection's own end marker). */
  mailbox: Eio.Stream.Stream<Uint8Array | null>;
  /** Bytes given to the client and not yet written, in cell 0: added by the hub, taken off by the connection. */
  output: Int32Array;
  /** Resolved when the hub drops the client for its output buffer. */
  kill: Eio.Promise.Resolver<void>;
}

/**
 * Redis's `client-output-buffer-limit pubsub 32mb 8mb 60`.
 *
 * @example
 * ```ts
 * const limits: PubSub.Limits = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };
 * ```
 */
export interface Limits {
  /** A client with this many bytes pending is dropped at once (0: no limit). */
  hard: number;
  /** A client with this many bytes pending for `softSeconds` is dropped (0: no limit). */
  soft: number;
  softSeconds: number;
}

/**
 * Redis 7.0's default limits for pub/sub clients.
 *
 * @example
 * ```ts
 * PubSub.DEFAULT_LIMITS.hard; // 33554432
 * ```
 */
export const DEFAULT_LIMITS: Limits = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };

interface Subscriber {
  client: Client;
  channels: Set<string>;
  patterns: Set<string>;
  /** When the pending bytes went over the soft limit (0: they are under it). */
  softSince: number;
  killed: boolean;
}

/**
 * The hub (opaque: use the functions below).
 *
 * @example
 * ```ts
 * const hub: PubSub.Hub = PubSub.create();
 * ```
 */
export interface Hub {
  /** @internal */ channels: Map<string, Set<Subscriber>>;
  /** @internal each pattern's matcher and subscribers */ patterns: Map<string, { matches: (channel: string) => boolean; subscribers: Set<Subscriber> }>;
  /** @internal by client id */ subscribers: Map<string, Subscriber>;
  /** @internal what to hand over once the batch is committed, per subscriber in order */ deliveries: Map<Subscriber, Uint8Array[]>;
  /** @internal */ limits: Limits;
  /** Clients dropped for their output buffer (for tests and INFO). */
  dropped: number;
}

/**
 * An empty hub.
 *
 * @example
 * ```ts
 * const hub = PubSub.create({ hard: 1024 * 1024, soft: 0, softSeconds: 0 });
 * ```
 */
export function create(limits: Limits = DEFAULT_LIMITS): Hub {
  return { channels: new Map(), patterns: new Map(), subscribers: new Map(), deliveries: new Map(), limits, dropped: 0 };
}

function count(subscriber: Subscriber): number {
  return subscriber.channels.size + subscriber.patterns.size;
}

/** Queues `bytes` for `subscriber`, and drops it if that takes it over a limit. */
function give(hub: Hub, subscriber: Subscriber, bytes: Uint8Array, now: number): void {
  if (subscriber.killed) return;
  let queued = hub.deliveries.get(subscriber);
  if (queued === undefined) hub.deliveries.set(subscriber, (queued = []));
  queued.push(bytes);
  const pending = Atomics.add(subscriber.client.output, 0, bytes.length) + bytes.length;
  const { hard, soft, softSeconds } = hub.limits;
  if (soft > 0 && pending >= soft) {
    if (subscriber.softSince === 0) subscriber.softSince = now;
    else if (now - subscriber.softSince >= softSeconds * 1000) return drop(hub, subscriber);
  } else subscriber.softSince = 0;
  if (hard > 0 && pending >= hard) drop(hub, subscriber);
}

/** Forgets `subscriber` and tells its connection to close, as Redis closes a client over its limit. */
function drop(hub: Hub, subscriber: Subscriber): void {
  subscriber.killed = true;
  hub.dropped++;
  forget(hub, subscriber);
  hub.deliveries.delete(subscriber);
  // Already resolved if it was dropped before: the connection is going anyway.
  Eio.Promise.tryResolve(subscriber.client.kill, undefined);
}

function forget(hub: Hub, subscriber: Subscriber): void {
  for (const channel of subscriber.channels) removeFrom(hub.channels, channel, subscriber);
  for (const pattern of subscriber.patterns) {
    const entry = hub.patterns.get(pattern)!;
    entry.subscribers.delete(subscriber);
    if (entry.subscribers.size === 0) hub.patterns.delete(pattern);
  }
  subscriber.channels.clear();
  subscriber.patterns.clear();
  hub.subscribers.delete(subscriber.client.id);
}

function removeFrom(map: Map<string, Set<Subscriber>>, name: string, subscriber: Subscriber): void {
  const set = map.get(name);
  if (set === undefined) return;
  set.delete(subscriber);
  if (set.size === 0) map.delete(name);
}

function confirmation(kind: string, name: string | null, n: number): Buffer {
  return Resp.array([Resp.bulk(kind), Resp.bulk(name === null ? null : keyBytes(name)), Resp.integer(n)]);
}

/**
 * Runs SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE or PUNSUBSCRIBE (`args`, name first) for `client`,
 * and returns its confirmations (the caller gives them to the client with {@link reply}, so
 * they reach it in order with its messages).
 *
 * @example
 * ```ts
 * PubSub.subscribe(hub, client, ["SUBSCRIBE", "news"].map((a) => Buffer.from(a))); // *3 subscribe news :1
 * ```
 */
export function subscribe(hub: Hub, client: Client, args: Buffer[]): Buffer {
  const kind = args[0]!.toString("latin1").toLowerCase();
  let subscriber = hub.subscribers.get(client.id);
  if (subscriber === undefined) {
    subscriber = newSubscriber(client);
    hub.subscribers.set(client.id, subscriber);
  }
  const names = args.slice(1).map(keyOf);
  const isPattern = kind.startsWith("p");
  const own = isPattern ? subscriber.patterns : subscriber.channels;
  const replies: Buffer[] = [];
  if (kind === "subscribe" || kind === "psubscribe") {
    for (const name of names) {
      if (!own.has(name)) {
        own.add(name);
        if (isPattern) {
          let entry = hub.patterns.get(name);
          if (entry === undefined) hub.patterns.set(name, (entry = { matches: Glob.compile(name), subscribers: new Set() }));
          entry.subscribers.add(subscriber);
        } else {
          let set = hub.channels.get(name);
          if (set === undefined) hub.channels.set(name, (set = new Set()));
          set.add(subscriber);
        }
      }
      replies.push(confirmation(kind, name, count(subscriber)));
    }
  } else {
    // No names: every one of that kind; none then gets one reply with a null name.
    const leaving = names.length > 0 ? names : [...own];
    if (leaving.length === 0) replies.push(confirmation(kind, null, count(subscriber)));
    for (const name of leaving) {
      if (own.delete(name)) {
        if (isPattern) {
          const entry = hub.patterns.get(name)!;
          entry.subscribers.delete(subscriber);
          if (entry.subscribers.size === 0) hub.patterns.delete(name);
        } else removeFrom(hub.channels, name, subscriber);
      }
      replies.push(confirmation(kind, name, count(subscriber)));
    }
  }
  // Kept only while it listens (what is queued for it still reaches it).
  if (count(subscriber) === 0) hub.subscribers.delete(client.id);
  return Buffer.concat(replies);
}

function newSubscriber(client: Client): Subscriber {
  return { client, channels: new Set(), patterns: new Set(), softSince: 0, killed: false };
}

/**
 * Gives `bytes` (replies to `client`'s request) to `client`, after what the hub gave it before.
 *
 * @example
 * ```ts
 * PubSub.reply(hub, client, Resp.PONG, Date.now());
 * ```
 */
export function reply(hub: Hub, client: Client, bytes: Uint8Array, now: number): void {
  // A client that listens to nothing has no record; one made here lives in the deliveries only.
  let subscriber = hub.subscribers.get(client.id);
  if (subscriber === undefined) {
    for (const queued of hub.deliveries.keys()) if (queued.client.id === client.id) subscriber = queued;
  }
  give(hub, subscriber ?? newSubscriber(client), bytes, now);
}

/**
 * How many channels and patterns client `id` listens to (0 once it was dropped).
 *
 * @example
 * ```ts
 * PubSub.subscriptions(hub, "1:7"); // 2
 * ```
 */
export function subscriptions(hub: Hub, id: string): number {
  const subscriber = hub.subscribers.get(id);
  return subscriber === undefined ? 0 : count(subscriber);
}

/**
 * Forgets client `id` (its connection closed).
 *
 * @example
 * ```ts
 * PubSub.leave(hub, "1:7");
 * ```
 */
export function leave(hub: Hub, id: string): void {
  const subscriber = hub.subscribers.get(id);
  if (subscriber === undefined) return;
  forget(hub, subscriber);
  hub.deliveries.delete(subscriber);
}

/**
 * PUBLISH: queues `message` for every client listening to `channel` (a `message`) or to a
 * pattern it matches (a `pmessage` per pattern). Returns how many were given it.
 *
 * @example
 * ```ts
 * PubSub.publish(hub, Buffer.from("news"), Buffer.from("hello"), Date.now()); // 2
 * ```
 */
export function publish(hub: Hub, channel: Buffer, message: Buffer, now: number): number {
  const name = keyOf(channel);
  let receivers = 0;
  const subscribers = hub.channels.get(name);
  if (subscribers !== undefined) {
    const bytes = Resp.array([MESSAGE, Resp.bulk(channel), Resp.bulk(message)]);
    for (const subscriber of [...subscribers]) {
      give(hub, subscriber, bytes, now);
      receivers++;
    }
  }
  for (const [pattern, entry] of [...hub.patterns]) {
    if (!entry.matches(name)) continue;
    const bytes = Resp.array([PMESSAGE, Resp.bulk(keyBytes(pattern)), Resp.bulk(channel), Resp.bulk(message)]);
    for (const subscriber of [...entry.subscribers]) {
      give(hub, subscriber, bytes, now);
      receivers++;
    }
  }
  return receivers;
}

const MESSAGE = Resp.bulk("message");
const PMESSAGE = Resp.bulk("pmessage");

/**
 * Takes what the hub queued since the last call: each subscriber's mailbox and its bytes, in
 * order, joined. The storage loop adds them to the mailboxes once the batch is committed.
 *
 * @example
 * ```ts
 * for (const [mailbox, bytes] of PubSub.takeDeliveries(hub)) yield* Eio.Stream.add(mailbox, bytes);
 * ```
 */
export function takeDeliveries(hub: Hub): [Client, Uint8Array][] {
  if (hub.deliveries.size === 0) return [];
  const out: [Client, Uint8Array][] = [];
  for (const [subscriber, parts] of hub.deliveries) {
    if (!subscriber.killed) out.push([subscriber.client, parts.length === 1 ? parts[0]! : Buffer.concat(parts)]);
  }
  hub.deliveries.clear();
  return out;
}

/**
 * The client could not be given its bytes (the shared heap is full, say): drop it as if it
 * had gone over its limit.
 *
 * @example
 * ```ts
 * PubSub.undeliverable(hub, client);
 * ```
 */
export function undeliverable(hub: Hub, client: Client): void {
  const subscriber = hub.subscribers.get(client.id) ?? newSubscriber(client);
  drop(hub, subscriber);
}

const PUBSUB_SUBCOMMANDS: Record<string, number> = { channels: -2, numsub: -2, numpat: 2, shardchannels: -2, shardnumsub: -2 };

/**
 * Why a PUBSUB command is refused before it runs (Redis checks subcommands when a command
 * arrives, so inside MULTI they abort the transaction), or null.
 *
 * @example
 * ```ts
 * PubSub.checkPubsub(["PUBSUB", "FOO"].map((a) => Buffer.from(a))); // "ERR unknown subcommand 'FOO'. Try PUBSUB HELP."
 * ```
 */
export function checkPubsub(args: Buffer[]): string | null {
  const sub = args[1]!.toString("latin1");
  const arity = Object.hasOwn(PUBSUB_SUBCOMMANDS, sub.toLowerCase()) ? PUBSUB_SUBCOMMANDS[sub.toLowerCase()]! : undefined;
  if (arity === undefined) return `ERR unknown subcommand '${sub.slice(0, 128)}'. Try PUBSUB HELP.`;
  if (arity >= 0 ? args.length !== arity : args.length < -arity) return `ERR wrong number of arguments for 'pubsub|${sub.toLowerCase()}' command`;
  return null;
}

/**
 * PUBSUB CHANNELS [pattern], NUMSUB [channel ...], NUMPAT (and the sharded forms, always
 * empty here: there is no cluster).
 *
 * @example
 * ```ts
 * PubSub.pubsub(hub, ["PUBSUB", "NUMPAT"].map((a) => Buffer.from(a))).toString(); // ":0\r\n"
 * ```
 */
export function pubsub(hub: Hub, args: Buffer[]): Buffer {
  const refused = checkPubsub(args);
  if (refused !== null) return Resp.error(refused);
  switch (args[1]!.toString("latin1").toLowerCase()) {
    case "channels": {
      // Checked when it runs, as Redis does: in a transaction it fails alone.
      if (args.length > 3) return Resp.error(`ERR unknown subcommand or wrong number of arguments for '${args[1]!.toString("latin1")}'. Try PUBSUB HELP.`);
      const matches = args.length > 2 ? Glob.compile(keyOf(args[2]!)) : () => true;
      return Resp.bulkArray([...hub.channels.keys()].filter(matches).map(keyBytes));
    }
    case "numsub":
      return Resp.array(args.slice(2).flatMap((channel) => [Resp.bulk(channel), Resp.integer(hub.channels.get(keyOf(channel))?.size ?? 0)]));
    case "numpat":
      return Resp.integer(hub.patterns.size);
    case "shardchannels":
      return Resp.EMPTY_ARRAY;
    default: // shardnumsub
      return Resp.array(args.slice(2).flatMap((channel) => [Resp.bulk(channel), Resp.integer(0)]));
  }
}
