// The FLOOR rows of `bench/kv.mjs`: what Node itself reaches on this machine with the least a
// durable Redis-protocol server must do, so that kv-server's rows can be read against them. A bare
// node:net server, no Eio: it parses RESP arrays, keeps strings in a Map (GET, SET, and the
// PING and CONFIG GET that redis-benchmark sends first), and appends each SET to a log file in
// the data dir. As Redis's beforeSleep, the replies of an event-loop turn are held until its
// end (setImmediate), when the turn's log records are written with one writeSync and, with
// `--appendfsync always`, made durable with one fdatasync before any reply goes out; with
// `everysec` a timer fdatasyncs once a second. Other commands get an error.
//
// With `--storage-thread yes` it has kv-server's default shape, the blog's storage domain, with
// raw worker messaging: the main thread reads the sockets and, at the end of each turn, posts
// the turn's commands in one message to a worker thread that owns the Map and the log. The
// worker takes every turn queued on its port (receiveMessageOnPort), runs them, writes and
// fdatasyncs once, and posts each turn's replies back in one message; the main thread goes on
// reading meanwhile, and writes a turn's replies when they arrive.
// Usage: node bench/lib/kv-floor-server.mjs --port 0 --appendfsync always|everysec --dir DIR [--storage-thread yes]
// It prints `listening on 127.0.0.1:PORT` (as kv-server does) and exits on SIGTERM.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData } from "node:worker_threads";

const OK = Buffer.from("+OK\r\n");
const NULL = Buffer.from("$-1\r\n");
const PONG = Buffer.from("+PONG\r\n");
const CRLF = Buffer.from("\r\n");
const EMPTY = Buffer.alloc(0);

/** The table and its log: the main thread's, or the storage thread's. */
function openStore(dir, appendfsync) {
  const data = new Map();
  const fd = fs.openSync(path.join(dir, "floor.log"), "a");
  let log = [];
  let unsynced = false;
  if (appendfsync === "everysec") {
    setInterval(() => {
      if (!unsynced) return;
      unsynced = false;
      fs.fdatasync(fd, (error) => {
        if (error) throw error;
      });
    }, 1000).unref();
  }
  return {
    /** Runs one command (its arguments, latin1 strings except values) and returns the reply. */
    run(args, raw) {
      const name = args[0].toLowerCase();
      if (name === "get" && args.length === 2) {
        const value = data.get(args[1]);
        return value === undefined ? NULL : bulk(value);
      }
      if (name === "set" && args.length === 3) {
        // The value is copied out of the socket's chunk: the Map keeps it.
        data.set(args[1], Buffer.from(args[2], "latin1"));
        log.push(raw);
        return OK;
      }
      if (name === "ping") return PONG;
      // redis-benchmark asks for `save` and `appendonly` first: a name and an empty value.
      if (name === "config" && args.length === 3) return Buffer.concat([Buffer.from("*2\r\n"), bulk(Buffer.from(args[2], "latin1")), bulk(EMPTY)]);
      return Buffer.from(`-ERR unknown command '${args[0]}'\r\n`, "latin1");
    },
    /** One write of the records since the last commit and, with `always`, one fdatasync. */
    commit() {
      if (log.length === 0) return;
      const bytes = log.length === 1 ? log[0] : Buffer.concat(log);
      log = [];
      for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off);
      if (appendfsync === "always") fs.fdatasyncSync(fd);
      else unsynced = true;
    },
    close: () => fs.closeSync(fd),
  };
}

function bulk(value) {
  return Buffer.concat([Buffer.from(`$${value.length}\r\n`, "latin1"), value, CRLF]);
}

if (!isMainThread) {
  // The storage thread: each message is a turn, an array of connections' commands (arrays of
  // [args, raw]); each gets back one message, an array of each connection's replies.
  const store = openStore(workerData.dir, workerData.appendfsync);
  const port = workerData.port;
  const runTurn = (turn) => turn.map((commands) => {
    const replies = commands.map(([args, raw]) => store.run(args, raw));
    return replies.length === 1 ? replies[0] : Buffer.concat(replies);
  });
  port.on("message", (first) => {
    const answers = [runTurn(first)];
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) answers.push(runTurn(m.message));
    store.commit();
    for (const answer of answers) port.postMessage(answer);
  });
} else {
  main();
}

function main() {
  const options = { port: 0, appendfsync: "always", dir: ".", "storage-thread": "no" };
  for (let i = 2; i < process.argv.length; i += 2) {
    const name = process.argv[i].replace(/^--/, "");
    if (!(name in options) || i + 1 >= process.argv.length) {
      console.error(`kv-floor-server: unknown or incomplete argument ${JSON.stringify(process.argv[i])}`);
      process.exit(2);
    }
    options[name] = name === "port" ? Number(process.argv[i + 1]) : process.argv[i + 1];
  }
  if (!["always", "everysec"].includes(options.appendfsync)) {
    console.error(`kv-floor-server: --appendfsync must be always or everysec, got ${JSON.stringify(options.appendfsync)}`);
    process.exit(2);
  }
  if (!["yes", "no"].includes(options["storage-thread"])) {
    console.error(`kv-floor-server: --storage-thread must be yes or no, got ${JSON.stringify(options["storage-thread"])}`);
    process.exit(2);
  }
  const threaded = options["storage-thread"] === "yes";
  const store = threaded ? null : openStore(options.dir, options.appendfsync);
  /** Threaded: the main thread's end of the channel to the storage thread. */
  let storage = null;
  /** Threaded: the connections of each turn posted and not yet answered, oldest first. */
  const posted = [];
  if (threaded) {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL(import.meta.url), { workerData: { dir: options.dir, appendfsync: options.appendfsync, port: port2 }, transferList: [port2] });
    worker.unref();
    worker.on("error", (error) => {
      console.error(`kv-floor-server: the storage thread failed: ${error.message}`);
      process.exit(1);
    });
    storage = port1;
    storage.on("message", (answers) => {
      const conns = posted.shift();
      for (let i = 0; i < conns.length; i++) if (!conns[i].socket.destroyed) conns[i].socket.write(answers[i]);
    });
  }

  /** The connections with commands in this turn. */
  let waiting = [];
  let scheduled = false;

  function endOfTurn() {
    scheduled = false;
    const conns = waiting;
    waiting = [];
    if (threaded) {
      storage.postMessage(conns.map((conn) => conn.commands));
      for (const conn of conns) {
        conn.commands = [];
        conn.waiting = false;
      }
      posted.push(conns);
      return;
    }
    store.commit();
    for (const conn of conns) {
      conn.waiting = false;
      conn.socket.write(conn.out.length === 1 ? conn.out[0] : Buffer.concat(conn.out));
      conn.out = [];
    }
  }

  /** Parses every complete RESP array in `conn.buffer`; returns false on a protocol error. */
  function parse(conn) {
    const buffer = conn.buffer;
    let position = 0;
    for (;;) {
      if (position >= buffer.length) break;
      if (buffer[position] !== 42 /* * */) return false;
      let cr = buffer.indexOf(13, position);
      if (cr < 0) break;
      const count = Number(buffer.latin1Slice(position + 1, cr));
      let at = cr + 2;
      const args = [];
      for (let i = 0; i < count; i++) {
        if (at >= buffer.length) break;
        cr = buffer.indexOf(13, at);
        if (cr < 0) break;
        const length = Number(buffer.latin1Slice(at + 1, cr));
        if (cr + 2 + length + 2 > buffer.length) break;
        args.push(buffer.latin1Slice(cr + 2, cr + 2 + length));
        at = cr + 2 + length + 2;
      }
      if (args.length < count) break;
      const raw = buffer.subarray(position, at);
      if (threaded) conn.commands.push([args, raw]);
      else conn.out.push(store.run(args, raw));
      position = at;
    }
    // What is left waits for the next chunk (copied: a SET's raw record may point into this one).
    conn.buffer = position === buffer.length ? EMPTY : Buffer.from(buffer.subarray(position));
    return true;
  }

  const server = net.createServer({ noDelay: true }, (socket) => {
    const conn = { socket, buffer: EMPTY, out: [], commands: [], waiting: false };
    socket.on("data", (chunk) => {
      conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
      if (!parse(conn)) {
        socket.end("-ERR Protocol error\r\n");
        return;
      }
      if (conn.out.length === 0 && conn.commands.length === 0) return;
      if (!conn.waiting) {
        conn.waiting = true;
        waiting.push(conn);
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(endOfTurn);
      }
    });
    socket.on("error", () => socket.destroy());
  });
  server.listen(options.port, "127.0.0.1", 1024, () => {
    console.log(`kv-floor-server listening on 127.0.0.1:${server.address().port}`);
  });
  process.once("SIGTERM", () => {
    store?.close();
    process.exit(0);
  });
}
