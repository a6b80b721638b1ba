// The layout rules that a reader of the package sees: `import * as Eio from "eio-ts"` reaches
// public names only (no `__` name, nothing whose declaration says `@internal`), walked in the
// built package; no import cycle among the sources crosses a folder; and the main side never
// imports the worker side.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../src/", import.meta.url));
const dist = new URL("../dist/index.js", import.meta.url).href;

const text = new Map<string, string>();
function read(file: string): string {
  let t = text.get(file);
  if (t === undefined) text.set(file, (t = readFileSync(file, "utf8")));
  return t;
}

/** The source file a relative specifier of `from` names (`./x.js` is `./x.ts` in src). */
function target(from: string, specifier: string): string {
  return resolve(dirname(from), specifier.replace(/\.js$/, ".ts"));
}

type Found = { kind: "namespace"; file: string } | { kind: "declaration"; file: string; internal: boolean } | null;

/** True if the TSDoc comment right before `at` in `source` says `@internal`. */
function internalAt(source: string, at: number): boolean {
  const before = source.slice(0, at).trimEnd();
  if (!before.endsWith("*/")) return false;
  const doc = before.slice(before.lastIndexOf("/**"));
  return /@internal\b/.test(doc);
}

/** Where `name`, exported by `file`, is declared: follows re-exports. */
function find(file: string, name: string, seen = new Set<string>()): Found {
  if (seen.has(`${file}:${name}`)) return null;
  seen.add(`${file}:${name}`);
  const source = read(file);
  const declaration = new RegExp(
    String.raw`^export\s+(?:declare\s+)?(?:async\s+)?(?:function\s*\*?|const\s+enum|const|let|var|abstract\s+class|class|enum|interface|type)\s*${name}\b`,
    "m",
  ).exec(source);
  if (declaration !== null) return { kind: "declaration", file, internal: internalAt(source, declaration.index) };
  const namespace = new RegExp(String.raw`^export\s+\*\s+as\s+${name}\s+from\s+"([^"]+)"`, "m").exec(source);
  if (namespace !== null) return { kind: "namespace", file: target(file, namespace[1]!) };
  for (const list of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}(?:\s+from\s+"([^"]+)")?/gm)) {
    for (const item of list[1]!.split(",")) {
      const [local, exported = local] = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/);
      if (exported !== name) continue;
      // A TSDoc on the export statement counts too.
      if (internalAt(source, list.index)) return { kind: "declaration", file, internal: true };
      return list[2] === undefined ? findLocal(file, local!, seen) : find(target(file, list[2]), local!, seen);
    }
  }
  for (const star of source.matchAll(/^export\s+\*\s+from\s+"([^"]+)"/gm)) {
    const found = find(target(file, star[1]!), name, seen);
    if (found !== null) return found;
  }
  return null;
}

/** Where the local name `name` of `file` (in `export { name }`) is declared: here, or where it is imported from. */
function findLocal(file: string, name: string, seen: Set<string>): Found {
  const source = read(file);
  const declaration = new RegExp(String.raw`^(?:declare\s+)?(?:async\s+)?(?:function\s*\*?|const|let|var|abstract\s+class|class|enum)\s*${name}\b`, "m").exec(source);
  if (declaration !== null) return { kind: "declaration", file, internal: internalAt(source, declaration.index) };
  for (const list of source.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"(\.[^"]+)"/gm)) {
    for (const item of list[1]!.split(",")) {
      const [imported, local = imported] = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/);
      if (local === name) return find(target(file, list[2]!), imported!, seen);
    }
  }
  return find(file, name, seen);
}

/** Every name reachable from the namespace `value` (declared by `file`) that breaks the rule. */
function offences(value: Record<string, unknown>, file: string, path: string): string[] {
  const bad: string[] = [];
  for (const key of Object.keys(value)) {
    const here = path === "" ? key : `${path}.${key}`;
    if (key.startsWith("__")) bad.push(`${here}: a __ name`);
    const found = find(file, key);
    const where = relative(src, file);
    if (found === null) bad.push(`${here}: no declaration found from ${where}`);
    else if (found.kind === "namespace") bad.push(...offences(value[key] as Record<string, unknown>, found.file, here));
    else if (found.internal) bad.push(`${here}: marked @internal in ${relative(src, found.file)}`);
  }
  return bad;
}

/** The files whose every export is public: index.ts and the modules it exports as namespaces. */
function publicFiles(file = join(src, "index.ts"), found = new Set<string>()): Set<string> {
  found.add(file);
  for (const m of read(file).matchAll(/^export\s+\*\s+as\s+\w+\s+from\s+"([^"]+)"/gm)) {
    const next = target(file, m[1]!);
    if (!found.has(next)) publicFiles(next, found);
  }
  return found;
}

/** The exports of a public file, types included, whose TSDoc says `@internal`. */
function internalExports(file: string): string[] {
  const source = read(file);
  const bad: string[] = [];
  for (const m of source.matchAll(/^export\s+(?:declare\s+)?(?:async\s+)?(?:function\s*\*?|const\s+enum|const|let|var|abstract\s+class|class|enum|interface|type)\s*(\w+)/gm)) {
    if (internalAt(source, m.index)) bad.push(`${relative(src, file)}: ${m[1]} is marked @internal`);
  }
  for (const m of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    if (internalAt(source, m.index)) bad.push(`${relative(src, file)}: ${m[1]!.trim()} is marked @internal`);
  }
  return bad;
}

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

/** The relative imports of each source file (type-only ones too: they tie the files as much). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) {
    const source = read(file).replace(/\/\*[\s\S]*?\*\//g, "");
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|^\s*import\s+"(\.[^"]+)"/gm)].map((m) => (m[1] ?? m[2])!);
    graph.set(file, specifiers.map((s) => target(file, s)));
  }
  return graph;
}

/** The strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  function visit(v: string): void {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One cycle through the files of `component`, from its first file back to it (breadth first). */
function cycleThrough(graph: Map<string, string[]>, component: string[]): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w) || from.has(w)) continue;
      from.set(w, v);
      if (w === start) {
        const between: string[] = [];
        for (let at = v; at !== start; at = from.get(at)!) between.unshift(at);
        return [start, ...between, start];
      }
      queue.push(w);
    }
  }
  return component;
}

describe("the package's layout", () => {
  it("reaches public names only from the built package's namespace", async () => {
    const Eio = (await import(dist)) as Record<string, unknown>;
    expect(Object.keys(Eio).length).toBeGreaterThan(20); // the walk saw the real namespace
    expect(offences(Eio, join(src, "index.ts"), "")).toEqual([]);
  });

  it("shows public names only in a public file, types included", () => {
    const files = [...publicFiles()];
    expect(files.length).toBeGreaterThan(15);
    expect(files.flatMap(internalExports)).toEqual([]);
  });

  it("finds an @internal name and a __ name when there is one (the check can fail)", () => {
    const switchFile = join(src, "core", "switch.ts");
    text.set(switchFile, `${read(switchFile)}\n/** Not for users. @internal */\nexport function secretHook(): void {}\n`);
    try {
      const fake = { Switch: { run: () => {}, secretHook: () => {} }, __boot: () => {} };
      expect(offences(fake, join(src, "index.ts"), "")).toEqual([
        "Switch.secretHook: marked @internal in core/switch.ts",
        "__boot: a __ name",
        "__boot: no declaration found from index.ts",
      ]);
      expect(internalExports(switchFile)).toEqual(["core/switch.ts: secretHook is marked @internal"]);
    } finally {
      text.delete(switchFile);
    }
  });

  it("has no import cycle whose files are in more than one folder", () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(50);
    const crossing = cycles(graph)
      .filter((files) => new Set(files.map((f) => dirname(f))).size > 1)
      .map((files) => cycleThrough(graph, files).map((f) => relative(src, f)).join(" -> "));
    expect(crossing).toEqual([]);
  });

  it("never imports the worker side from the main side (it names the worker's entries by URL)", () => {
    const worker = join(src, "worker");
    const inWorker = (f: string): boolean => f.startsWith(worker + "/");
    const graph = importGraph();
    expect([...graph.keys()].filter(inWorker).length).toBeGreaterThan(3);
    const crossing = [...graph].flatMap(([file, imports]) =>
      inWorker(file) ? [] : imports.filter(inWorker).map((to) => `${relative(src, file)} -> ${relative(src, to)}`),
    );
    expect(crossing).toEqual([]);
  });

  it("finds a cycle across folders when there is one (the check can fail)", () => {
    const graph = new Map([
      ["/a/x.ts", ["/b/y.ts"]],
      ["/b/y.ts", ["/a/x.ts"]],
      ["/a/z.ts", ["/a/w.ts"]],
      ["/a/w.ts", ["/a/z.ts"]],
    ]);
    expect(cycles(graph)).toEqual(expect.arrayContaining([["/a/x.ts", "/b/y.ts"], ["/a/w.ts", "/a/z.ts"]]));
    expect(cycleThrough(graph, ["/a/x.ts", "/b/y.ts"])).toEqual(["/a/x.ts", "/b/y.ts", "/a/x.ts"]);
  });
});
