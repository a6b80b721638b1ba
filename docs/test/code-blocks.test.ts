// The extraction the doc tests rely on: which blocks count, and which output goes with which.
import { describe, expect, test } from "vitest";
import { chapterName, markdownBlocks, tsdocExamples } from "./code-blocks.js";

const fence = "```";

describe("markdownBlocks", () => {
  test("pairs a ts block with the text block right after it, across blank lines", () => {
    const md = ["# T", `${fence}ts`, "a();", fence, "", `${fence}text`, "+one", "two", fence].join("\n");
    const [block] = markdownBlocks("docs/t.md", md);
    expect(block).toEqual({ source: "docs/t.md", name: "t-1", line: 3, code: "a();\n", expected: "+one\ntwo\n" });
  });

  test("a ts block followed by prose or another code block has no expected output", () => {
    const md = [`${fence}ts`, "a();", fence, "Some prose.", `${fence}text`, "x", fence, `${fence}ts`, "b();", fence, `${fence}sh`, "ls", fence].join("\n");
    expect(markdownBlocks("README.md", md).map((b) => [b.name, b.expected])).toEqual([
      ["readme-1", null],
      ["readme-2", null],
    ]);
  });

  test("an empty text block means the program prints nothing", () => {
    const md = [`${fence}typescript`, "a();", fence, `${fence}text`, fence].join("\n");
    expect(markdownBlocks("docs/t.md", md)[0]!.expected).toBe("");
  });

  test("an unclosed block is an error that names the line", () => {
    expect(() => markdownBlocks("docs/t.md", ["x", `${fence}ts`, "a();"].join("\n"))).toThrow("docs/t.md:2");
  });

  test("chapter names come from the path", () => {
    expect([chapterName("docs/fibers.md"), chapterName("README.md"), chapterName("docs/guide/Intro.md")]).toEqual(["fibers", "readme", "guide-intro"]);
  });
});

describe("tsdocExamples", () => {
  test("takes the example out of the comment and names it after the symbol that follows", () => {
    const src = ["/**", " * Does a thing.", " *", " * @example", ` * ${fence}ts`, " * import * as Eio from \"eio-ts\";", " *   indented();", ` * ${fence}`, " */", "export function* doThing(): void {}"].join("\n");
    const [block] = tsdocExamples("packages/eio/src/core/thing.ts", src);
    expect(block).toMatchObject({ name: "core_thing-doThing", line: 6, code: 'import * as Eio from "eio-ts";\n  indented();\n', expected: null });
  });

  test("names that differ only in case get distinct file names", () => {
    const example = (decl: string) => ["/**", ` * ${fence}ts`, " * x();", ` * ${fence}`, " */", decl];
    const src = [...example("export interface Task {}"), ...example("export function task() {}")].join("\n");
    expect(tsdocExamples("packages/eio/src/task.ts", src).map((b) => b.name)).toEqual(["task-Task", "task-task-2"]);
  });
});
