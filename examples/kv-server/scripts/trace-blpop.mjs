// Draws docs/blpop-trace.svg, the kv-server README's picture of a BLPOP served by one domain
// woken by an LPUSH from another. Run from the repository root, after `npm run build`:
//
//   node examples/kv-server/scripts/trace-blpop.mjs [out.svg]
//
// It starts the built server with `--domains 1` under EIO_TRACE (by steps), connects two
// clients at once (again, in a new run, until they are served by different domains), blocks
// the first in `BLPOP jobs 0`, waits until INFO says it is blocked, pushes from the second, reads
// the woken client's reply and stops the server, which writes the picture as it exits.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "..", "docs", "blpop-trace.svg"));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-trace-"));

/** One RESP2 reply from the front of `buffer`: [reply, bytes used], or null if incomplete. */
function parse(buffer, at = 0) {
  const end = buffer.indexOf("\r\n", at);
  if (end === -1) return null;
  const line = buffer.toString("latin1", at + 1, end);
  const next = end + 2;
  switch (buffer[at]) {
    case 0x2b: case 0x2d: return [line, next];
    case 0x3a: return [Number(line), next];
    case 0x24: {
      const length = Number(line);
      if (length < 0) return [null, next];
      return buffer.length < next + length + 2 ? null : [buffer.toString("latin1", next, next + length), next + length + 2];
    }
    case 0x2a: {
      const items = [];
      let position = next;
      for (let i = 0; i < Number(line); i++) {
        const item = parse(buffer, position);
        if (item === null) return null;
        items.push(item[0]);
        position = item[1];
      }
      return [items, position];
    }
    default: throw new Error(`not RESP: ${buffer.toString("latin1", at, end)}`);
  }
}

async function connect(port) {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let buffer = Buffer.alloc(0);
  let waiting = null;
  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    waiting?.();
  });
  return {
    send: (...args) => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`),
    async reply() {
      for (let parsed; ; await new Promise((resolve) => (waiting = resolve))) {
        if ((parsed = parse(buffer)) === null) continue;
        buffer = buffer.subarray(parsed[1]);
        return parsed[0];
      }
    },
    close: () => socket.end(),
  };
}

/** One traced run: false (and no picture kept) if both clients landed in the same domain. */
async function attempt() {
  const server = spawn(process.execPath, [path.join(here, "..", "dist", "main.js"), "--port", "0", "--dir", dir, "--domains", "1"], {
    env: { ...process.env, EIO_TRACE: out, EIO_TRACE_CLOCK: "steps" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => server.on("close", resolve));
  const port = await new Promise((resolve) => {
    let output = "";
    server.stdout.on("data", (chunk) => {
      output += chunk;
      const match = /listening on [\d.]+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
  });
  try {
    // The connection domain starts accepting a moment after the listening line (until then the
    // main domain takes every connection): a picture, not a test, so it simply waits a little.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Both domains accept on the socket, and the first to take a connection serves it: two
    // connections made at once are served by different domains if their CLIENT IDs are equal
    // (each domain numbers its own clients); else this run is dropped and another made.
    const [blocked, pusher] = await Promise.all([connect(port), connect(port)]);
    blocked.send("CLIENT", "ID");
    pusher.send("CLIENT", "ID");
    if ((await blocked.reply()) !== (await pusher.reply())) {
      blocked.close();
      pusher.close();
      return false;
    }
    blocked.send("BLPOP", "jobs", "0");
    for (;;) {
      pusher.send("INFO", "clients");
      if (/blocked_clients:1\r\n/.test(await pusher.reply())) break;
    }
    pusher.send("LPUSH", "jobs", "hello");
    console.log("LPUSH:", await pusher.reply(), " BLPOP:", JSON.stringify(await blocked.reply()));
    blocked.close();
    pusher.close();
    return true;
  } finally {
    server.kill("SIGTERM");
    await exited;
  }
}

try {
  let drawn = false;
  for (let tries = 0; !drawn; tries++) {
    if (tries === 10) throw new Error("in 10 runs the two clients were never served by different domains");
    drawn = await attempt();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
// The title names the run's temporary data dir: not part of the picture.
fs.writeFileSync(out, fs.readFileSync(out, "utf8").replace(/<text class="title"[^\n]*\n/, ""));
console.log(`drew ${out}`);
