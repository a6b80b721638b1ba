// The API site with the guide inside it (issue 18): typedoc builds it into a temporary folder (the
// npm test's own `docs:api` runs after vitest, so this cannot use its output), a small server
// on 127.0.0.1 serves it where `npm run docs:api` puts it, at docs/api/ in the repository (its
// "Defined in" links lead out of the site to the sources), and Debian's headless Chromium, driven
// by playwright-core, opens every page. Every link inside the site must lead to a page that
// exists and, if it names an anchor, to an element with that id; every other link to this server
// must name a file of the repository; no page may throw or log an error.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, relative, sep } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./code-blocks.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
};

/** Where the site is served: where `npm run docs:api` writes it in the repository. */
const SITE = "docs/api/";
let site = "";
let server: Server;
let origin = "";

/** Every file under `dir`, as paths relative to it with `/` between folders. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/** The file a URL path names: under docs/api/, the site's; elsewhere, the repository's. */
function fileOf(urlPath: string): string | null {
  if (urlPath.startsWith(SITE)) {
    const inSite = urlPath.slice(SITE.length);
    return join(site, inSite === "" || inSite.endsWith("/") ? `${inSite}index.html` : inSite);
  }
  const file = join(repoRoot, urlPath);
  return relative(repoRoot, file).startsWith("..") ? null : file;
}

/** The guide's chapters: every docs/*.md but the index, which is the site's front page. */
function chapters(): string[] {
  return readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md") && f !== "index.md");
}

beforeAll(async () => {
  site = mkdtempSync(join(tmpdir(), "eio-api-site-"));
  const typedoc = join(repoRoot, "node_modules", "typedoc", "bin", "typedoc");
  // The repo's typedoc.json, only written elsewhere; it treats warnings as errors.
  const output = await new Promise<{ code: number; text: string }>((resolve) => {
    execFile(process.execPath, [typedoc, "--out", site], { cwd: repoRoot, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), text: stdout + stderr }),
    );
  });
  if (output.code !== 0) throw new Error(`typedoc failed (exit ${output.code}):\n${output.text}`);
  server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname).slice(1);
    // The browser asks for an icon the site does not have: not a broken link.
    if (path === "favicon.ico") {
      response.writeHead(204).end();
      return;
    }
    const file = fileOf(path);
    if (file === null || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the site's server has no port");
  origin = `http://127.0.0.1:${address.port}`;
}, 300_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  if (site !== "") rmSync(site, { recursive: true, force: true });
});

describe("the API site with the guide", () => {
  it("has the guide's index as its front page and a page for every chapter, named by its title", () => {
    const front = readFileSync(join(site, "index.html"), "utf8");
    expect(front).toContain("The eio-ts guide");
    const pages = filesUnder(join(site, "documents"));
    const titles = chapters().map((file) => /^# (.+)$/m.exec(readFileSync(join(repoRoot, "docs", file), "utf8"))![1]!.replaceAll("`", ""));
    expect(pages).toHaveLength(titles.length);
    for (const title of titles) {
      expect(pages.map((p) => readFileSync(join(site, "documents", p), "utf8")).some((html) => html.includes(`<title>${title.replaceAll("&", "&amp;")} | eio-ts</title>`)), title).toBe(true);
    }
  });

  it("opens every page in Chromium with no page error, and every link inside the site leads somewhere", { timeout: 900_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`).toBe(true);
    const files = new Set(filesUnder(site));
    const pages = [...files].filter((f) => f.endsWith(".html"));
    const anchors = new Map<string, Set<string>>();
    // Each link once, with the first page it was found on.
    const links = new Map<string, string>();
    const errors: string[] = [];
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    // Two tabs, each opening every other page: the machine has two cores.
    const visit = async (mine: string[]): Promise<void> => {
      const page = await browser.newPage();
      let current = "";
      page.on("pageerror", (error) => errors.push(`${current}: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`${current}: console: ${message.text()}`);
      });
      page.on("requestfailed", (request) => errors.push(`${current}: could not load ${request.url()}`));
      page.on("response", (response) => {
        if (response.status() >= 400) errors.push(`${current}: ${response.status()} for ${response.url()}`);
      });
      for (const [k, path] of mine.entries()) {
        current = path;
        await page.goto(`${origin}/${SITE}${path}`, { waitUntil: "load" });
        // The sidebar is drawn by script from assets/navigation.js: its links count too, so wait
        // for it once (it is the same on every page).
        if (k === 0) await page.waitForSelector(".tsd-navigation a[href*='documents/']");
        // Each link as the browser resolved it (`href` of the element, not its attribute).
        const found = await page.$$eval("[id], a[name], a[href]", (elements) =>
          elements.map((e) => ({ id: e.id || (e.getAttribute("name") ?? ""), href: e.hasAttribute("href") ? (e as unknown as { href: string }).href : "" })),
        );
        anchors.set(path, new Set(found.map((f) => f.id).filter((id) => id !== "")));
        for (const { href } of found) if (href !== "" && !links.has(href)) links.set(href, path);
      }
    };
    try {
      await Promise.all([0, 1].map((tab) => visit(pages.filter((_, i) => i % 2 === tab))));
    } finally {
      await browser.close();
    }

    const broken: string[] = [];
    let checked = 0;
    let sources = 0;
    for (const [href, from] of links) {
      const url = new URL(href);
      if (url.origin !== origin) continue;
      checked++;
      const urlPath = decodeURIComponent(url.pathname).slice(1);
      if (!urlPath.startsWith(SITE)) {
        // Out of the site, into the repository: a source file ("Defined in").
        const file = fileOf(urlPath);
        if (file === null || !existsSync(file) || !statSync(file).isFile()) broken.push(`${from}: ${href} (no such file in the repository)`);
        else sources++;
        continue;
      }
      let path = urlPath.slice(SITE.length);
      if (path === "" || path.endsWith("/")) path += "index.html";
      if (!files.has(path)) broken.push(`${from}: ${href} (no such page)`);
      else if (url.hash.length > 1 && !anchors.get(path)?.has(decodeURIComponent(url.hash.slice(1)))) {
        broken.push(`${from}: ${href} (no such anchor)`);
      }
    }
    expect(errors, "page errors").toEqual([]);
    expect(broken, "broken links").toEqual([]);
    // The links between chapters and to the API were found and checked, not skipped.
    expect(checked).toBeGreaterThan(pages.length);
    expect(sources).toBeGreaterThan(0);
    expect([...links.keys()].some((href) => href.startsWith(`${origin}/${SITE}documents/`) && href.includes("#"))).toBe(true);
  });
});
