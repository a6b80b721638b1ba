/**
 * Connected UDP sockets on 127.0.0.1 (Eio 1.x's `send ?dst`: no destination on a connected
 * socket), with real sockets.
 */
import { describe, expect, it } from "vitest";
import * as Eio from "../src/index.js";
import type { Operation } from "../src/index.js";

const text = (buf: Uint8Array, n: number) => Buffer.from(buf.subarray(0, n)).toString();
const local = { protocol: "udp", host: "127.0.0.1", port: 0 } as const;

function* receive(socket: Eio.Net.DatagramSocket): Operation<[number, string]> {
  const buf = new Uint8Array(64);
  const [from, n] = yield* Eio.Net.recv(socket, buf);
  return [from.port, text(buf, n)];
}

describe("connected datagram sockets", () => {
  it("send without dst goes to the peer, and recv gets only the peer's datagrams", async () => {
    type Got = [number, string];
    const result = await Eio.run<{ atB: Got; next: Got; atA: Got; aPort: number; bPort: number }>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const a = yield* Eio.Net.datagramSocket(sw, env.net, local);
        const b = yield* Eio.Net.datagramSocket(sw, env.net, local);
        const stranger = yield* Eio.Net.datagramSocket(sw, env.net, local);
        yield* Eio.Net.connectDatagram(a, Eio.Net.datagramAddr(b));
        yield* Eio.Net.connectDatagram(b, Eio.Net.datagramAddr(a));
        yield* Eio.Net.send(a, "from a");
        const atB = yield* receive(b);
        // The stranger's datagram is sent first, but b is connected to a: the system drops it.
        yield* Eio.Net.send(stranger, { dst: Eio.Net.datagramAddr(b) }, "from the stranger");
        yield* Eio.Net.send(a, ["from ", "a again"]);
        const next = yield* receive(b);
        // With the peer named as dst, as Eio allows, it goes too.
        yield* Eio.Net.send(b, { dst: Eio.Net.datagramAddr(a) }, "reply");
        const atA = yield* receive(a);
        return { atB, next, atA, aPort: Eio.Net.datagramAddr(a).port, bPort: Eio.Net.datagramAddr(b).port };
      });
    });
    expect(result.atB).toEqual([result.aPort, "from a"]);
    expect(result.next).toEqual([result.aPort, "from a again"]);
    expect(result.atA).toEqual([result.bPort, "reply"]);
  });

  it("an unbound udp4 socket is bound by connecting, and connecting again replaces the peer", async () => {
    type Got = [number, string];
    const result = await Eio.run<{ bound: number; rebound: number; atFirst: Got; atSecond: Got; firstNext: string }>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const client = yield* Eio.Net.datagramSocket(sw, env.net, "udp4");
        const first = yield* Eio.Net.datagramSocket(sw, env.net, local);
        const second = yield* Eio.Net.datagramSocket(sw, env.net, local);
        const other = yield* Eio.Net.datagramSocket(sw, env.net, local);
        yield* Eio.Net.connectDatagram(client, Eio.Net.datagramAddr(first));
        const bound = Eio.Net.datagramAddr(client).port;
        yield* Eio.Net.send(client, "one");
        const atFirst = yield* receive(first);
        yield* Eio.Net.connectDatagram(client, Eio.Net.datagramAddr(second));
        // Linux gives an implicitly bound socket a new port when it is connected again.
        const rebound = Eio.Net.datagramAddr(client).port;
        yield* Eio.Net.send(client, "two");
        const atSecond = yield* receive(second);
        // Had "two" also reached first, it would come before this marker.
        yield* Eio.Net.send(other, { dst: Eio.Net.datagramAddr(first) }, "marker");
        const firstNext = yield* receive(first);
        return { bound, rebound, atFirst, atSecond, firstNext: firstNext[1] };
      });
    });
    expect(result.bound).toBeGreaterThan(0);
    expect(result.atFirst).toEqual([result.bound, "one"]);
    expect(result.atSecond).toEqual([result.rebound, "two"]);
    expect(result.firstNext).toBe("marker");
  });

  it("says what is wrong: no dst on an unconnected socket, another dst on a connected one, bad arguments", async () => {
    const errors = await Eio.run<unknown[]>(function* (env) {
      return yield* Eio.Switch.run(function* (sw) {
        const a = yield* Eio.Net.datagramSocket(sw, env.net, local);
        const b = yield* Eio.Net.datagramSocket(sw, env.net, local);
        const caught: unknown[] = [];
        const attempt = function* (op: () => Operation<unknown>) {
          try {
            yield* op();
            caught.push("no error");
          } catch (e) {
            caught.push(e);
          }
        };
        yield* attempt(() => Eio.Net.send(a, "nowhere"));
        yield* attempt(() => Eio.Net.send(a, {}, "nowhere"));
        yield* Eio.Net.connectDatagram(a, Eio.Net.datagramAddr(b));
        yield* attempt(() => Eio.Net.send(a, { dst: { protocol: "udp", host: "127.0.0.1", port: 9 } }, "elsewhere"));
        yield* attempt(() => Eio.Net.connectDatagram(a, { host: "127.0.0.1", port: 1 } as never));
        yield* attempt(() => Eio.Net.connectDatagram({} as never, Eio.Net.datagramAddr(b)));
        yield* attempt(() => Eio.Net.send(a, null as never, "x"));
        return caught;
      });
    });
    const [noDst, noDstEmptyOptions, otherDst, badAddr, notSocket, badOptions] = errors as Error[];
    expect(noDst).toBeInstanceOf(Eio.Io);
    expect(noDst).toMatchObject({ code: "EDESTADDRREQ" });
    expect(noDst!.message).toMatch(/^Eio\.Io Net Cannot send on udp:127\.0\.0\.1:\d+: it is not connected\. Give options\.dst, or connect it first with Net\.connectDatagram\./);
    expect(noDstEmptyOptions).toMatchObject({ code: "EDESTADDRREQ" });
    expect(otherDst).toBeInstanceOf(Eio.Io);
    expect(otherDst).toMatchObject({ code: "EISCONN" });
    expect(otherDst!.message).toMatch(/^Eio\.Io Net Cannot send to udp:127\.0\.0\.1:9 on udp:127\.0\.0\.1:\d+: it is connected to udp:127\.0\.0\.1:\d+/);
    expect(badAddr).toBeInstanceOf(TypeError);
    expect(badAddr!.message).toMatch(/^Net\.connectDatagram/);
    expect(notSocket).toBeInstanceOf(TypeError);
    expect(notSocket!.message).toMatch(/^Net\.connectDatagram: expected a datagram socket/);
    expect(badOptions).toBeInstanceOf(TypeError);
    expect(badOptions!.message).toMatch(/^Net\.send: expected options \{ dst\? \}/);
  });
});
