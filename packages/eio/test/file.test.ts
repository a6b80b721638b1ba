// Eio.File and files as flows, on real files: offsets, pread/pwrite, seek, sync, truncate;
// the switch closes them; O_DSYNC and O_DIRECT really reach open(2); file work waits on
// libuv's pool without blocking other fibers, and a cancelled open is abandoned and its fd
// closed when it completes.
// Eio's tests/fs.md itself is ported scenario by scenario in fs-eio.test.ts.
import { execFileSync, spawn } from "node:child_process";
import { constants, fdatasyncSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { errorOf } from "./support/error-of.js";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "eio-file-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));


/** The open flags of one of our files, as the kernel reports them. */
function openFlags(file: Eio.File.File): number {
  const info = readFileSync(`/proc/self/fdinfo/${(file as unknown as { fd: number }).fd}`, "utf8");
  return parseInt(/^flags:\s+([0-7]+)$/m.exec(info)![1]!, 8);
}

describe("files as flows", () => {
  it("write, read, copy and BufRead over files, at the file's offset", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const a = Eio.Path.join(env.fs, join(tmp, "a"));
        const b = Eio.Path.join(env.fs, join(tmp, "b"));
        const w = yield* Eio.Path.openOut(sw, a, { create: { exclusive: 0o600 } });
        yield* Eio.Flow.write(w, "line one\n");
        yield* Eio.Flow.copyString("line two\n", w);
        const r = yield* Eio.Path.openIn(sw, a);
        const first = new Uint8Array(5);
        yield* Eio.Flow.readExact(r, first);
        const out = yield* Eio.Path.openOut(sw, b, { create: { exclusive: 0o600 } });
        const copied = yield* Eio.Flow.copy(r, out);
        const reader = Eio.BufRead.of(yield* Eio.Path.openIn(sw, a), { maxSize: 100 });
        return [Buffer.from(first).toString(), copied, yield* Eio.Path.load(b), yield* Eio.BufRead.line(reader), yield* Eio.BufRead.line(reader), yield* Eio.BufRead.atEndOfInput(reader)];
      }),
    );
    expect(out).toEqual(["line ", 13, "one\nline two\n", "line one", "line two", true]);
  });

  it("read at the end throws EndOfFile; writing to a file opened for reading fails", async () => {
    writeFileSync(join(tmp, "f"), "x");
    const out = await Eio.run<[number, string, string]>((env) =>
      Eio.Path.withOpenIn(Eio.Path.join(env.fs, join(tmp, "f")), function* (file) {
        const buffer = new Uint8Array(4);
        const n = yield* Eio.Flow.read(file, buffer);
        return [n, yield* errorOf(Eio.Flow.read(file, buffer)), yield* errorOf(Eio.Flow.write(file, "no"))];
      }),
    );
    expect(out[0]).toBe(1);
    expect(out[1]).toBe("EndOfFile: End of file: the flow has no more data.");
    expect(out[2]).toMatch(/^FsError: Eio.Io Fs EBADF: bad file descriptor, writing <fs:.*\/f>$/);
  });

  it("the switch closes its files; a closed file refuses work", async () => {
    writeFileSync(join(tmp, "f"), "x");
    const out = await Eio.run<string[]>(function* (env) {
      let kept: Eio.File.File | undefined;
      yield* Eio.Switch.run(function* (sw) {
        kept = yield* Eio.Path.openIn(sw, Eio.Path.join(env.fs, join(tmp, "f")));
      });
      return [yield* errorOf(Eio.File.size(kept!))];
    });
    expect(out[0]).toMatch(/^FsError: Eio.Io Fs EBADF: the file is closed, examining <fs:.*\/f>$/);
  });

  it("Flow.close closes a file early", async () => {
    writeFileSync(join(tmp, "f"), "x");
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const file = yield* Eio.Path.openIn(sw, Eio.Path.join(env.fs, join(tmp, "f")));
        Eio.Flow.close(file);
        Eio.Flow.close(file);
        return yield* errorOf(Eio.Flow.read(file, new Uint8Array(1)));
      }),
    );
    expect(out).toMatch(/the file is closed, reading/);
  });
});

describe("Eio.File", () => {
  it("pread, preadExact, pwrite, size, stat, seek, truncate, sync", async () => {
    const out = await Eio.run((env) =>
      Eio.Path.withOpenOut(Eio.Path.join(env.fs, join(tmp, "f")), { create: { exclusive: 0o640 } }, function* (file) {
        const log: unknown[] = [];
        yield* Eio.Flow.write(file, "0123456789");
        yield* Eio.File.pwrite(file, "AB", { fileOffset: 2 });
        const b = new Uint8Array(4);
        log.push(yield* Eio.File.pread(file, b, { fileOffset: 1 }), Buffer.from(b).toString());
        yield* Eio.File.preadExact(file, b, { fileOffset: 6 });
        log.push(Buffer.from(b).toString());
        log.push(yield* errorOf(Eio.File.preadExact(file, b, { fileOffset: 8 })));
        log.push(yield* errorOf(Eio.File.pread(file, b, { fileOffset: 10 })));
        log.push(yield* Eio.File.size(file));
        const s = yield* Eio.File.stat(file);
        log.push(s.kind, s.size, s.perm);
        // The offset: pwrite did not move it; seek does.
        log.push(yield* Eio.File.seek(file, 0, "cur"));
        log.push(yield* Eio.File.seek(file, -4, "end"));
        yield* Eio.Flow.write(file, "wxyz!");
        log.push(yield* Eio.File.seek(file, -2, "cur"));
        log.push(yield* Eio.File.seek(file, 1, "set"));
        const r = new Uint8Array(3);
        yield* Eio.Flow.readExact(file, r);
        log.push(Buffer.from(r).toString());
        yield* Eio.File.truncate(file, 3);
        log.push(yield* Eio.File.size(file));
        yield* Eio.File.truncate(file, 5);
        yield* Eio.File.sync(file);
        yield* Eio.File.sync(file, { dataOnly: true });
        log.push(yield* errorOf(Eio.File.seek(file, -1, "set")));
        log.push(yield* errorOf(Eio.File.seek(file, 0, "middle" as never)));
        return log;
      }),
    );
    expect(out).toEqual([
      4,
      "1AB4",
      "6789",
      "EndOfFile: End of file: the flow has no more data.",
      "EndOfFile: End of file: the flow has no more data.",
      10,
      "regularFile",
      10,
      0o640,
      10,
      6,
      9,
      1,
      "1AB",
      3,
      "RangeError: File.seek: the offset would be negative (-1)",
      'RangeError: File.seek: whence must be "set", "cur" or "end", got "middle"',
    ]);
    expect(readFileSync(join(tmp, "f"))).toEqual(Buffer.from([0x30, 0x31, 0x41, 0, 0]));
  });

  it("a directory opened with openIn is synced with File.sync (its entries after a rename), and refuses reads", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const dir = Eio.Path.join(env.fs, tmp);
        yield* Eio.Path.save(Eio.Path.join(dir, "new"), "x", { create: { exclusive: 0o600 } });
        yield* Eio.Path.rename(Eio.Path.join(dir, "new"), Eio.Path.join(dir, "log"));
        const entries = yield* Eio.Path.openIn(sw, dir);
        const kind = (yield* Eio.File.stat(entries)).kind;
        yield* Eio.File.sync(entries);
        yield* Eio.File.sync(entries, { dataOnly: true });
        const read = yield* errorOf(Eio.Flow.read(entries, new Uint8Array(8)));
        return { kind, read: /EISDIR/.test(read), names: yield* Eio.Path.readDir(dir) };
      }),
    );
    expect(out).toEqual({ kind: "directory", read: true, names: ["log"] });
  });

  it("append writes at the end whatever else wrote there", async () => {
    const out = await Eio.run((env) => {
      const p = Eio.Path.join(env.fs, join(tmp, "log"));
      return Eio.Switch.run(function* (sw) {
        const one = yield* Eio.Path.openOut(sw, p, { create: { ifMissing: 0o600 }, append: true });
        const two = yield* Eio.Path.openOut(sw, p, { create: "never", append: true });
        yield* Eio.Flow.write(one, "1");
        yield* Eio.Flow.write(two, "2");
        yield* Eio.Flow.write(one, "3");
        return [yield* Eio.Path.load(p), yield* Eio.File.seek(one, 0, "cur")];
      });
    });
    expect(out).toEqual(["123", 3]);
  });

  it("refuses what is not a file, with the value seen", async () => {
    const out = await Eio.run(function* () {
      return [yield* errorOf(Eio.File.size({} as never)), yield* errorOf(Eio.File.pread(null as never, new Uint8Array(1), { fileOffset: 0 }))];
    });
    expect(out).toEqual(["TypeError: File.size: expected a file from Eio.Path.openIn or openOut, got {}", "TypeError: File.pread: expected a file from Eio.Path.openIn or openOut, got null"]);
  });
});

describe("File.useFd", () => {
  it("runs a system call on this thread with the file's own descriptor, which the switch still closes", async () => {
    const path = join(tmp, "f");
    const out = await Eio.run(function* (env) {
      let kept: Eio.File.File | undefined;
      const seen = yield* Eio.Switch.run<{ written: number; flags: number }>(function* (sw) {
        const file = (kept = yield* Eio.Path.openOut(sw, Eio.Path.join(env.fs, path), { create: { ifMissing: 0o600 }, append: true }));
        yield* Eio.Flow.write(file, "ab");
        // Blocking calls, in order with the flow's writes: the fd is the file's, append mode and all.
        const written = Eio.File.useFd(file, "appending", (fd) => {
          const n = writeSync(fd, "cd");
          fdatasyncSync(fd);
          return n;
        });
        yield* Eio.Flow.write(file, "ef");
        return { written, flags: openFlags(file) & constants.O_APPEND };
      });
      const closed = yield* errorOf((function* () {
        return Eio.File.useFd(kept!, "syncing", (fd) => fd);
      })());
      return { ...seen, closed };
    });
    expect(readFileSync(path, "utf8")).toBe("abcdef");
    expect(out).toEqual({ written: 2, flags: constants.O_APPEND, closed: expect.stringMatching(/^FsError: Eio.Io Fs EBADF: the file is closed, syncing <fs:.*\/f>$/) });
  });

  it("throws what the call throws, and refuses bad arguments with the value seen", async () => {
    writeFileSync(join(tmp, "f"), "x");
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const file = yield* Eio.Path.openIn(sw, Eio.Path.join(env.fs, join(tmp, "f")));
        const attempt = (fn: () => unknown): string => {
          try {
            fn();
            return "no error";
          } catch (error) {
            return `${(error as Error).name}: ${(error as Error).message}`;
          }
        };
        return [
          attempt(() => Eio.File.useFd(file, "writing", (fd) => writeSync(fd, "y"))),
          attempt(() => Eio.File.useFd({} as never, "x", (fd) => fd)),
          attempt(() => Eio.File.useFd(file, 3 as never, (fd) => fd)),
          attempt(() => Eio.File.useFd(file, "x", null as never)),
        ];
      }),
    );
    expect(out).toEqual([
      "Error: EBADF: bad file descriptor, write",
      "TypeError: File.useFd: expected a file from Eio.Path.openIn or openOut, got {}",
      "TypeError: File.useFd: doing must be a string naming the call, got 3",
      "TypeError: File.useFd: fn must be a function of the descriptor, got null",
    ]);
  });
});

describe("sync and direct", () => {
  it("{ sync: true } opens with O_DSYNC", async () => {
    const flags = await Eio.run<number[]>((env) =>
      Eio.Switch.run(function* (sw) {
        const plain = yield* Eio.Path.openOut(sw, Eio.Path.join(env.fs, join(tmp, "plain")), { create: { exclusive: 0o600 } });
        const synced = yield* Eio.Path.openOut(sw, Eio.Path.join(env.fs, join(tmp, "synced")), { create: { exclusive: 0o600 }, sync: true });
        yield* Eio.Flow.write(synced, "durable");
        return [openFlags(plain), openFlags(synced)];
      }),
    );
    expect(flags[0]! & constants.O_DSYNC).toBe(0);
    expect(flags[1]! & constants.O_DSYNC).toBe(constants.O_DSYNC);
    expect(readFileSync(join(tmp, "synced"), "utf8")).toBe("durable");
  });

  for (const base of [() => tmp, () => "/dev/shm"]) {
    it(`{ direct: true } opens with O_DIRECT and moves whole blocks through aligned memory (${base() === "/dev/shm" ? "/dev/shm" : "/tmp"})`, async () => {
      const dir = mkdtempSync(join(base(), "eio-direct-"));
      try {
        const block = Buffer.alloc(8192);
        for (let i = 0; i < block.length; i++) block[i] = i % 251;
        const out = await Eio.run<{ flags: number[]; back: Uint8Array; whole: Uint8Array; odd: string }>((env) =>
          Eio.Switch.run(function* (sw) {
            const p = Eio.Path.join(env.fs, join(dir, "d"));
            const w = yield* Eio.Path.openOut(sw, p, { create: { exclusive: 0o600 }, direct: true });
            // An odd start: the caller's memory need not be aligned, ours is.
            const unaligned = new Uint8Array(block.length + 3);
            unaligned.set(block, 3);
            yield* Eio.Flow.write(w, unaligned.subarray(3));
            const r = yield* Eio.Path.openIn(sw, p, { direct: true });
            const back = new Uint8Array(4096);
            yield* Eio.File.preadExact(r, back, { fileOffset: 4096 });
            const whole = new Uint8Array(8192);
            yield* Eio.Flow.readExact(r, whole);
            const odd = yield* errorOf(Eio.Flow.write(w, "abc"));
            return { flags: [openFlags(w), openFlags(r)], back, whole, odd };
          }),
        );
        expect(out.flags[0]! & constants.O_DIRECT).toBe(constants.O_DIRECT);
        expect(out.flags[1]! & constants.O_DIRECT).toBe(constants.O_DIRECT);
        expect(Buffer.from(out.back)).toEqual(block.subarray(4096));
        expect(Buffer.from(out.whole)).toEqual(block);
        expect(out.odd).toMatch(/^RangeError: File: <fs:.*\/d> was opened with \{ direct: true \} \(O_DIRECT\): writing needs a length and an offset that are multiples of 512, got length 3 at offset 8192$/);
        expect(readFileSync(join(dir, "d"))).toEqual(block);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("a file system without direct I/O refuses { direct: true } with a clear error", async () => {
    const out = await Eio.run((env) => errorOf(Eio.Path.withOpenIn(Eio.Path.join(env.fs, "/proc/self/status"), () => "opened", { direct: true })));
    expect(out).toBe(
      "FsError: Eio.Io Fs EINVAL: O_DIRECT ({ direct: true }) refused: the file system of <fs:/proc/self/status> does not support direct I/O, or the length, offset or memory is not aligned as it requires, opening <fs:/proc/self/status>",
    );
  });
});

describe("file work on libuv's pool", () => {
  it("an open that blocks (a FIFO without a writer) lets other fibers run, and they can unblock it", async () => {
    const fifo = join(tmp, "fifo");
    execFileSync("mkfifo", [fifo]);
    const out = await Eio.run<string[]>((env) => {
      const p = Eio.Path.join(env.fs, fifo);
      return Eio.Fiber.pair(
        () => Eio.Path.load(p),
        () => Eio.Path.save(p, "through the fifo", { create: "never" }),
      );
    });
    expect(out[0]).toBe("through the fifo");
  });

  it("a cancelled open is abandoned at once, and its fd closed when the open completes", async () => {
    const fifo = join(tmp, "fifo");
    execFileSync("mkfifo", [fifo]);
    const out = await Eio.run(function* (env) {
      const p = Eio.Path.join(env.fs, fifo);
      const first = yield* Eio.Fiber.first(
        () => Eio.Switch.run(function* (sw) {
          yield* Eio.Path.openIn(sw, p);
          return "opened";
        }),
        function* () {
          yield* Eio.Fiber.yield();
          return "cancelled the open";
        },
      );
      // Opening the writing end (write-only, unlike openOut's O_RDWR) completes the abandoned
      // open; once that closes its fd, the pipe has no reader and writes fail with EPIPE.
      // Were the fd left open, the writes would fill the pipe and block forever.
      const writer = yield* Eio.Fiber.awaitNative(open(fifo, "w"));
      const chunk = new Uint8Array(4096);
      let writes = "";
      for (let i = 0; writes === ""; i++) {
        try {
          yield* Eio.Fiber.awaitNative(writer.write(chunk));
        } catch (e) {
          writes = `${i < 16 ? "within the pipe's buffer" : "too late"}: ${(e as NodeJS.ErrnoException).code}`;
        }
      }
      yield* Eio.Fiber.awaitNative(writer.close());
      return [first, writes];
    });
    expect(out).toEqual(["cancelled the open", "within the pipe's buffer: EPIPE"]);
  });
});

describe("standard streams", () => {
  function runChild(program: string, input: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", program], { stdio: ["pipe", "pipe", "pipe"], cwd: process.cwd() });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("close", (code) => resolve({ stdout, stderr, code }));
      child.stdin.end(input);
    });
  }
  const eio = JSON.stringify(new URL("../dist/index.js", import.meta.url).href);

  it("env.stdin, env.stdout and env.stderr are flows, in order with console.log", async () => {
    const result = await runChild(
      `import * as Eio from ${eio};
       await Eio.run(function* (env) {
         yield* Eio.Flow.copyString("Hello, world!\\n", env.stdout);
         console.log("from console.log");
         const n = yield* Eio.Flow.copy(env.stdin, env.stdout);
         yield* Eio.Flow.copyString("copied " + n + "\\n", Eio.Stdenv.stderr(env));
       });`,
      "input line 1\ninput line 2\n",
    );
    expect(result).toEqual({ stdout: "Hello, world!\nfrom console.log\ninput line 1\ninput line 2\n", stderr: "copied 26\n", code: 0 });
  });

  it("a program that stops reading stdin can still exit", async () => {
    const result = await runChild(
      `import * as Eio from ${eio};
       await Eio.run(function* (env) {
         const reader = Eio.BufRead.of(env.stdin, { maxSize: 1000 });
         yield* Eio.Flow.copyString("got " + (yield* Eio.BufRead.line(reader)) + "\\n", env.stdout);
       });`,
      "first\nsecond\n",
    );
    expect(result).toEqual({ stdout: "got first\n", stderr: "", code: 0 });
  });

  it("a write to stdout whose reader has gone is an Eio.Io error, not a crash", async () => {
    const program = `import * as Eio from ${eio};
       await Eio.run(function* (env) {
         try {
           for (;;) yield* Eio.Flow.write(env.stdout, "line\\n");
         } catch (e) {
           yield* Eio.Flow.copyString(e.name + ": " + e.message + "\\n", env.stderr);
         }
       });`;
    const result = await new Promise<{ stderr: string; code: number | null }>((resolve) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", program], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      // The reader goes away once the first bytes arrive, as `| head -1` does.
      child.stdout.once("data", () => child.stdout.destroy());
      child.on("close", (code) => resolve({ stderr, code }));
    });
    expect(result).toEqual({ stderr: "FsError: Eio.Io Fs EPIPE: write EPIPE, writing <stdout>\n", code: 0 });
  });
});
