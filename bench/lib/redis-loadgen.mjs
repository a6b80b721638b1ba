// Drives `redis-benchmark` (Debian's redis-tools) as the echo load generator: a C client costs
// the 2-core machine no JavaScript, and it loads each server in the same way. It sends RESP
// commands such as `ECHO x` (`*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n`); an echo server sends those bytes
// back, and they parse as a RESP reply (an array), so redis-benchmark counts a reply per request.
// It does not compare the reply with the request, so `connect` first checks the echo itself.
// Same shape as loadgen-client.mjs: connect(port, connections), run(n), close(), stop().
import { execFileSync, spawn } from "node:child_process";
import net from "node:net";

/** The argument of ECHO: 22 bytes, so that a request is 43 bytes, like the Node generator's 42. */
const PAYLOAD = "0123456789abcdefghijkl";
const REQUEST = Buffer.from(`*2\r\n$4\r\nECHO\r\n$${PAYLOAD.length}\r\n${PAYLOAD}\r\n`);
export const REDIS_REQUEST_BYTES = REQUEST.length;

/**
 * The redis-benchmark executable, or null when it is missing or `EIO_BENCH_LOADGEN=node` asks
 * for the Node generator.
 */
export function findRedisBenchmark() {
  if (process.env.EIO_BENCH_LOADGEN === "node") return null;
  try {
    const out = execFileSync("redis-benchmark", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
    return /redis-benchmark/.test(out) ? "redis-benchmark" : null;
  } catch {
    return null;
  }
}

/** Sends a few RESP requests on one connection and checks they come back byte for byte. */
async function checkEcho(port) {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  try {
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    for (let i = 0; i < 3; i++) {
      const echoed = await new Promise((resolve, reject) => {
        const chunks = [];
        let got = 0;
        const timer = setTimeout(() => reject(new Error(`no echo within 5 s (got ${got} bytes)`)), 5000);
        const onData = (chunk) => {
          chunks.push(chunk);
          got += chunk.length;
          if (got < REQUEST.length) return;
          clearTimeout(timer);
          socket.off("data", onData);
          resolve(Buffer.concat(chunks));
        };
        socket.on("data", onData);
        socket.write(REQUEST);
      });
      if (!echoed.equals(REQUEST)) throw new Error(`echo mismatch: got ${JSON.stringify(echoed.toString("latin1").slice(0, 60))}`);
    }
  } finally {
    socket.destroy();
  }
}

/**
 * Runs `redis-benchmark` once for `requests` requests over `connections` new connections.
 * Resolves `{ done, ms, cpuMs }`: `ms` from its own requests/s (so process start-up and
 * connecting are left out), `cpuMs` its CPU time (user + system, from the shell's `times`).
 */
function runOnce(command, port, connections, requests) {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-c", String(connections), "-n", String(requests), "--csv", "ECHO", PAYLOAD];
  // `times` prints the CPU time of the shell's children once redis-benchmark has exited.
  const script = `"$0" "$@" || exit $?; times`;
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", script, command, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`redis-benchmark exited with ${code}: ${(err || out).trim().split("\n").pop()}`));
      const row = out.split("\n").find((line) => line.startsWith('"ECHO'));
      const rps = row ? Number(JSON.parse(`[${row}]`)[1]) : NaN;
      if (!(rps > 0)) return reject(new Error(`redis-benchmark: no requests/s in its output: ${out.slice(0, 200)}`));
      const times = [...out.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
      // Second line of `times`: children's user and system time.
      const cpuMs = times.length >= 4 ? times[2] + times[3] : NaN;
      resolve({ done: requests, ms: (requests / rps) * 1000, cpuMs });
    });
  });
}

export function startRedisLoadgen(command) {
  let target = null;
  return {
    async connect(port, connections) {
      await checkEcho(port);
      target = { port, connections };
      return "ready";
    },
    /** Resolves after `requests` echoes, each connection sending its next request after a reply. */
    async run(requests) {
      if (target === null) throw new Error("redis-benchmark load generator: connect first");
      return runOnce(command, target.port, target.connections, requests);
    },
    close: async () => "closed",
    stop: async () => undefined,
  };
}
