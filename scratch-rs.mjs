import net from "node:net";
import * as Eio from "eio-ts";
const N = Number(process.argv[2] ?? 1000);
const D = Number(process.argv[3] ?? 2);
const echo = Eio.task(new URL("./packages/eio/test/fixtures/echo-handler.mjs", import.meta.url), "echo");
function exchange(port, message) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => { s.end(message); });
    let d = ""; s.setEncoding("utf8"); s.on("data", (x) => (d += x)); s.on("end", () => resolve(d)); s.on("error", reject);
  });
}
const counts = new Int32Array(new SharedArrayBuffer(4 * 256));
let done = 0;
const t0 = performance.now();
const timer = setInterval(() => console.log("progress", done, [...counts].filter((n) => n > 0)), 2000);
await Eio.run(function* (env) {
  yield* Eio.Switch.run(function* (sw) {
    const socket = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { backlog: 2048 });
    const port = Eio.Net.listeningAddr(socket).port;
    const [stop, setStop] = Eio.Promise.create();
    Eio.Fiber.fork(sw, function* () {
      const clients = Array.from({ length: N }, (_, i) => exchange(port, `client ${i} ${"abcdefghij".repeat(1 + (i % 50))}`).then((r) => { done++; return r; }));
      yield* Eio.Fiber.awaitNative(Promise.all(clients));
      console.log("all replied", (performance.now() - t0).toFixed(0), "ms");
      Eio.Promise.resolve(setStop, undefined);
    });
    yield* Eio.Net.runServer(socket, echo, { additionalDomains: [env.domainMgr, D], args: [counts], stop, onError: (e) => console.log("err", e.message) });
    console.log("runServer returned", (performance.now() - t0).toFixed(0), "ms", [...counts].filter((n) => n > 0));
  });
});
clearInterval(timer);
