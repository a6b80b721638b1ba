/**
 * The pictures in the guide are what their examples draw: each is the example's run traced with
 * `EIO_TRACE` by steps (the same on every run), compared here with the committed file. To draw
 * them again after a change: `EIO_UPDATE_PICTURES=1 npx vitest run docs/test/pictures.test.ts`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { markdownBlocks, readSource, repoRoot, writeBlocks } from "./code-blocks.js";

/** Each picture, and the example (by its block name, as in the doc-block tests) that draws it. */
const pictures = [
  { file: "docs/images/cancellation-both.svg", chapter: "docs/cancellation.md", block: "cancellation-1" },
  { file: "docs/images/fibers-both.svg", chapter: "docs/fibers.md", block: "fibers-2" },
  { file: "docs/images/streams-producer-consumer.svg", chapter: "docs/streams.md", block: "streams-1" },
  { file: "docs/images/switches-failure.svg", chapter: "docs/switches.md", block: "switches-2" },
  { file: "docs/images/sync-mutex.svg", chapter: "docs/sync.md", block: "sync-1" },
  { file: "docs/images/tracing-pipeline.svg", chapter: "docs/tracing.md", block: "tracing-1" },
];

/** The title says where the program ran from: not part of the picture. */
const withoutTitle = (svg: string): string => svg.replace(/<text class="title"[^\n]*\n/, "");

function draw(program: string, out: string): Promise<number | null> {
  return new Promise((resolve) => {
    const env = { ...process.env, EIO_TRACE: out, EIO_TRACE_CLOCK: "steps" };
    spawn(process.execPath, [program], { cwd: repoRoot, env, stdio: "ignore" }).on("close", resolve);
  });
}

describe("pictures in the guide", () => {
  for (const picture of pictures) {
    test(`${picture.file} is what ${picture.block} draws`, { timeout: 60_000 }, async () => {
      const blocks = markdownBlocks(picture.chapter, readSource(picture.chapter)).filter((b) => b.name === picture.block);
      expect(blocks, `${picture.chapter} has no block ${picture.block}`).toHaveLength(1);
      const [program] = writeBlocks("pictures", blocks);
      const out = join(mkdtempSync(join(tmpdir(), "eio-picture-")), "picture.svg");
      expect(await draw(program!, out)).toBe(0);
      const drawn = withoutTitle(readFileSync(out, "utf8"));
      const path = join(repoRoot, picture.file);
      if (process.env.EIO_UPDATE_PICTURES === "1") writeFileSync(path, drawn);
      expect(drawn, `${picture.file} is out of date: see the top of docs/test/pictures.test.ts`).toBe(withoutTitle(readFileSync(path, "utf8")));
    });
  }
});
