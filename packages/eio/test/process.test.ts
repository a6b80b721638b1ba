// Eio.Process on real programs: Eio's tests/process.md scenarios ported one by one, then what
// eio-ts adds (cancelling await, pipes both ways at once, files and sockets given as they are,
// checks of the arguments).
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Eio from "eio-ts";
import { errorOf } from "./support/error-of.js";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "eio-process-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const fixtures = new URL("./fixtures/", import.meta.url);
const status = Eio.Process.ppStatus;

describe("Eio's tests/process.md", () => {
  it("running a program as a subprocess: its output goes to our stdout, in order (and env's streams are passed as they are)", async () => {
    const out = await Eio.run((env) => {
      const stderr = Eio.Flow.bufferSink();
      return Eio.Switch.run(function* () {
        const stdin = Eio.Flow.stringSource("from our stdin\n");
        const stdout = yield* Eio.Process.parseOut(env.processMgr, Eio.BufRead.takeAll, [process.execPath, new URL("process-inherit.mjs", fixtures).pathname], { stdin, stderr });
        return [stdout, Eio.Flow.bufferSinkContents(stderr)];
      });
    });
    expect(out).toEqual(["hello world\n{ kind: 'exited', code: 0 }\nparent\nto-stderr\nfrom our stdin\ndone\n", "to-stdout\n"]);
  });

  it("stopping a subprocess works and checking the status waits and reports correctly", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const t = yield* Eio.Process.spawn(sw, env.processMgr, ["sleep", "10"]);
        Eio.Process.signal(t, 9);
        return status(yield* Eio.Process.await(t));
      }),
    );
    expect(out).toBe("Exited (signal SIGKILL)");
  });

  it("a switch will stop a process when it is released", async () => {
    const out = await Eio.run(function* (env) {
      const proc = yield* Eio.Switch.run<Eio.Process.Process>((sw) => Eio.Process.spawn(sw, env.processMgr, ["sleep", "10"]));
      return status(yield* Eio.Process.await(proc));
    });
    expect(out).toBe("Exited (signal SIGKILL)");
  });

  it("passing in flows allows you to redirect the child process' stdout", async () => {
    const out = await Eio.run(function* (env) {
      const path = Eio.Path.join(env.fs, join(tmp, "process-test.txt"));
      yield* Eio.Path.withOpenOut(path, { create: { exclusive: 0o600 } }, (stdout) => Eio.Process.run(env.processMgr, ["echo", "Hello"], { stdout }));
      return yield* Eio.Path.load(path);
    });
    expect(out).toBe("Hello\n");
  });

  it("piping data to and from the child", async () => {
    const out = await Eio.run<string>((env) => {
      const stdin = Eio.Flow.stringSource("one\ntwo\nthree\n");
      return Eio.Process.parseOut(env.processMgr, Eio.BufRead.line, ["wc", "-l"], { stdin });
    });
    expect(out.trim()).toBe("3");
  });

  it("spawning subprocesses in new domains works normally; a child's error comes back as itself", async () => {
    const out = await Eio.run(function* (env) {
      const echo = Eio.task<[Eio.Process.Mgr, string], string>(new URL("process-tasks.mjs", fixtures), "echoHere");
      const fail = Eio.task<[Eio.Process.Mgr], void>(new URL("process-tasks.mjs", fixtures), "failHere");
      const text = yield* Eio.DomainManager.run(env.domainMgr, echo, env.processMgr, "Hello from another domain");
      try {
        yield* Eio.DomainManager.run(env.domainMgr, fail, env.processMgr);
        return [text, "no error"];
      } catch (e) {
        if (!(e instanceof Eio.Process.ChildError)) throw e;
        Eio.Exn.addContext(e, "back in the main domain");
        return [text, e.status, e.context, e.message];
      }
    });
    expect(out).toEqual([
      "Hello from another domain\n",
      { kind: "exited", code: 3 },
      ["running command: sh -c \"exit 3\"", "back in the main domain"],
      'Eio.Io Process Child_error Exited (code 3), running command: sh -c "exit 3", back in the main domain',
    ]);
  });

  it("calling await multiple times on the same spawn just returns the status", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const t = yield* Eio.Process.spawn(sw, env.processMgr, ["sh", "-c", "exit 0"]);
        return [yield* Eio.Process.await(t), yield* Eio.Process.await(t), yield* Eio.Process.await(t)];
      }),
    );
    expect(out).toEqual([{ kind: "exited", code: 0 }, { kind: "exited", code: 0 }, { kind: "exited", code: 0 }]);
  });

  it("using a sink that is not backed by a file descriptor", async () => {
    const out = await Eio.run(function* (env) {
      const buf = Eio.Flow.bufferSink();
      yield* Eio.Process.run(env.processMgr, ["echo", "Hello, world"], { stdout: buf });
      return Eio.Flow.bufferSinkContents(buf);
    });
    expect(out).toBe("Hello, world\n");
  });

  it("changing directory (unconfined)", async () => {
    const out = await Eio.run((env) => Eio.Process.parseOut(env.processMgr, Eio.BufRead.takeAll, ["env", "pwd"], { cwd: Eio.Path.join(env.fs, "/") }));
    expect(out).toBe("/\n");
  });

  it("changing directory (confined)", async () => {
    const out = await Eio.run((env) =>
      Eio.Path.withOpenDir(Eio.Path.join(env.fs, tmp), function* (dir) {
        const subdir = Eio.Path.join(dir, "proc-sub-dir");
        yield* Eio.Path.mkdir(subdir, { perm: 0o700 });
        yield* Eio.Path.save(Eio.Path.join(subdir, "test-cwd"), "test-data", { create: { exclusive: 0o600 } });
        return yield* Eio.Process.parseOut(env.processMgr, Eio.BufRead.takeAll, ["cat", "test-cwd"], { cwd: subdir });
      }),
    );
    expect(out).toBe("test-data");
  });

  it("trying to access a path outside of the cwd", async () => {
    const out = await Eio.run((env) => errorOf(Eio.Process.run(env.processMgr, ["cat", "test-cwd"], { cwd: Eio.Path.join(env.cwd, "..") })));
    expect(out).toBe(`PermissionDenied: Eio.Io Fs Permission_denied '..' climbs above the directory: ".." is not below its directory, opening directory <cwd:..>`);
  });

  it("if a command fails, we get shown the arguments (quoted if necessary)", async () => {
    const out = await Eio.run((env) => errorOf(Eio.Process.run(env.processMgr, ["sh", "-c", "exit 3", "", "foo", '"bar"'])));
    expect(out).toBe(`ChildError: Eio.Io Process Child_error Exited (code 3), running command: sh -c "exit 3" "" foo "\\"bar\\""`);
  });

  it("passing too many arguments reports a dedicated error rather than a generic failure", async () => {
    const big = "x".repeat(1024 * 1024);
    const out = await Eio.run((env) => errorOf(Eio.Process.run(env.processMgr, ["echo", ...Array<string>(8).fill(big)])));
    expect(out).toBe("ArgumentListTooLong: Eio.Io Process Argument_list_too_long");
  });

  it("a file that exists but isn't executable", async () => {
    writeFileSync(join(tmp, "ocamlrocks"), "#!/bin/sh\necho hi\n", { mode: 0o600 });
    const out = await Eio.run((env) => errorOf(Eio.Process.run(env.processMgr, ["./ocamlrocks"], { cwd: Eio.Path.join(env.fs, tmp) })));
    expect(out).toBe('ProcessPermissionDenied: Eio.Io Process Permission_denied "./ocamlrocks"');
  });

  it("a script whose interpreter is missing reports the executable as not found", async () => {
    writeFileSync(join(tmp, "badinterp"), "#!/nonexistent/interpreter\n", { mode: 0o700 });
    const out = await Eio.run((env) => errorOf(Eio.Process.run(env.processMgr, ["./badinterp"], { cwd: Eio.Path.join(env.fs, tmp) })));
    expect(out).toBe('ExecutableNotFound: Eio.Io Process Executable_not_found "./badinterp"');
  });

  it("exit code success can be determined by isSuccess (Process.run)", async () => {
    const out = await Eio.run(function* (env) {
      const isSuccess = (code: number): boolean => code === 3;
      return [
        yield* errorOf(Eio.Process.run(env.processMgr, ["sh", "-c", "exit 3"], { isSuccess })),
        yield* errorOf(Eio.Process.run(env.processMgr, ["sh", "-c", "exit 0"], { isSuccess })),
      ];
    });
    expect(out).toEqual(["no error", 'ChildError: Eio.Io Process Child_error Exited (code 0), running command: sh -c "exit 0"']);
  });

  it("exit code success can be determined by isSuccess (Process.parseOut)", async () => {
    const out = await Eio.run((env) => Eio.Process.parseOut(env.processMgr, Eio.BufRead.line, ["sh", "-c", "echo 123; exit 5"], { isSuccess: (code) => code === 5 }));
    expect(out).toBe("123");
  });

  it("the default environment, and a custom one", async () => {
    const before = process.env.DISPLAY;
    process.env.DISPLAY = ":1";
    try {
      const out = await Eio.run(function* (env) {
        return [
          yield* Eio.Process.parseOut(env.processMgr, Eio.BufRead.line, ["sh", "-c", "echo $DISPLAY"]),
          yield* Eio.Process.parseOut(env.processMgr, Eio.BufRead.line, ["sh", "-c", "echo $DISPLAY"], { env: ["DISPLAY=:2"] }),
          yield* Eio.Process.parseOut(env.processMgr, Eio.BufRead.line, ["sh", "-c", "echo $DISPLAY"], { env: { DISPLAY: ":3" } }),
        ];
      });
      expect(out).toEqual([":1", ":2", ":3"]);
    } finally {
      if (before === undefined) delete process.env.DISPLAY;
      else process.env.DISPLAY = before;
    }
  });
});

describe("Eio.Process, beyond Eio's tests", () => {
  it("a program that is not found: run says only that, parseOut adds the command (as Eio)", async () => {
    const out = await Eio.run(function* (env) {
      return [
        yield* errorOf(Eio.Process.run(env.processMgr, ["no-such-program-eio", "a b"])),
        yield* errorOf(Eio.Process.parseOut(env.processMgr, Eio.BufRead.takeAll, ["no-such-program-eio", "a b"])),
      ];
    });
    expect(out).toEqual([
      'ExecutableNotFound: Eio.Io Process Executable_not_found "no-such-program-eio"',
      'ExecutableNotFound: Eio.Io Process Executable_not_found "no-such-program-eio", running command: no-such-program-eio "a b"',
    ]);
  });

  it("awaitExn throws ChildError for a failure or a signal, with no context", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const failing = yield* Eio.Process.spawn(sw, env.processMgr, ["false"]);
        const sleeping = yield* Eio.Process.spawn(sw, env.processMgr, ["sleep", "10"]);
        Eio.Process.signal(sleeping, "SIGTERM");
        return [yield* errorOf(Eio.Process.awaitExn(failing)), yield* errorOf(Eio.Process.awaitExn(sleeping))];
      }),
    );
    expect(out).toEqual(["ChildError: Eio.Io Process Child_error Exited (code 1)", "ChildError: Eio.Io Process Child_error Exited (signal SIGTERM)"]);
  });

  it("a cancelled await stops waiting and leaves the child running; signal after exit does nothing", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const child = yield* Eio.Process.spawn(sw, env.processMgr, ["sleep", "10"]);
        const first = yield* Eio.Fiber.first(
          () => Eio.Process.await(child),
          () => "the other branch",
        );
        Eio.Process.signal(child, "SIGTERM");
        const ended = status(yield* Eio.Process.await(child));
        Eio.Process.signal(child, "SIGKILL");
        return [first, ended, status(yield* Eio.Process.await(child)), Eio.Process.pid(child) > 0];
      }),
    );
    expect(out).toEqual(["the other branch", "Exited (signal SIGTERM)", "Exited (signal SIGTERM)", true]);
  });

  it("a switch cancelled while the child runs kills it and ends its copying fibers", async () => {
    const out = await Eio.run(function* (env) {
      let child: Eio.Process.Process | undefined;
      const error = yield* errorOf(
        Eio.Switch.run(function* (sw) {
          child = yield* Eio.Process.spawn(sw, env.processMgr, ["sleep", "10"], { stdout: Eio.Flow.bufferSink(), stdin: Eio.Flow.stringSource("x") });
          Eio.Fiber.fork(sw, () => {
            throw new Error("stop");
          });
        }),
      );
      return [error, status(yield* Eio.Process.await(child!))];
    });
    expect(out).toEqual(["Error: stop", "Exited (signal SIGKILL)"]);
  });

  it("a megabyte in and out of cat at once, through pipes (neither side blocks the other)", async () => {
    const input = Buffer.alloc(1 << 20);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 11)) & 0xff;
    const out = await Eio.run<Uint8Array>(function* (env) {
      const sink = Eio.Flow.bufferSink();
      yield* Eio.Process.run(env.processMgr, ["cat"], { stdin: Eio.Flow.stringSource(input), stdout: sink });
      return Eio.Flow.bufferSinkContents(sink, { bytes: true });
    });
    expect(Buffer.from(out).equals(input)).toBe(true);
  });

  it("a file opened for appending is given to the child as it is; its output lands between ours", async () => {
    const out = await Eio.run(function* (env) {
      const path = Eio.Path.join(env.fs, join(tmp, "log"));
      yield* Eio.Switch.run(function* (sw) {
        const log = yield* Eio.Path.openOut(sw, path, { create: { exclusive: 0o600 }, append: true });
        yield* Eio.Flow.write(log, "a\n");
        yield* Eio.Process.run(env.processMgr, ["sh", "-c", "echo b; ls -l /proc/self/fd/1 >/dev/null"], { stdout: log });
        yield* Eio.Flow.write(log, "c\n");
      });
      return yield* Eio.Path.load(path);
    });
    expect(out).toBe("a\nb\nc\n");
  });

  it("the child's stdout is our file itself when appending, a pipe (Node's are socket pairs) otherwise", async () => {
    const out = await Eio.run(function* (env) {
      const results: string[] = [];
      for (const append of [true, false]) {
        const path = Eio.Path.join(env.fs, join(tmp, `fd-${append}`));
        yield* Eio.Switch.run(function* (sw) {
          const file = yield* Eio.Path.openOut(sw, path, { create: { exclusive: 0o600 }, append });
          yield* Eio.Process.run(env.processMgr, ["readlink", "/proc/self/fd/1"], { stdout: file });
        });
        results.push((yield* Eio.Path.load(path)).trim().replace(/\[\d+\]/, "[N]"));
      }
      return results;
    });
    expect(out).toEqual([join(tmp, "fd-true"), "socket:[N]"]);
  });

  it("a file given as stdin is read from our offset through a pipe", async () => {
    writeFileSync(join(tmp, "in"), "skip\nkeep\n");
    const out = await Eio.run((env) =>
      Eio.Switch.run(function* (sw) {
        const file = yield* Eio.Path.openIn(sw, Eio.Path.join(env.fs, join(tmp, "in")));
        yield* Eio.Flow.readExact(file, new Uint8Array(5));
        return yield* Eio.Process.parseOut(env.processMgr, Eio.BufRead.takeAll, ["cat"], { stdin: file });
      }),
    );
    expect(out).toBe("keep\n");
  });

  it("a socket is given to the child as its stdout: the child's fd 1 is our socket", async () => {
    const out = await Eio.run<string[]>((env) =>
      Eio.Switch.run(function* (sw) {
        const server = yield* Eio.Net.listen(sw, env.net, { host: "127.0.0.1", port: 0 }, { backlog: 1 });
        const client = yield* Eio.Net.connect(sw, env.net, Eio.Net.listeningAddr(server));
        const [conn] = yield* Eio.Net.accept(sw, server);
        yield* Eio.Process.run(env.processMgr, ["sh", "-c", "echo from the child; readlink /proc/self/fd/1"], { stdout: client });
        Eio.Flow.shutdown(client, "send");
        const fd = (client as unknown as { socket: { _handle: { fd: number } } }).socket._handle.fd;
        return [yield* Eio.BufRead.takeAll(Eio.BufRead.of(conn, { maxSize: 4096 })), readlinkSync(`/proc/self/fd/${fd}`)];
      }),
    );
    expect(out[1]).toMatch(/^socket:\[\d+\]$/);
    expect(out[0]).toBe(`from the child\n${out[1]}\n`);
  });

  it("executable names the program; args[0] is only its name", async () => {
    const out = await Eio.run((env) => Eio.Process.parseOut(env.processMgr, Eio.BufRead.takeAll, ["my-name", "-c", 'echo "$0"'], { executable: "/bin/sh" }));
    expect(out).toBe("my-name\n");
  });

  it("a cwd that does not exist, or is not a directory, is an Fs error", async () => {
    writeFileSync(join(tmp, "file"), "");
    const out = await Eio.run(function* (env) {
      return [
        yield* errorOf(Eio.Process.run(env.processMgr, ["true"], { cwd: Eio.Path.join(env.fs, join(tmp, "missing")) })),
        yield* errorOf(Eio.Process.run(env.processMgr, ["true"], { cwd: Eio.Path.join(env.fs, join(tmp, "file")) })),
      ];
    });
    expect(out).toEqual([
      `NotFound: Eio.Io Fs Not_found ENOENT: no such file or directory, opening directory <fs:${tmp}/missing>`,
      `FsError: Eio.Io Fs ENOTDIR: not a directory, opening directory <fs:${tmp}/file>`,
    ]);
  });

  it("a child that stops reading its input: the copy fails with EPIPE and says where", async () => {
    const out = await Eio.run((env) => errorOf(Eio.Process.run(env.processMgr, ["true"], { stdin: Eio.Flow.stringSource(Buffer.alloc(1 << 20)) })));
    // The child closed its end with our bytes unread: EPIPE, or ECONNRESET on a socket pair.
    expect(out).toMatch(/^Io: Eio\.Io Pipe write (EPIPE|ECONNRESET), writing to the stdin of process \d+$/);
  });

  it("bad arguments are refused with errors that say what was wrong", async () => {
    const out = await Eio.run((env) =>
      Eio.Switch.run((sw) => {
        const attempts: (() => unknown)[] = [
          () => Eio.Process.spawn(sw, env.processMgr, []),
          () => Eio.Process.spawn(sw, {} as Eio.Process.Mgr, ["true"]),
          () => Eio.Process.spawn(sw, env.processMgr, ["true"], { stdout: "x" as never }),
          () => Eio.Process.spawn(sw, env.processMgr, ["true"], { env: ["NOEQUALS"] }),
          () => Eio.Process.spawn(sw, env.processMgr, ["true"], { cwd: "/tmp" as never }),
          () => Eio.Process.run(env.processMgr, ["true"], { isSuccess: 0 as never }),
          () => Eio.Process.parseOut(env.processMgr, Eio.BufRead.line, ["true"], { stdout: Eio.Flow.bufferSink() } as never),
          () => Eio.Process.pid({} as Eio.Process.Process),
        ];
        return attempts.map((attempt) => {
          try {
            attempt();
            return "no error";
          } catch (e) {
            return (e as Error).message;
          }
        });
      }),
    );
    expect(out).toEqual([
      "Process.spawn: expected the arguments as a non-empty array of strings (the program first, as in [\"ls\", \"-l\"]), got []",
      "Process.spawn: expected the process manager (env.processMgr), got {}",
      'Process.spawn: options.stdout: expected a sink flow (Flow.bufferSink, a file, env.stdout...), got "x"',
      'Process.spawn: options.env entries must be "NAME=value" strings, got "NOEQUALS"',
      'Process.spawn: options.cwd must be an Eio.Path.Path (from env.cwd, env.fs or Path.join), got "/tmp"',
      "Process.run: options.isSuccess must be a function of the exit code, got 0",
      "Process.parseOut: options.stdout cannot be given: the output goes to the parser",
      "Process.pid: expected a process (from Process.spawn), got {}",
    ]);
  });

  it("ppArgs quotes as OCaml's %S does", () => {
    expect(Eio.Process.ppArgs(["a", "", "b c", "it's", "back\\slash", "tab\t", "é"])).toBe('a "" "b c" "it\'s" "back\\\\slash" "tab\\t" "\\195\\169"');
  });
});
