/**
 * The guide cannot lie: every ```ts block in README.md and docs/**.md runs as a program, and
 * its stdout must equal the ```text block that follows it. All blocks are also type-checked.
 */
import { spawn } from "node:child_process";
import { describe, expect, test } from "vitest";
import { markdownBlocks, markdownFiles, readSource, repoRoot, typeCheck, writeBlocks } from "./code-blocks.js";

const blocks = markdownFiles().flatMap((file) => markdownBlocks(file, readSource(file)));
const paths = writeBlocks("md", blocks);

/** Child processes running at once: the machine has 2 cores. */
const slots = { free: 2, waiting: [] as (() => void)[] };
async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (slots.free === 0) await new Promise<void>((resolve) => slots.waiting.push(resolve));
  else slots.free--;
  try {
    return await fn();
  } finally {
    const next = slots.waiting.shift();
    if (next !== undefined) next();
    else slots.free++;
  }
}

interface Outcome {
  stdout: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
}

function runProgram(path: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, timedOut });
    });
  });
}

describe.concurrent("doc blocks", () => {
  test("README.md and docs/ contain checked examples", () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  blocks.forEach((block, i) => {
    // The timeout covers waiting for a slot; the program itself gets 60 s.
    test(`${block.name} (${block.source}:${block.line})`, { timeout: 180_000 }, async () => {
      const result = await withSlot(() => runProgram(paths[i]!, 60_000));
      const where = `${block.source}:${block.line} (${block.name})`;
      if (result.timedOut) expect.fail(`${where} did not finish within 60 s\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      if (result.code !== 0) {
        expect.fail(`${where} exited with code ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      }
      if (block.expected !== null) {
        expect(result.stdout, `stdout of ${where} differs from the \`\`\`text block after it`).toBe(block.expected);
      }
    });
  });

  test("every block type-checks", { timeout: 120_000 }, async () => {
    const errors = await typeCheck("md", blocks);
    expect(errors, "type errors in doc blocks").toEqual([]);
  });
});
