// kv-check-log, run as users run it (the built bin), on logs damaged on purpose.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as Log from "../src/log.js";
import { newDir, PACKAGE_DIR, stopAllAndClean } from "./server.js";

afterAll(stopAllAndClean);

const BIN = path.join(PACKAGE_DIR, "dist", "kv-check-log.js");

function checkLog(args: string[], input = ""): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8" });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** A log of `n` SETs; returns its path and where each record starts. */
function writeLog(n: number): { file: string; offsets: number[]; bytes: Buffer } {
  const records = Array.from({ length: n }, (_, i) => Log.encode({ op: "set", key: Buffer.from(`key${i}`), value: Buffer.from(`value ${i}`), expireAt: 0 }));
  const offsets: number[] = [];
  let at = Log.MAGIC.length;
  for (const record of records) {
    offsets.push(at);
    at += record.length;
  }
  const bytes = Buffer.concat([Log.MAGIC, ...records]);
  const file = path.join(newDir(), "kv.log");
  fs.writeFileSync(file, bytes);
  return { file, offsets, bytes };
}

describe("kv-check-log", () => {
  it("says a whole log is valid (exit 0), and how many records it holds", () => {
    const { file, bytes } = writeLog(5);
    expect(checkLog([file])).toEqual({ status: 0, output: `log analyzed: file=${file}, size=${bytes.length}, records=5, ok_up_to=${bytes.length}, transactions=0\n${file} is valid\n` });
  });

  it("reports a torn tail at the offset of the incomplete record, and --fix cuts it there after asking", () => {
    const { file, offsets, bytes } = writeLog(5);
    const torn = bytes.subarray(0, offsets[4]! + 5);
    fs.writeFileSync(file, torn);
    const report = checkLog([file]);
    expect(report.status).toBe(1);
    expect(report.output).toContain(`records=4, ok_up_to=${offsets[4]}`);
    expect(report.output).toContain(`${file} has a torn tail at byte ${offsets[4]} (`);
    // Answering no changes nothing.
    expect(checkLog(["--fix", file], "n\n")).toMatchObject({ status: 1, output: expect.stringContaining("Continue? [y/N]: kv-check-log: nothing was changed.") });
    expect(fs.readFileSync(file)).toEqual(torn);
    expect(checkLog(["--fix", file], "y\n")).toMatchObject({ status: 0, output: expect.stringContaining(`Successfully truncated ${file} to ${offsets[4]} bytes.`) });
    expect(fs.readFileSync(file)).toEqual(bytes.subarray(0, offsets[4]));
    expect(checkLog([file])).toMatchObject({ status: 0, output: expect.stringContaining("records=4") });
  });

  it("reports a transaction cut short as a torn tail at the transaction's start, and --fix cuts all of it", () => {
    const set = (key: string, value: string) => Log.encode({ op: "set", key: Buffer.from(key), value: Buffer.from(value), expireAt: 0 });
    const whole = Log.encodeTransaction([set("a", "1"), Log.encode({ op: "rpush", key: Buffer.from("l"), args: [Buffer.from("x")] })]);
    const cut = Buffer.concat(Log.encodeTransaction([set("a", "2"), set("b", "2"), set("c", "2")]));
    const kept = Buffer.concat([Log.MAGIC, set("before", "0"), ...whole]);
    const file = path.join(newDir(), "kv.log");
    // Cut after its second record: the records before the cut are whole, and none is kept.
    const inside = 8 + 1 + 4 + set("a", "2").length - 8 + 4 + set("b", "2").length - 8;
    fs.writeFileSync(file, Buffer.concat([kept, cut.subarray(0, inside)]));
    const report = checkLog(["--fix", "--yes", file]);
    expect(report.status).toBe(0);
    expect(report.output).toContain(`size=${kept.length + inside}, records=3, ok_up_to=${kept.length}, transactions=1\n`);
    expect(report.output).toContain(`${file} has a torn tail at byte ${kept.length} (a transaction of ${cut.length - 8} bytes runs past the end of the file): ` +
      `its last ${inside} bytes are an incomplete transaction (MULTI/EXEC), never acknowledged: none of its records is kept.`);
    expect(report.output).toContain(`Successfully truncated ${file} to ${kept.length} bytes.`);
    expect(fs.readFileSync(file)).toEqual(kept);
    expect(checkLog([file])).toMatchObject({ status: 0, output: expect.stringContaining("records=3, ok_up_to=") });
  });

  it("reports damage before the end at the first bad record, and --fix leaves it alone", () => {
    const { file, offsets, bytes } = writeLog(5);
    const damaged = Buffer.from(bytes);
    damaged[offsets[2]! + 10]! ^= 0xff;
    fs.writeFileSync(file, damaged);
    const report = checkLog(["--fix", "--yes", file]);
    expect(report.status).toBe(1);
    expect(report.output).toContain(`records=2, ok_up_to=${offsets[2]}`);
    expect(report.output).toContain(`${file} is damaged at byte ${offsets[2]} (`);
    expect(report.output).toContain(`valid records follow from byte ${offsets[3]}. --fix does not cut it`);
    expect(fs.readFileSync(file)).toEqual(damaged);
  });

  it("does not cut the log of a running server, and refuses what is not a log or bad usage", () => {
    const { file, offsets, bytes } = writeLog(3);
    fs.writeFileSync(file, bytes.subarray(0, offsets[2]! + 3));
    fs.writeFileSync(path.join(path.dirname(file), "kv.lock"), `${process.pid} 0\n`);
    expect(checkLog(["--fix", "--yes", file])).toMatchObject({ status: 1, output: expect.stringContaining(`is in use by kv-server process ${process.pid}; stop it first`) });
    expect(fs.statSync(file).size).toBe(offsets[2]! + 3);
    const other = path.join(path.dirname(file), "other");
    fs.writeFileSync(other, "not a log at all");
    expect(checkLog([other])).toMatchObject({ status: 1, output: expect.stringContaining(`kv-check-log: cannot check ${other}:`) });
    expect(checkLog([])).toMatchObject({ status: 2, output: expect.stringContaining("usage: kv-check-log [--fix] [--yes] FILE") });
    expect(checkLog(["--force", file])).toMatchObject({ status: 2, output: expect.stringContaining("unknown option --force") });
  });
});
