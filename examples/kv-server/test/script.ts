// Runs the same script of commands, from several raw connections, against kv-server and
// redis-server, so the tests can compare every byte each connection received. After each step
// the connection that acted (and any named in `sync`) is sent `PING <marker>` and read up to
// the marker's reply: whatever came before it (replies, pub/sub messages) is that step's output.
// (A MULTI that fails still reads one reply, and so does QUIT; scripts do not pipeline.)
// Redis and kv-server both put a message into a subscriber's output before answering the
// PUBLISH, so the output of a step never depends on timing. A connection inside MULTI is not
// pinged (the PING would be queued): its one reply is read instead.
import * as net from "node:net";
import { decodeReplies, encodeCommand, type Reply } from "./reply.js";

/** One command, on connection `on` (a name), and the other connections to read after it. */
export interface Step {
  on: string;
  command: string[];
  sync?: string[];
  /** Sort what each connection read in this step, and the arrays in it (where Redis leaves the order open). */
  unordered?: boolean;
  /** Rewrites what each connection read in this step before it is compared (where Redis leaves more open). */
  normalize?: (replies: Reply[]) => unknown;
  /** Wait until the clock passes this many ms after the previous step (expiry scenarios). */
  after?: number;
}

/** A raw connection that reads whole replies. */
export class Connection {
  private buffer = Buffer.alloc(0);
  private replies: Reply[] = [];
  private waiters: (() => void)[] = [];
  /** Every byte received, for tests that count them. */
  received = 0;
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk) => {
      this.received += chunk.length;
      const { replies, rest } = decodeReplies(Buffer.concat([this.buffer, chunk]));
      this.buffer = Buffer.from(rest);
      this.replies.push(...replies);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on("close", () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on("error", () => {});
  }

  static async open(port: number): Promise<Connection> {
    const socket = net.connect({ host: "127.0.0.1", port });
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new Connection(socket);
  }

  send(...args: string[]): void {
    this.socket.write(encodeCommand(...args));
  }

  /** Reads `count` whole replies. */
  async read(count: number): Promise<Reply[]> {
    while (this.replies.length < count) {
      if (this.closed) throw new Error(`connection closed after ${this.replies.length} of ${count} replies`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.replies.splice(0, count);
  }

  /** Waits until the server has closed the connection. */
  async closedByServer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Reads replies until one equals `marker` (a bulk string, or pub/sub's ["pong", marker]); returns those before it. */
  async readUntil(marker: string): Promise<Reply[]> {
    const out: Reply[] = [];
    for (;;) {
      const [reply] = await this.read(1);
      if (reply === marker || (Array.isArray(reply) && reply[0] === "pong" && reply[1] === marker)) return out;
      out.push(reply!);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function sortDeep(reply: Reply): Reply {
  if (!Array.isArray(reply)) return reply;
  return reply.map(sortDeep).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** One line per step: the step, then what each connection read, as JSON. */
export async function runScript(port: number, steps: Step[]): Promise<string[]> {
  const connections = new Map<string, Connection>();
  const inMulti = new Set<string>();
  const lines: string[] = [];
  let marker = 0;
  let last = Date.now();
  try {
    for (const step of steps) {
      for (const name of [step.on, ...(step.sync ?? [])]) {
        if (!connections.has(name)) connections.set(name, await Connection.open(port));
      }
      if (step.after !== undefined) {
        const until = last + step.after;
        while (Date.now() <= until) await new Promise((resolve) => setTimeout(resolve, until + 1 - Date.now()));
      }
      const actor = connections.get(step.on)!;
      actor.send(...step.command);
      last = Date.now();
      const name = step.command[0]!.toUpperCase();
      const parts: string[] = [];
      for (const who of [step.on, ...(step.sync ?? [])]) {
        const connection = connections.get(who)!;
        let replies: Reply[];
        // Inside MULTI (or starting one) a PING would be queued: read the one reply instead.
        if (who === step.on && (inMulti.has(who) || name === "MULTI" || name === "QUIT")) replies = await connection.read(1);
        else {
          const m = `m${++marker}`;
          connection.send("PING", m);
          replies = await connection.readUntil(m);
        }
        const shown = step.normalize !== undefined ? step.normalize(replies) : step.unordered ? sortDeep(replies) : replies;
        parts.push(`${who}: ${JSON.stringify(shown)}`);
      }
      if (name === "MULTI" && parts[0] === `${step.on}: ["OK"]`) inMulti.add(step.on);
      if (name === "EXEC" || name === "DISCARD") inMulti.delete(step.on);
      lines.push(`${step.on}> ${step.command.join(" ")}  =>  ${parts.join("  |  ")}`);
    }
  } finally {
    // QUIT, not a reset: both servers forget a client before they answer its QUIT, so the next
    // script finds no subscriber or watcher of this one.
    await Promise.all([...connections.values()].map(async (connection) => {
      if (!connection.closed) {
        connection.send("QUIT");
        await connection.closedByServer();
      }
      connection.close();
    }));
  }
  return lines;
}
