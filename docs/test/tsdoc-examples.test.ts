/**
 * The API reference cannot lie either: every ```ts example in a TSDoc comment of
 * packages/eio/src type-checks and runs without throwing (its output is not checked), and every
 * public export has an `@example`.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { readSource, repoRoot, sourceFiles, tsdocExamples, typeCheck, writeBlocks, generatedRoot } from "./code-blocks.js";

const blocks = sourceFiles("packages/eio/src").flatMap((file) => tsdocExamples(file, readSource(file)));
const paths = writeBlocks("tsdoc", blocks);

interface RunResult {
  file: string;
  ok: boolean;
  error?: string;
}

/**
 * Starting a process per example would cost about a second each, so one child imports them all
 * in turn (see run-modules.mjs) and reports how each went.
 */
function runAll(): Promise<Map<string, RunResult>> {
  const resultsFile = join(generatedRoot, "tsdoc-results.json");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "docs", "test", "run-modules.mjs"), resultsFile, ...paths], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", async (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`run-modules.mjs exited with ${code}\n${stderr}`));
      const { readFile } = await import("node:fs/promises");
      const results = JSON.parse(await readFile(resultsFile, "utf8")) as RunResult[];
      resolve(new Map(results.map((r) => [r.file, r])));
    });
  });
}

describe("TSDoc examples", () => {
  test("every example type-checks", { timeout: 120_000 }, async () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(await typeCheck("tsdoc", blocks), "type errors in TSDoc examples").toEqual([]);
  });

  test("every example runs without throwing", { timeout: 150_000 }, async () => {
    const results = await runAll();
    const failures = blocks.flatMap((block, i) => {
      const result = results.get(paths[i]!);
      if (result === undefined) return [`${block.source}:${block.line} (${block.name}): did not run`];
      return result.ok ? [] : [`${block.source}:${block.line} (${block.name}): ${result.error}`];
    });
    expect(failures, "TSDoc examples that threw").toEqual([]);
  });

  test("every public export has an @example", { timeout: 120_000 }, () => {
    expect(exportsWithoutExample(), "exports of eio-ts with no @example in their doc comment").toEqual([]);
  });
});

/**
 * Walks what `import * as Eio from "eio-ts"` exposes (namespaces recursively) and lists the
 * symbols whose declarations carry no `@example` tag. `@internal` symbols are not public API.
 */
function exportsWithoutExample(): string[] {
  const entry = join(repoRoot, "packages", "eio", "src", "index.ts");
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const missing: string[] = [];
  const visited = new Set<ts.Symbol>();
  const visit = (module: ts.Symbol, prefix: string): void => {
    for (const exported of checker.getExportsOfModule(module)) {
      const name = prefix + exported.getName();
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = target.getDeclarations() ?? [];
      if (declarations.some((d) => ts.isSourceFile(d))) {
        if (!visited.has(target)) {
          visited.add(target);
          visit(target, `${name}.`);
        }
        continue;
      }
      const tags = declarations.flatMap((d) => ts.getJSDocTags(d).map((t) => t.tagName.text));
      if (tags.includes("internal")) continue;
      if (!tags.includes("example")) missing.push(name);
    }
  };
  visit(moduleSymbol, "");
  return missing.sort();
}
