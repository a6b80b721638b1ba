import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Resp from "../src/resp.js";
import { encodeCommand } from "./reply.js";
import { assertProperty } from "../../../test/support/fc.js";

function parseAll(chunks: Uint8Array[], options?: Parameters<typeof Resp.createParser>[0]): { commands: string[][]; error: string | null; buffered: number } {
  const parser = Resp.createParser(options);
  const commands: string[][] = [];
  for (const chunk of chunks) {
    Resp.feed(parser, chunk);
    for (;;) {
      const parsed = Resp.next(parser);
      if (parsed.kind === "incomplete") break;
      if (parsed.kind === "error") return { commands, error: parsed.message, buffered: Resp.buffered(parser) };
      commands.push(parsed.args.map((a) => a.toString("latin1")));
    }
  }
  return { commands, error: null, buffered: Resp.buffered(parser) };
}

function splitAt(bytes: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe("Resp parser", () => {
  it("refuses a bulk string over maxBulk, and Redis's smaller limits before AUTH", () => {
    const next = (parser: Resp.Parser, text: string) => (Resp.feed(parser, Buffer.from(text)), Resp.next(parser));
    expect(next(Resp.createParser({ maxBulk: 3 }), "*1\r\n$3\r\nGET\r\n")).toEqual({ kind: "command", args: [Buffer.from("GET")] });
    expect(next(Resp.createParser({ maxBulk: 3 }), "*1\r\n$4\r\nPING\r\n")).toEqual({ kind: "error", message: "ERR Protocol error: invalid bulk length" });
    let authenticated = false;
    const parser = () => Resp.createParser({ unauthenticated: () => !authenticated });
    expect(next(parser(), "*11\r\n")).toEqual({ kind: "error", message: "ERR Protocol error: unauthenticated multibulk length" });
    expect(next(parser(), "*1\r\n$16385\r\n")).toEqual({ kind: "error", message: "ERR Protocol error: unauthenticated bulk length" });
    expect(next(parser(), "*10\r\n$16384\r\n")).toEqual({ kind: "incomplete" });
    authenticated = true;
    expect(next(parser(), "*11\r\n$16385\r\n")).toEqual({ kind: "incomplete" });
    expect(() => Resp.createParser({ maxBulk: -1 })).toThrow("Resp.createParser: maxBulk must be a non-negative integer, got -1");
  });

  it("parses an array of bulk strings", () => {
    expect(parseAll([Buffer.from("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")]).commands).toEqual([["GET", "key"]]);
  });

  it("parses pipelined commands from one chunk, in order", () => {
    const bytes = Buffer.concat([encodeCommand("SET", "a", "1"), encodeCommand("GET", "a"), Buffer.from("PING\r\n")]);
    expect(parseAll([bytes]).commands).toEqual([["SET", "a", "1"], ["GET", "a"], ["PING"]]);
  });

  it("waits for the rest of a command split anywhere", () => {
    const bytes = encodeCommand("SET", "key", "value with\r\nCRLF inside");
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]).commands).toEqual([["SET", "key", "value with\r\nCRLF inside"]]);
    }
  });

  it("keeps binary bulk strings intact", () => {
    const value = Buffer.from([0, 255, 13, 10, 36, 42]);
    const parser = Resp.createParser();
    Resp.feed(parser, encodeCommand("SET", "k", value));
    const parsed = Resp.next(parser);
    expect(parsed.kind === "command" && parsed.args[2]!.equals(value)).toBe(true);
  });

  it("splits inline commands with Redis's quoting rules", () => {
    const line = Buffer.from(`set "a key" 'it''s' "tab\\there" "\\x41\\x42"\r\n  \r\nping\n`);
    expect(parseAll([line]).error).toBe("ERR Protocol error: unbalanced quotes in request");
    const ok = Buffer.from(`set "a key" 'it\\'s' "tab\\there" "\\x41\\x42"\r\n  \r\nping\n`);
    expect(parseAll([ok]).commands).toEqual([["set", "a key", "it's", "tab\there", "AB"], ["ping"]]);
  });

  it("skips empty arrays", () => {
    expect(parseAll([Buffer.from("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")]).commands).toEqual([["PING"]]);
  });

  it.each([
    ["*abc\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*99999999\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*1\r\n+PING\r\n", "ERR Protocol error: expected '$', got '+'"],
    ["*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$4\r\nPINGxx", "ERR Protocol error: expected CRLF after bulk string"],
    ['SET "unterminated\r\n', "ERR Protocol error: unbalanced quotes in request"],
  ])("reports %j as a protocol error", (input, message) => {
    expect(parseAll([Buffer.from(input)]).error).toBe(message);
  });

  it("refuses an endless header instead of buffering it", () => {
    expect(parseAll([Buffer.alloc(70_000, "a")]).error).toBe("ERR Protocol error: too big inline request");
    expect(parseAll([Buffer.concat([Buffer.from("*1"), Buffer.alloc(70_000, "1")])]).error).toBe(
      "ERR Protocol error: too big mbulk count string",
    );
  });

  it("stays failed after a protocol error", () => {
    const parser = Resp.createParser();
    Resp.feed(parser, Buffer.from("*x\r\n"));
    expect(Resp.next(parser).kind).toBe("error");
    Resp.feed(parser, encodeCommand("PING"));
    expect(Resp.next(parser).kind).toBe("error");
  });

  it("parses any pipeline of commands, however the bytes are split (property)", () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString("latin1"));
    const command = fc.array(arg, { minLength: 1, maxLength: 5 });
    assertProperty(
      fc.property(fc.array(command, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (commands, points) => {
        const bytes = Buffer.concat(commands.map((c) => encodeCommand(...c.map((a) => Buffer.from(a, "latin1")))));
        const result = parseAll(splitAt(bytes, points));
        expect(result.error).toBe(null);
        expect(result.commands).toEqual(commands);
        expect(result.buffered).toBe(0);
      }),
    );
  });

  it("reads a short command whole in one chunk as it reads it one byte at a time, malformed or near the limits (property)", () => {
    // A whole command of up to 4 arguments takes a one-pass path; fed a byte at a time it never
    // is whole when its header is read, so the general path reads it: both must agree, on the
    // commands, the error and what is left, at maxBulk and at the 16 KB limit before AUTH.
    const length = fc.oneof(fc.nat({ max: 5 }), fc.constantFrom(16383, 16384, 16385));
    // Mostly well formed, so that whole commands are common; now and then one flaw.
    const usually = <T>(good: T, ...bad: T[]) => fc.oneof({ weight: 6, arbitrary: fc.constant(good) }, fc.constantFrom(...bad));
    const bulk = fc.tuple(length, usually("", "0", "-", "x"), usually("\r\n", "\r", "\n", "\rx"), usually(false, true)).map(([n, pad, end, truncate]) => {
      const body = "v".repeat(n);
      return `$${pad}${n}${end}${truncate ? body.slice(1) : body}\r\n`;
    });
    const command = fc.tuple(fc.array(bulk, { minLength: 1, maxLength: 5 }), usually(0, -1, 1)).map(([bulks, off]) => `*${bulks.length + off}\r\n${bulks.join("")}`);
    const parse = (chunks: Uint8Array[], maxBulk: number, unauthenticated: boolean) => {
      const parsed = parseAll(chunks, { maxBulk, unauthenticated: () => unauthenticated });
      // After an error what is left buffered is not compared.
      return parsed.error === null ? parsed : { ...parsed, buffered: -1 };
    };
    assertProperty(
      fc.property(fc.array(command, { maxLength: 4 }), fc.constantFrom(3, 4, 16384, 512 * 1024 * 1024), fc.boolean(), (commands, maxBulk, unauthenticated) => {
        const bytes = Buffer.from(commands.join(""), "latin1");
        const bytewise = [...bytes].map((byte) => Uint8Array.of(byte));
        expect(parse([bytes], maxBulk, unauthenticated)).toEqual(parse(bytewise, maxBulk, unauthenticated));
      }),
      { numRuns: 100 },
    );
  });

  it("never throws on malformed input, and reports errors as RESP errors (property)", () => {
    const noise = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.constantFrom("*", "$", "\r", "\n", "-1", "3", "x", '"', "'", " ", "\\"), { maxLength: 60 }).map((a) => Buffer.from(a.join(""))),
    );
    assertProperty(
      fc.property(noise, fc.array(fc.nat(), { maxLength: 5 }), (bytes, points) => {
        const result = parseAll(splitAt(Buffer.from(bytes), points));
        if (result.error !== null) expect(result.error).toMatch(/^ERR Protocol error: [^\r\n]+$/);
      }),
    );
  });
});

describe("Resp encoders", () => {
  it("encodes each reply type", () => {
    expect(Resp.simple("OK").toString()).toBe("+OK\r\n");
    // As Redis: each CR and LF becomes a space.
    expect(Resp.error("ERR bad\r\nthing").toString()).toBe("-ERR bad  thing\r\n");
    expect(Resp.integer(-42).toString()).toBe(":-42\r\n");
    expect(Resp.integer(2n ** 63n - 1n).toString()).toBe(":9223372036854775807\r\n");
    expect(Resp.bulk("héllo").toString()).toBe("$6\r\nhéllo\r\n");
    expect(Resp.bulk(null).toString()).toBe("$-1\r\n");
    expect(Resp.bulkArray(["a", null]).toString()).toBe("*2\r\n$1\r\na\r\n$-1\r\n");
  });
});
