/**
 * The guide cannot lie: every ```ts block in README.md and docs/**.md runs as a program, and
 * its output must equal the ```text block that follows it. All blocks are also type-checked.
 * The output is standard output and standard error together, in the order written, as a
 * terminal shows them and as Eio's MDX tests record them: `traceln` writes to standard error.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
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
  output: string;
  code: number | null;
  timedOut: boolean;
}

/**
 * Runs one program with its standard output and error both going to one file, `<name>.out`.
 * Node writes to a file at once, from either stream, so the file holds the lines in the order
 * they were written; two pipes read by this process would lose it.
 */
function runProgram(path: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const outFile = path.replace(/\.mjs$/, ".out");
    const fd = openSync(outFile, "w");
    const child = spawn(process.execPath, [path], { cwd: repoRoot, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ output: readFileSync(outFile, "utf8"), code, timedOut });
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
      if (result.timedOut) expect.fail(`${where} did not finish within 60 s\noutput:\n${result.output}`);
      if (result.code !== 0) expect.fail(`${where} exited with code ${result.code}\noutput:\n${result.output}`);
      if (block.expected !== null) {
        expect(result.output, `output of ${where} differs from the \`\`\`text block after it`).toBe(block.expected);
      }
    });
  });

  test("every block type-checks", { timeout: 120_000 }, async () => {
    const errors = await typeCheck("md", blocks);
    expect(errors, "type errors in doc blocks").toEqual([]);
  });
});
