// Eio's tests/buf_reader.md, ported: the same inputs, the same reads of the mock flow and the
// same results. Each `repl` call is one MDX block: its steps run in turn, as the toplevel
// phrases do, and each prints what it traced and then `- : value` or `Exception: ...`.
import { describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import type { Operation } from "eio-ts";

const R = Eio.BufRead;
const { "let+": letPlus, "let*": letStar, "and+": andPlus, "<*": keepFirst, "*>": keepSecond, "<*>": both } = R.Syntax;

/** What the mock flow returns next; an empty list means End_of_file. */
let next: string[] = [];

const mockFlow: Eio.Flow.Source = {
  // eslint-disable-next-line require-yield
  *readInto(buf: Uint8Array): Operation<number> {
    const x = next[0];
    if (x === undefined) {
      Eio.traceln("+mock_flow returning Eof");
      throw new Eio.Flow.EndOfFile();
    }
    const bytes = Buffer.from(x, "latin1");
    const len = Math.min(buf.length, bytes.length);
    Eio.traceln(`+mock_flow returning ${len} bytes`);
    buf.set(bytes.subarray(0, len));
    const rest = bytes.subarray(len).toString("latin1");
    next = rest === "" ? next.slice(1) : [rest, ...next.slice(1)];
    return len;
  },
};

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "()";
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

function showError(error: unknown): string {
  if (error instanceof R.ParseError) return `Exception: Failure ${JSON.stringify(error.message)}`;
  if (error instanceof RangeError) return `Exception: Invalid_argument ${JSON.stringify(error.message)}`;
  if (error instanceof Error) return `Exception: ${error.name}`;
  return `Exception: ${String(error)}`;
}

async function repl(...steps: (() => unknown)[]): Promise<string[]> {
  const lines: string[] = [];
  await Eio.run(
    function* () {
      for (const step of steps) {
        try {
          const out = step();
          const value: unknown = out !== null && typeof out === "object" && typeof (out as Generator).next === "function" ? yield* out as Operation<unknown> : out;
          lines.push(`- : ${show(value)}`);
        } catch (error) {
          lines.push(showError(error));
        }
      }
    },
    { traceln: (line) => lines.push(line) },
  );
  return lines;
}

function peek(r: Eio.BufRead.Reader): string {
  const s = Buffer.from(R.peek(r)).toString("latin1");
  expect(s.length).toBe(R.bufferedBytes(r));
  return s;
}

function* ensure(r: Eio.BufRead.Reader, n: number): Operation<string> {
  yield* R.ensure(r, n);
  return peek(r);
}

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isA = (b: number) => b === 0x61;

/** Eio's `test ?(max_size=10) input p`. */
function test<T>(input: string[], p: Eio.BufRead.Parser<T>, maxSize = 10): () => Operation<T> {
  return () => {
    next = input;
    return p(R.of(mockFlow, { maxSize }));
  };
}

describe("Eio's buf_reader.md", () => {
  it("a simple run-through", async () => {
    const i = R.of(Eio.Flow.stringSource("Hello"), { maxSize: 100 });
    expect(
      await repl(
        () => peek(i),
        () => ensure(i, 1),
        () => R.consume(i, 1),
        () => peek(i),
        () => ensure(i, 4),
        () => ensure(i, 5),
        () => peek(i),
        () => R.consume(i, 4),
        () => peek(i),
      ),
    ).toEqual(['- : ""', '- : "Hello"', "- : ()", '- : "ello"', '- : "ello"', "Exception: EndOfFile", '- : "ello"', "- : ()", '- : ""']);
  });

  it("minimising reads on the underlying flow: the buffer doubles, then grows to maxSize", async () => {
    const i = R.of(mockFlow, { initialSize: 4, maxSize: 10 });
    expect(
      await repl(
        () => ((next = ["hello world!"]), ensure(i, 1)),
        () => ensure(i, 5),
        () => ensure(i, 9),
        () => ensure(i, 10),
        () => ensure(i, 11),
      ),
    ).toEqual([
      "+mock_flow returning 4 bytes",
      '- : "hell"',
      "+mock_flow returning 4 bytes",
      '- : "hello wo"',
      "+mock_flow returning 2 bytes",
      '- : "hello worl"',
      '- : "hello worl"',
      "Exception: BufferLimitExceeded",
    ]);
    const j = R.of(mockFlow, { initialSize: 4, maxSize: 10 });
    expect(await repl(() => ((next = ["hello world!"]), ensure(j, 10)))).toEqual(["+mock_flow returning 10 bytes", '- : "hello worl"']);
  });

  it("after end-of-file the flow is not used any more", async () => {
    const i = R.of(mockFlow, { initialSize: 4, maxSize: 10 });
    expect(
      await repl(
        () => ((next = ["hi"]), ensure(i, 10)),
        () => peek(i),
        () => ensure(i, 10),
        () => R.takeAll(i),
        () => R.takeAll(i),
      ),
    ).toEqual(["+mock_flow returning 2 bytes", "+mock_flow returning Eof", "Exception: EndOfFile", '- : "hi"', "Exception: EndOfFile", '- : "hi"', '- : ""']);
  });

  it("multiple reads fulfil one request", async () => {
    const i = R.of(mockFlow, { initialSize: 4, maxSize: 10 });
    expect(
      await repl(
        () => ((next = ["one", "two", "three"]), ensure(i, 10)),
        () => (R.consume(i, 4), ensure(i, 7)),
      ),
    ).toEqual(["+mock_flow returning 3 bytes", "+mock_flow returning 3 bytes", "+mock_flow returning 4 bytes", '- : "onetwothre"', "+mock_flow returning 1 bytes", '- : "wothree"']);
  });

  it("reading lines: LF, CRLF, a missing EOL, several lines in one read", async () => {
    const lines = (input: string[]) => {
      const i = R.of(mockFlow, { maxSize: 100 });
      return repl(() => ((next = input), R.line(i)), ...[1, 2, 3, 4].map(() => () => R.line(i)));
    };
    expect(await lines(["one", "\ntwo\n", "three\n"])).toEqual([
      "+mock_flow returning 3 bytes",
      "+mock_flow returning 5 bytes",
      '- : "one"',
      '- : "two"',
      "+mock_flow returning 6 bytes",
      '- : "three"',
      "+mock_flow returning Eof",
      "Exception: EndOfFile",
      "Exception: EndOfFile",
    ]);
    expect(await lines(["one\r", "\ntwo\r\n", "three\r\n"])).toEqual([
      "+mock_flow returning 4 bytes",
      "+mock_flow returning 6 bytes",
      '- : "one"',
      '- : "two"',
      "+mock_flow returning 7 bytes",
      '- : "three"',
      "+mock_flow returning Eof",
      "Exception: EndOfFile",
      "Exception: EndOfFile",
    ]);
    expect((await lines(["on", "e\ntwo"])).slice(0, 5)).toEqual(["+mock_flow returning 2 bytes", "+mock_flow returning 5 bytes", '- : "one"', "+mock_flow returning Eof", '- : "two"']);
    expect(await lines(["one\ntwo\n\nthree"])).toEqual([
      "+mock_flow returning 14 bytes",
      '- : "one"',
      '- : "two"',
      '- : ""',
      "+mock_flow returning Eof",
      '- : "three"',
    ].concat(["Exception: EndOfFile"]));
  });

  it("the flow interface reads through the buffer", async () => {
    const bflow = R.of(mockFlow, { maxSize: 100 });
    const read = function* (n: number) {
      const buf = new Uint8Array(n);
      const len = yield* Eio.Flow.read(bflow, buf);
      Eio.traceln(`+Read ${JSON.stringify(Buffer.from(buf.subarray(0, len)).toString("latin1"))}`);
    };
    expect(await repl(() => ((next = ["foo", "bar"]), read(2)), () => read(2), () => read(2), () => read(2), () => read(2))).toEqual([
      "+mock_flow returning 3 bytes",
      '+Read "fo"',
      "- : ()",
      '+Read "o"',
      "- : ()",
      "+mock_flow returning 3 bytes",
      '+Read "ba"',
      "- : ()",
      '+Read "r"',
      "- : ()",
      "+mock_flow returning Eof",
      "Exception: EndOfFile",
    ]);
  });

  it("characters", async () => {
    const i = R.of(mockFlow, { maxSize: 100 });
    expect(await repl(() => ((next = ["ab", "c"]), R.anyChar(i)), () => R.peekChar(i), () => R.anyChar(i), () => R.anyChar(i), () => R.anyChar(i), () => R.peekChar(i))).toEqual([
      "+mock_flow returning 2 bytes",
      '- : "a"',
      '- : "b"',
      '- : "b"',
      "+mock_flow returning 1 bytes",
      '- : "c"',
      "+mock_flow returning Eof",
      "Exception: EndOfFile",
      "- : ()",
    ]);
  });

  it("fixed-length strings", async () => {
    const i = R.of(mockFlow, { maxSize: 100 });
    expect(await repl(() => ((next = ["ab", "c"]), R.take(i, 1)), () => R.take(i, 3), () => R.take(i, 2))).toEqual([
      "+mock_flow returning 2 bytes",
      '- : "a"',
      "+mock_flow returning 1 bytes",
      "+mock_flow returning Eof",
      "Exception: EndOfFile",
      '- : "bc"',
    ]);
  });

  it("literals", async () => {
    const i = R.of(mockFlow, { maxSize: 100 });
    expect(
      await repl(
        () => ((next = ["ab", "c"]), R.char(i, "A")),
        () => R.char(i, "a"),
        () => R.string(i, "BC"),
        () => R.string(i, "bC"),
        () => R.string(i, "bcd"),
        () => R.string(i, "bcd"),
        () => R.string(i, "bc"),
        () => peek(i),
      ),
    ).toEqual([
      "+mock_flow returning 2 bytes",
      `Exception: Failure "Expected 'A' but got 'a'"`,
      "- : ()",
      'Exception: Failure "Expected \\"BC\\" but got \\"b\\""',
      "+mock_flow returning 1 bytes",
      'Exception: Failure "Expected \\"bC\\" but got \\"bc\\""',
      "+mock_flow returning Eof",
      "Exception: EndOfFile",
      "Exception: EndOfFile",
      "- : ()",
      '- : ""',
    ]);
  });

  it("scanning: takeWhile, skipWhile, skip, takeWhile1, skipWhile1 (predicates see bytes)", async () => {
    const i = R.of(mockFlow, { maxSize: 100 });
    expect(
      await repl(
        () => ((next = ["aa", "a0", "123de"]), R.skipWhile(i, isA)),
        () => R.takeWhile(i, isDigit),
        () => R.takeWhile(i, (b) => !isDigit(b)),
        test(["abc", "def", "ghi"], keepSecond(R.skip(5), R.takeAll)),
        test(["abcdefg"], keepSecond(R.skip(5), R.takeAll), 3),
        test(["aaabc"], R.takeWhile1(isA)),
        test(["aaabc"], R.takeWhile1((b) => !isA(b))),
        test(["abc"], R.takeWhile1(isA)),
        test(["aaaaabc"], keepSecond(R.skipWhile1(isA), R.takeAll)),
        test(["bbbccc"], keepSecond(R.skipWhile1(isA), R.takeAll)),
        test(["abbbccc"], keepSecond(R.skipWhile1(isA), R.takeAll)),
      ),
    ).toEqual([
      "+mock_flow returning 2 bytes",
      "+mock_flow returning 2 bytes",
      "- : ()",
      "+mock_flow returning 5 bytes",
      '- : "0123"',
      "+mock_flow returning Eof",
      '- : "de"',
      ...["+mock_flow returning 3 bytes", "+mock_flow returning 3 bytes", "+mock_flow returning 3 bytes", "+mock_flow returning Eof", '- : "fghi"'],
      ...["+mock_flow returning 3 bytes", "+mock_flow returning 3 bytes", "+mock_flow returning 1 bytes", "+mock_flow returning Eof", '- : "fg"'],
      ...["+mock_flow returning 5 bytes", '- : "aaa"'],
      ...["+mock_flow returning 5 bytes", 'Exception: Failure "takeWhile1"'],
      ...["+mock_flow returning 3 bytes", '- : "a"'],
      ...["+mock_flow returning 7 bytes", "+mock_flow returning Eof", '- : "bc"'],
      ...["+mock_flow returning 6 bytes", 'Exception: Failure "skipWhile1"'],
      ...["+mock_flow returning 7 bytes", "+mock_flow returning Eof", '- : "bbbccc"'],
    ]);
  });

  it("big endian and little endian readers", () => {
    const bytes = (...b: number[]) => Uint8Array.from(b);
    const b2 = bytes(128, 1);
    const b4 = bytes(128, 64, 32, 1);
    const b6 = bytes(128, 64, 32, 16, 8, 1);
    const b8 = bytes(128, 64, 32, 16, 8, 4, 2, 1);
    const hex = (n: number | bigint) => `0x${n.toString(16)}`;
    const e = (x: number) => `0x${x.toExponential(6).replace(/e([+-])(\d)$/, "e$10$2")}`;
    expect([
      hex(R.parseStringExn(R.BE.uint16, b2)),
      hex(R.parseStringExn(R.BE.uint32, b4)),
      hex(R.parseStringExn(R.BE.uint48, b6)),
      hex(R.parseStringExn(R.BE.uint64, b8)),
      e(R.parseStringExn(R.BE.float, b4)),
      e(R.parseStringExn(R.BE.double, b8)),
    ]).toEqual(["0x8001", "0x80402001", "0x804020100801", "0x8040201008040201", "0x-5.888953e-39", "0x-1.793993e-307"]);
    expect([
      hex(R.parseStringExn(R.LE.uint16, b2)),
      hex(R.parseStringExn(R.LE.uint32, b4)),
      hex(R.parseStringExn(R.LE.uint48, b6)),
      hex(R.parseStringExn(R.LE.uint64, b8)),
      e(R.parseStringExn(R.LE.float, b4)),
      e(R.parseStringExn(R.LE.double, b8)),
    ]).toEqual(["0x180", "0x1204080", "0x10810204080", "0x102040810204080", "0x2.943364e-38", "0x8.209689e-304"]);
    expect(R.parseStringExn(R.BE.uint16, "\x01\x02")).toBe(258);
    expect(R.parseStringExn(R.uint8, bytes(0xa5))).toBe(0xa5);
  });

  it("take all, and a full buffer leaves the data in place", async () => {
    const i = R.of(mockFlow, { maxSize: 100 });
    expect(await repl(() => ((next = ["20 text/gemini\r\n", "# Introduction\n", "# Conclusion\n"]), R.line(i)), () => R.takeAll(i))).toEqual([
      "+mock_flow returning 16 bytes",
      '- : "20 text/gemini"',
      "+mock_flow returning 15 bytes",
      "+mock_flow returning 13 bytes",
      "+mock_flow returning Eof",
      '- : "# Introduction\\n# Conclusion\\n"',
    ]);
    const j = R.of(mockFlow, { maxSize: 10 });
    expect(await repl(() => ((next = ["abc", "def", "ghi", "jkl"]), R.takeAll(j)), () => R.take(j, 3))).toEqual([
      "+mock_flow returning 3 bytes",
      "+mock_flow returning 3 bytes",
      "+mock_flow returning 3 bytes",
      "+mock_flow returning 1 bytes",
      "Exception: BufferLimitExceeded",
      '- : "abc"',
    ]);
  });

  it("combinators and the Syntax operators", async () => {
    const upper = (s: string) => s.toUpperCase();
    expect(
      await repl(
        test(["abc"], R.map(upper, R.take(2))),
        test(["abc"], R.pair(R.anyChar, R.takeAll)),
        test(["abc"], R.bind(R.anyChar, (c) => R.char(c))),
        test(["abc"], letPlus(R.take(2), upper)),
        test(["abc"], letPlus(andPlus(R.anyChar, R.takeAll), ([x, y]) => [x, y])),
        test(["abc"], letStar(R.anyChar, (x) => R.char(x))),
        test(["aac"], letStar(R.anyChar, (x) => keepSecond(R.char(x), R.takeAll))),
        test(["ab"], keepFirst(R.anyChar, R.anyChar)),
        test(["ab"], keepSecond(R.anyChar, R.anyChar)),
        test(["ab"], R.return("unchanged")),
      ),
    ).toEqual([
      ...["+mock_flow returning 3 bytes", '- : "AB"'],
      ...["+mock_flow returning 3 bytes", "+mock_flow returning Eof", '- : ["a","bc"]'],
      ...["+mock_flow returning 3 bytes", `Exception: Failure "Expected 'a' but got 'b'"`],
      ...["+mock_flow returning 3 bytes", '- : "AB"'],
      ...["+mock_flow returning 3 bytes", "+mock_flow returning Eof", '- : ["a","bc"]'],
      ...["+mock_flow returning 3 bytes", `Exception: Failure "Expected 'a' but got 'b'"`],
      ...["+mock_flow returning 3 bytes", "+mock_flow returning Eof", '- : "c"'],
      ...["+mock_flow returning 2 bytes", '- : "a"'],
      ...["+mock_flow returning 2 bytes", '- : "b"'],
      '- : "unchanged"',
    ]);
  });

  it("error handling: formatErrors says what failed and where", async () => {
    expect(
      await repl(
        test(["abc"], R.formatErrors(R.take(3))),
        test(["abc"], R.formatErrors(keepFirst(R.take(2), R.endOfInput))),
        test(["abc"], R.formatErrors(keepFirst(R.take(4), R.endOfInput))),
        test(["abc"], R.formatErrors(R.line), 2),
      ),
    ).toEqual([
      ...["+mock_flow returning 3 bytes", '- : {"ok":true,"value":"abc"}'],
      ...["+mock_flow returning 3 bytes", '- : {"ok":false,"error":"Unexpected data after parsing (at offset 2)"}'],
      ...["+mock_flow returning 3 bytes", "+mock_flow returning Eof", '- : {"ok":false,"error":"Unexpected end-of-file at offset 3"}'],
      ...["+mock_flow returning 2 bytes", '- : {"ok":false,"error":"Buffer size limit exceeded when reading at offset 0"}'],
    ]);
  });

  function* toList<T>(items: Eio.BufRead.Seq<T>): Operation<T[]> {
    const out: T[] = [];
    for (let node = yield* items(); !node.done; node = yield* node.next()) out.push(node.value);
    return out;
  }

  it("sequences read lazily, and a stale node is refused", async () => {
    expect(
      await repl(
        function* () {
          next = ["one", "\ntwo\n", "three"];
          const lines = yield* R.lines(R.of(mockFlow, { maxSize: 10 }));
          for (let node = yield* lines(); !node.done; node = yield* node.next()) Eio.traceln(`+${JSON.stringify(node.value)}`);
        },
        function* () {
          next = ["abcd1234"];
          return (yield* toList(yield* R.seq(R.take(2))(R.of(mockFlow, { maxSize: 10 })))).join(",");
        },
        function* () {
          next = ["abcd123"];
          return (yield* toList(yield* R.seq(R.take(2))(R.of(mockFlow, { maxSize: 10 })))).join(",");
        },
      ),
    ).toEqual([
      ...["+mock_flow returning 3 bytes", "+mock_flow returning 5 bytes", '+"one"', '+"two"', "+mock_flow returning 5 bytes", "+mock_flow returning Eof", '+"three"', "- : ()"],
      ...["+mock_flow returning 8 bytes", "+mock_flow returning Eof", '- : "ab,cd,12,34"'],
      ...["+mock_flow returning 7 bytes", "+mock_flow returning Eof", "Exception: EndOfFile"],
    ]);

    let seq: Eio.BufRead.Seq<string> | undefined;
    let rest: Eio.BufRead.Seq<string> | undefined;
    expect(
      await repl(
        function* () {
          next = ["one", "\ntwo\n", "three"];
          seq = yield* R.lines(R.of(mockFlow, { maxSize: 100 }));
          const node = yield* seq();
          if (node.done) throw new Error("expected a line");
          rest = node.next;
          return node.value;
        },
        () => seq!(),
        function* () {
          const node = yield* rest!();
          return node.done ? "Nil" : node.value;
        },
        () => rest!(),
      ),
    ).toEqual([
      "+mock_flow returning 3 bytes",
      "+mock_flow returning 5 bytes",
      '- : "one"',
      'Exception: Invalid_argument "Sequence is stale (expected to be used at offset 0, but stream is now at 4)"',
      '- : "two"',
      'Exception: Invalid_argument "Sequence is stale (expected to be used at offset 4, but stream is now at 8)"',
    ]);
  });

  it("parse and parseExn turn parser errors into friendly messages", async () => {
    const from = keepSecond(R.string("FROM:"), R.takeAll);
    const src = (s: string) => Eio.Flow.stringSource(s);
    expect(
      await repl(
        () => R.parse(from, src("FROM:A"), { maxSize: 5 }),
        () => R.parse(from, src("TO:B"), { maxSize: 5 }),
        () => R.parse(from, src("FROM:ABCDE"), { maxSize: 5 }),
        () => R.parse(R.string("END"), src("ENDING"), { maxSize: 5 }),
        () => R.parse(R.string("END"), src("E"), { maxSize: 5 }),
        () => R.parseExn(from, src("FROM:A"), { maxSize: 5 }),
        () => R.parseExn(from, src("TO:B"), { maxSize: 5 }),
        () => R.parseExn(from, src("FROM:ABCDE"), { maxSize: 5 }),
        () => R.parseExn(R.take(3), src("ENDING"), { maxSize: 5 }),
        () => R.parseExn(R.take(3), src("E"), { maxSize: 5 }),
      ),
    ).toEqual([
      '- : {"ok":true,"value":"A"}',
      '- : {"ok":false,"error":"Expected \\"FROM:\\" but got \\"TO:B\\" (at offset 0)"}',
      '- : {"ok":false,"error":"Buffer size limit exceeded when reading at offset 5"}',
      '- : {"ok":false,"error":"Unexpected data after parsing (at offset 3)"}',
      '- : {"ok":false,"error":"Unexpected end-of-file at offset 1"}',
      '- : "A"',
      'Exception: Failure "Expected \\"FROM:\\" but got \\"TO:B\\" (at offset 0)"',
      'Exception: Failure "Buffer size limit exceeded when reading at offset 5"',
      'Exception: Failure "Unexpected data after parsing (at offset 3)"',
      'Exception: Failure "Unexpected end-of-file at offset 1"',
    ]);
  });

  it("parsing strings needs no fiber", async () => {
    const r = R.ofString("hello\nworld\n");
    expect(await repl(() => R.line(r), () => R.line(r), () => R.line(r))).toEqual(['- : "hello"', '- : "world"', "Exception: EndOfFile"]);
    expect(R.parseString(R.line, "foo\n")).toEqual({ ok: true, value: "foo" });
    expect(R.parseString(R.line, "foo\nbar\n")).toEqual({ ok: false, error: "Unexpected data after parsing (at offset 4)" });
    expect(R.parseStringExn(R.line, "foo\n")).toBe("foo");
    expect(() => R.parseStringExn(R.line, "foo\nbar\n")).toThrow(new R.ParseError("Unexpected data after parsing (at offset 4)"));
    expect(R.parseStringExn(both(R.line, R.line), "foo\nbar\n")).toEqual(["foo", "bar"]);
  });
});

describe("BufRead on bytes that are not ASCII", () => {
  it("predicates see bytes and results decode the same bytes, so they agree", () => {
    const word = R.takeWhile((b) => b !== 0x20);
    expect(R.parseStringExn(R.pair(word, R.takeAll), "héllo wörld")).toEqual(["héllo", " wörld"]);
    // "é" is 0xc3 0xa9 in UTF-8: a predicate over bytes sees both.
    const seen: number[] = [];
    R.parseStringExn(R.takeWhile((b) => (seen.push(b), true)), "é");
    expect(seen).toEqual([0xc3, 0xa9]);
    expect(R.parseStringExn(R.pair(R.uint8, R.uint8), "é")).toEqual([0xc3, 0xa9]);
  });

  it("a string is read as UTF-8 and a Uint8Array as its bytes", () => {
    // "\x80" is two bytes in UTF-8, so three bytes in all.
    expect(R.parseString(R.BE.uint16, "\x80\x01")).toEqual({ ok: false, error: "Unexpected data after parsing (at offset 2)" });
    expect(R.parseStringExn(R.BE.uint16, Uint8Array.of(0x80, 0x01))).toBe(0x8001);
    expect(() => R.parseStringExn(R.line, 42 as unknown as string)).toThrow(/expected a string \(read as UTF-8\) or a Uint8Array, got number/);
  });

  it("a parser given no reader is made, not run; bad arguments are named", () => {
    expect(typeof R.take(3)).toBe("function");
    expect(() => R.take(-1)).toThrow(/BufRead.take: expected a byte count \(integer >= 0\), got -1/);
    expect(() => R.take({} as never, 3)).toThrow(/BufRead.take: expected a reader/);
    expect(() => R.char("ab")).toThrow(/expected a one-byte character/);
    expect(() => R.parseStringExn(function* () {
      yield* Eio.Fiber.yield();
    }, "")).toThrow(/parser tried to suspend|not in a fiber|fiber/i);
  });
});
