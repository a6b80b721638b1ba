/**
 * Finds the code examples the docs promise will run: ```ts blocks in Markdown (each with the
 * ```text block after it as its expected output) and ```ts examples in TSDoc comments. Shared by
 * the doc-block and TSDoc tests, which write them to git-ignored files under docs/.generated/.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const generatedRoot = join(repoRoot, "docs", ".generated");

/** One runnable example, with enough of its origin to point a failure back at the source. */
export interface CodeBlock {
  /** Where it came from, relative to the repo root (e.g. `docs/fibers.md`). */
  source: string;
  /** A short name for test titles and file names (e.g. `fibers-3`). */
  name: string;
  /** 1-based line in `source` of the block's first line of code. */
  line: number;
  code: string;
  /** The exact output (stdout and stderr as one) the block must print, or null if the docs give none. */
  expected: string | null;
}

const fenceOpen = /^```([\w-]*)\s*$/;
const fenceClose = /^```\s*$/;

/** README.md and every Markdown file under docs/ (not the generated API site). */
export function markdownFiles(): string[] {
  const found = ["README.md"];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (path !== "docs/api") walk(path);
      } else if (entry.name.endsWith(".md")) {
        found.push(path);
      }
    }
  };
  walk("docs");
  return found.sort((a, b) => (a === "README.md" ? -1 : b === "README.md" ? 1 : a.localeCompare(b)));
}

/** `docs/fibers.md` → `fibers`, `README.md` → `readme`, `docs/a/b.md` → `a-b`. */
export function chapterName(source: string): string {
  const withoutDir = source.startsWith("docs/") ? source.slice("docs/".length) : source;
  return withoutDir.replace(/\.md$/, "").replaceAll("/", "-").toLowerCase();
}

/** The ```ts blocks of one Markdown text, each paired with the ```text block right after it. */
export function markdownBlocks(source: string, text: string): CodeBlock[] {
  const lines = text.split("\n");
  const fences: { lang: string; start: number; body: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fenceOpen.exec(lines[i]!);
    if (open === null) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !fenceClose.test(lines[i]!); i++) body.push(lines[i]!);
    if (i === lines.length) throw new Error(`${source}:${start}: code block is never closed`);
    fences.push({ lang: open[1]!, start, body });
  }
  const blocks: CodeBlock[] = [];
  fences.forEach((fence, k) => {
    if (fence.lang !== "ts" && fence.lang !== "typescript") return;
    const next = fences[k + 1];
    // The output block counts only if nothing but blank lines separates it from the code.
    const closeLine = fence.start + fence.body.length + 1;
    const between = next === undefined ? [] : lines.slice(closeLine, next.start - 1);
    const adjacent = next !== undefined && next.lang === "text" && between.every((l) => l.trim() === "");
    blocks.push({
      source,
      name: `${chapterName(source)}-${blocks.length + 1}`,
      line: fence.start + 1,
      code: fence.body.join("\n") + "\n",
      expected: adjacent ? next.body.map((l) => l + "\n").join("") : null,
    });
  });
  return blocks;
}

/** The ```ts examples inside the `/** ... *\/` comments of one TypeScript source file. */
export function tsdocExamples(source: string, text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  const base = source.replace(/^packages\/eio\/src\//, "").replace(/\.ts$/, "").replaceAll("/", "_");
  let inComment = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!inComment && /^\s*\/\*\*/.test(line)) inComment = true;
    if (!inComment) continue;
    const content = line.replace(/^\s*\*?\s?/, "");
    if (/^```(ts|typescript)\s*$/.test(content.trim())) {
      const start = i + 1;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!.replace(/^\s*\*\s?/, "").trim()); i++) {
        body.push(lines[i]!.replace(/^\s*\* ?/, ""));
      }
      blocks.push({ source, name: `${base}-${symbolAfter(lines, i)}`, line: start + 1, code: body.join("\n") + "\n", expected: null });
      continue;
    }
    if (line.includes("*/")) inComment = false;
  }
  // Two examples for one symbol (or for `Task` and `task`: file names may ignore case) get
  // distinct names.
  const seen = new Map<string, number>();
  for (const block of blocks) {
    const key = block.name.toLowerCase();
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count > 1) block.name += `-${count}`;
  }
  return blocks;
}

/** The name declared after the comment that ends at or after line `from`. */
function symbolAfter(lines: string[], from: number): string {
  for (let i = from; i < lines.length; i++) {
    if (!lines[i]!.includes("*/")) continue;
    for (let j = i + 1; j < lines.length; j++) {
      const m = /(?:function\*?|class|interface|type|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)/.exec(lines[j]!);
      if (m !== null) return m[1]!;
      if (lines[j]!.trim() !== "" && !lines[j]!.trim().startsWith("@") && !lines[j]!.trim().startsWith("//")) break;
    }
    break;
  }
  return "module";
}

/** Every `.ts` file under `dir` (relative to the repo root), sorted. */
export function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(join(repoRoot, d), { withFileTypes: true })) {
      const path = `${d}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * Writes each block to `docs/.generated/<group>/<name>.ts`, with a tsconfig so `tsc -p` checks
 * exactly these files, and next to it `<name>.mjs`, the same program with its types stripped,
 * which is what the tests run. Plain JavaScript is needed for examples that run a task from their
 * own file in another domain: on Node 20 a worker thread cannot load `.ts` even when the main
 * thread runs under tsx. Returns the `.mjs` paths. The folder is emptied first, so removed
 * examples leave nothing stale behind.
 */
export function writeBlocks(group: string, blocks: readonly CodeBlock[]): string[] {
  const dir = join(generatedRoot, group);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts"] }, null, 2) + "\n",
  );
  return blocks.map((block) => {
    // `export {}` keeps a block without imports a module, so top-level await type-checks.
    const source = block.code + "export {};\n";
    writeFileSync(join(dir, `${block.name}.ts`), source);
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: `${block.name}.ts`,
    }).outputText;
    const path = join(dir, `${block.name}.mjs`);
    writeFileSync(path, js);
    return path;
  });
}

/** Reads a file relative to the repo root. */
export function readSource(path: string): string {
  return readFileSync(join(repoRoot, path), "utf8");
}

/**
 * Runs `tsc -p` on a generated folder and returns its errors with each location moved back to
 * the Markdown or TSDoc line it came from, so a failure names the line to fix.
 */
export async function typeCheck(group: string, blocks: readonly CodeBlock[]): Promise<string[]> {
  const { execFile } = await import("node:child_process");
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  const project = join(generatedRoot, group, "tsconfig.json");
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, [tsc, "-p", project, "--noEmit", "--pretty", "false"], { cwd: repoRoot, maxBuffer: 16 << 20 }, (_error, stdout, stderr) =>
      resolve(stdout + stderr),
    );
  });
  const byName = new Map(blocks.map((b) => [b.name, b]));
  return output
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const m = /^(.*?)\((\d+),(\d+)\): (.*)$/.exec(l);
      if (m === null) return l;
      const name = m[1]!.split(/[\\/]/).pop()!.replace(/\.ts$/, "");
      const block = byName.get(name);
      if (block === undefined) return `${relative(repoRoot, m[1]!).split(sep).join("/")}:${m[2]}:${m[3]} ${m[4]}`;
      return `${block.source}:${block.line + Number(m[2]) - 1}:${m[3]} (${block.name}) ${m[4]}`;
    });
}
