/**
 * One client connection's state and the commands that only touch it (PING, ECHO, TIME, SELECT,
 * QUIT, AUTH, HELLO, CLIENT, CONFIG GET, COMMAND). {@link handle} answers those at once and
 * sends data commands (INFO too: the store has its numbers) to the storage loop, so a ping
 * never waits for an fsync. With a
 * `requirepass`, every command but AUTH, HELLO and QUIT gets Redis's NOAUTH error until the
 * client has authenticated.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import * as CommandName from "./command-name.js";
import { arityOk, dataCommands, Errors, parseInteger } from "./commands.js";
import * as Glob from "./glob.js";
import * as Resp from "./resp.js";

/**
 * Facts about the server that CONFIG GET and CLIENT report.
 *
 * @example
 * ```ts
 * const server: ServerInfo = { port: 6380, dir: "/var/lib/kv", startedAt: Date.now(), requirepass: "s3cret" };
 * ```
 */
export interface ServerInfo {
  port: number;
  dir: string;
  startedAt: number;
  /** The password clients must AUTH with before other commands; none when null or absent. */
  requirepass?: string | null;
  /** CONFIG GET's answers for the settings as they are now, by Redis's names. */
  settings?: Readonly<Record<string, string>>;
  /** CONFIG SET: sets all the pairs or none; null, or Redis's error message. */
  configSet?: (pairs: [string, string][]) => string | null;
  /** SHUTDOWN: asks the server to stop as on SIGTERM. */
  shutdown?: () => void;
  /** The error's text while the log cannot be written (PING is refused then, as in Redis), else null. */
  diskError?: () => string | null;
}

/**
 * A connection's state.
 *
 * @example
 * ```ts
 * const session: Session = Session.create(server, "127.0.0.1:50000");
 * ```
 */
export interface Session {
  id: number;
  name: string | null;
  address: string;
  localAddress: string;
  /** Set by QUIT or a protocol error: close once the pending replies are written. */
  closing: boolean;
  /** False until AUTH (or HELLO ... AUTH) gives the server's requirepass. */
  authenticated: boolean;
  server: ServerInfo;
  /** The last command it sent, as CLIENT LIST names it (`get`, `client|list`; `NULL` before any). */
  lastCommand: string;
  /** Ends the connection from another client's CLIENT KILL (set by the connection; null: not killable). */
  kill: (() => void) | null;
}

let lastId = 0;
/**
 * This thread's connections, for CLIENT LIST and CLIENT KILL. With `--domains N` each domain
 * knows its own: those commands see the clients of the domain that serves the caller.
 */
const live = new Map<number, Session>();

/**
 * A fresh session for a new connection.
 *
 * @example
 * ```ts
 * const session = Session.create(server, "127.0.0.1:50000", "127.0.0.1:6380");
 * ```
 */
export function create(server: ServerInfo, address = "", localAddress = ""): Session {
  const session: Session = { id: ++lastId, name: null, address, localAddress, closing: false, authenticated: !hasPassword(server), server, lastCommand: "NULL", kill: null };
  live.set(session.id, session);
  return session;
}

/**
 * The connection of `session` is gone: CLIENT LIST and CLIENT KILL no longer see it.
 *
 * @example
 * ```ts
 * Session.forget(session);
 * ```
 */
export function forget(session: Session): void {
  live.delete(session.id);
}

type Handler = (session: Session, args: Buffer[]) => Buffer;

function clientInfo(session: Session): string {
  return `id=${session.id} addr=${session.address} laddr=${session.localAddress} fd=0 name=${session.name ?? ""} db=0 resp=2 cmd=${session.lastCommand}\n`;
}

/** CLIENT LIST [ID id [id ...]]: this thread's clients, one line each, oldest first. */
function clientList(session: Session, args: Buffer[]): Buffer {
  let ids: Set<number> | null = null;
  if (args.length > 2) {
    if (args[2]!.toString("latin1").toUpperCase() !== "ID" || args.length === 3) return Resp.error(Errors.syntax);
    ids = new Set();
    for (const arg of args.slice(3)) {
      const id = parseInteger(arg);
      if (id === null) return Resp.error("ERR Invalid client ID");
      ids.add(Number(id));
    }
  }
  const sessions = live.has(session.id) ? [...live.values()] : [session, ...live.values()];
  return Resp.bulk(sessions.filter((s) => ids === null || ids.has(s.id)).map(clientInfo).join(""));
}

/**
 * CLIENT KILL addr:port (the old form: OK, or "No such client"), or CLIENT KILL with filters
 * ID, ADDR, LADDR and SKIPME (the new form: how many were killed; SKIPME yes by default). A
 * client that kills itself is closed once its reply is written, as in Redis.
 */
function clientKill(session: Session, args: Buffer[]): Buffer {
  const matchesOf = (test: (s: Session) => boolean) => [...live.values()].filter(test);
  const end = (target: Session): void => {
    if (target.id === session.id) session.closing = true;
    else target.kill?.();
  };
  if (args.length === 3) {
    const addr = args[2]!.toString("latin1");
    const found = matchesOf((s) => s.address === addr);
    if (found.length === 0) return Resp.error("ERR No such client");
    found.forEach(end);
    return Resp.OK;
  }
  if (args.length % 2 !== 0) return Resp.error(Errors.syntax);
  const tests: ((s: Session) => boolean)[] = [];
  let skipme = true;
  for (let i = 2; i < args.length; i += 2) {
    const option = args[i]!.toString("latin1").toUpperCase();
    const value = args[i + 1]!;
    if (option === "ID") {
      const id = parseInteger(value);
      if (id === null || id <= 0n) return Resp.error("ERR client-id should be greater than 0");
      tests.push((s) => BigInt(s.id) === id);
    } else if (option === "ADDR") {
      const addr = value.toString("latin1");
      tests.push((s) => s.address === addr);
    } else if (option === "LADDR") {
      const addr = value.toString("latin1");
      tests.push((s) => s.localAddress === addr);
    } else if (option === "SKIPME") {
      const yes = value.toString("latin1").toLowerCase();
      if (yes !== "yes" && yes !== "no") return Resp.error(Errors.syntax);
      skipme = yes === "yes";
    } else return Resp.error(Errors.syntax);
  }
  const found = matchesOf((s) => (!skipme || s.id !== session.id) && tests.every((test) => test(s)));
  found.forEach(end);
  return Resp.integer(found.length);
}

function setName(session: Session, name: Buffer): Buffer {
  if (name.some((byte) => byte <= 32 || byte > 126)) {
    return Resp.error("ERR Client names cannot contain spaces, newlines or special characters.");
  }
  session.name = name.length === 0 ? null : name.toString("latin1");
  return Resp.OK;
}

function config(session: Session): Record<string, string> {
  return {
    save: "", appendonly: "yes", appendfsync: "always", databases: "1",
    port: String(session.server.port), bind: "127.0.0.1", dir: session.server.dir,
    ...session.server.settings,
  };
}

const Auth = {
  noauth: "NOAUTH Authentication required.",
  wrongpass: "WRONGPASS invalid username-password pair or user is disabled.",
  noPassword: "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
  helloFirst: "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
};

function hasPassword(server: ServerInfo): boolean {
  return server.requirepass !== undefined && server.requirepass !== null;
}

/** Compared as digests, in constant time (as Redis does), so timing tells nothing of the password. */
function samePassword(given: Buffer, requirepass: string): boolean {
  const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest();
  return timingSafeEqual(digest(given), digest(Buffer.from(requirepass, "latin1")));
}

/**
 * Checks a password for `user` as Redis's default user does: with no requirepass, any password
 * is right for "default" (it has `nopass`); there are no other users.
 */
function authenticate(session: Session, user: string, password: Buffer): boolean {
  const ok = user === "default" && (!hasPassword(session.server) || samePassword(password, session.server.requirepass!));
  if (ok) session.authenticated = true;
  return ok;
}

function auth(session: Session, args: Buffer[]): Buffer {
  if (args.length > 3) return Resp.error(Errors.syntax);
  if (args.length === 2 && !hasPassword(session.server)) return Resp.error(Auth.noPassword);
  const user = args.length === 3 ? args[1]!.toString("latin1") : "default";
  return authenticate(session, user, args[args.length - 1]!) ? Resp.OK : Resp.error(Auth.wrongpass);
}

const subcommands: Record<string, Record<string, { arity: number; run: Handler }>> = {
  client: {
    setname: { arity: 3, run: (s, a) => setName(s, a[2]!) },
    getname: { arity: 2, run: (s) => Resp.bulk(s.name) },
    id: { arity: 2, run: (s) => Resp.integer(s.id) },
    info: { arity: 2, run: (s) => Resp.bulk(clientInfo(s)) },
    list: { arity: -2, run: clientList },
    kill: { arity: -3, run: clientKill },
    setinfo: { arity: 4, run: () => Resp.OK },
  },
  config: {
    get: { arity: -3, run(s, a) {
      const values = config(s);
      const found: string[] = [];
      for (const pattern of a.slice(2)) {
        const matches = Glob.compile(pattern.toString("latin1").toLowerCase());
        for (const [name, value] of Object.entries(values)) if (matches(name) && !found.includes(name)) found.push(name, value);
      }
      return Resp.bulkArray(found);
    } },
    resetstat: { arity: 2, run: () => Resp.OK },
    set: { arity: -4, run(s, a) {
      if (a.length % 2 !== 0) return Resp.error(Errors.syntax);
      const pairs: [string, string][] = [];
      for (let i = 2; i < a.length; i += 2) pairs.push([a[i]!.toString("latin1"), a[i + 1]!.toString("latin1")]);
      if (s.server.configSet === undefined) return Resp.error("ERR CONFIG SET is not available");
      const error = s.server.configSet(pairs);
      return error === null ? Resp.OK : Resp.error(error);
    } },
  },
  command: {
    docs: { arity: -2, run: () => Resp.EMPTY_ARRAY },
    info: { arity: -2, run: () => Resp.EMPTY_ARRAY },
    count: { arity: 2, run: () => Resp.integer(dataCommands.size + Object.keys(commands).length) },
  },
};

function withSubcommands(group: string): Handler {
  return (session, args) => {
    const name = args[1]!.toString("latin1").toLowerCase();
    const sub = subcommands[group]![name];
    if (sub === undefined) {
      return Resp.error(`ERR unknown subcommand '${args[1]!.toString("latin1").slice(0, 128)}'. Try ${group.toUpperCase()} HELP.`);
    }
    if (!arityOk(sub.arity, args)) return Resp.error(Errors.arity(`${group}|${name}`));
    return sub.run(session, args);
  };
}

function hello(session: Session, args: Buffer[]): Buffer {
  if (args.length >= 2) {
    const version = parseInteger(args[1]!);
    if (version === null) return Resp.error("ERR Protocol version is not an integer or out of range");
    if (version !== 2n) return Resp.error("NOPROTO unsupported protocol version");
  }
  for (let i = 2; i < args.length; i++) {
    const option = args[i]!.toString("latin1");
    if (option.toUpperCase() === "SETNAME" && i + 1 < args.length) {
      const reply = setName(session, args[++i]!);
      if (reply !== Resp.OK) return reply;
    } else if (option.toUpperCase() === "AUTH" && i + 2 < args.length) {
      if (!authenticate(session, args[i + 1]!.toString("latin1"), args[i + 2]!)) return Resp.error(Auth.wrongpass);
      i += 2;
    } else return Resp.error(`ERR Syntax error in HELLO option '${option}'`);
  }
  if (!session.authenticated) return Resp.error(Auth.helloFirst);
  return Resp.array([
    Resp.bulk("server"), Resp.bulk("redis"), Resp.bulk("version"), Resp.bulk("7.0.0"),
    Resp.bulk("proto"), Resp.integer(2), Resp.bulk("id"), Resp.integer(session.id),
    Resp.bulk("mode"), Resp.bulk("standalone"), Resp.bulk("role"), Resp.bulk("master"),
    Resp.bulk("modules"), Resp.EMPTY_ARRAY,
  ]);
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: the server stops as on SIGTERM (it always syncs its log;
 * there is no snapshot to save or skip). As in Redis the client gets no reply: the server closes.
 */
function shutdown(session: Session, args: Buffer[]): Buffer {
  const options = args.slice(1).map((arg) => arg.toString("latin1").toUpperCase());
  if (options.includes("ABORT")) return Resp.error(options.length === 1 ? "ERR No shutdown in progress." : Errors.syntax);
  const known = new Set(["NOSAVE", "SAVE", "NOW", "FORCE"]);
  if (options.some((option) => !known.has(option)) || (options.includes("NOSAVE") && options.includes("SAVE"))) return Resp.error(Errors.syntax);
  if (session.server.shutdown === undefined) return Resp.error("ERR SHUTDOWN is not available");
  session.server.shutdown();
  session.closing = true;
  return Buffer.alloc(0);
}

/**
 * TIME's reply for `nowMs` (milliseconds since the epoch, with a fraction): the seconds and the
 * microseconds within the second, as two bulk strings, as Redis answers.
 *
 * @example
 * ```ts
 * Session.time(1_700_000_000_123.4567).toString(); // "*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n"
 * ```
 */
export function time(nowMs: number): Buffer {
  const seconds = Math.floor(nowMs / 1000);
  const micros = Math.floor((nowMs - seconds * 1000) * 1000);
  return Resp.bulkArray([String(seconds), String(micros)]);
}

const commands: Record<string, { arity: number; run: Handler }> = {
  ping: { arity: -1, run: (_, a) => (a.length === 1 ? Resp.PONG : a.length === 2 ? Resp.bulk(a[1]!) : Resp.error(Errors.arity("ping"))) },
  echo: { arity: 2, run: (_, a) => Resp.bulk(a[1]!) },
  time: { arity: 1, run: () => time(performance.timeOrigin + performance.now()) },
  select: { arity: 2, run(_, a) {
    const index = parseInteger(a[1]!);
    if (index === null) return Resp.error(Errors.notInteger);
    return index === 0n ? Resp.OK : Resp.error("ERR DB index is out of range");
  } },
  quit: { arity: -1, run(s) {
    s.closing = true;
    return Resp.OK;
  } },
  hello: { arity: -1, run: hello },
  shutdown: { arity: -1, run: shutdown },
  auth: { arity: -2, run: auth },
  client: { arity: -2, run: withSubcommands("client") },
  config: { arity: -2, run: withSubcommands("config") },
  command: { arity: -1, run: (s, a) => (a.length === 1 ? Resp.EMPTY_ARRAY : withSubcommands("command")(s, a)) },
};

/** The commands a client may send before it has authenticated. */
const NO_AUTH = new Set(["auth", "hello", "quit"]);

/**
 * Answers a connection command or a malformed data command at once (the reply), or returns
 * null for a well-formed data command, which the caller queues for the storage loop.
*
 * @example
 * ```ts
 * Session.handle(session, [Buffer.from("PING")]);            // +PONG
 * Session.handle(session, [Buffer.from("GET"), Buffer.from("k")]); // null: for the store
 * ```
 */
export function handle(session: Session, args: Buffer[]): Buffer | null {
  const name = CommandName.of(args[0]!);
  const refused = check(session, args);
  if (refused !== null) return refused;
  return dataCommands.has(name) ? null : commands[name]!.run(session, args);
}

/**
 * Why Redis would refuse `args` before running it (unknown, wrong arity, not authenticated; the
 * error reply), or null. Commands of `extra` (name to arity) count as known too.
 *
 * @example
 * ```ts
 * Session.check(session, [Buffer.from("GET")]); // -ERR wrong number of arguments for 'get' command
 * ```
 */
export function check(session: Session, args: Buffer[], extra?: ReadonlyMap<string, number>): Buffer | null {
  const name = CommandName.of(args[0]!);
  const arity = dataCommands.get(name)?.arity ?? (Object.hasOwn(commands, name) ? commands[name]!.arity : extra?.get(name));
  // Redis's order: an unknown command or a wrong arity is reported before a missing AUTH.
  if (arity === undefined) return Resp.error(Errors.unknown(args));
  if (!arityOk(arity, args)) return Resp.error(Errors.arity(name));
  if (!session.authenticated && !NO_AUTH.has(name)) return Resp.error(Auth.noauth);
  return null;
}
