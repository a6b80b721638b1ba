// A typedoc plugin (typedoc.json "plugin") that makes the guide's chapters (docs/*.md, typedoc's
// projectDocuments) read in the API site as they do on GitHub:
// - each chapter is named by its "# " title, not its file name, and listed under "Guide" in the
//   order of docs/index.md's links (a chapter it does not link comes last);
// - a heading with code keeps that code in its anchor. typedoc 0.28 builds the anchor, and the
//   heading's line in "On this page", from the plain text only, so "## Native APIs and
//   `AbortSignal`" became #native-apis-and, while GitHub, whose anchors the guide's links use,
//   makes #native-apis-and-abortsignal. Each code span in a heading is rewritten as <code>, its
//   text, </code>: the same HTML, and its text now counts.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Application, Converter } from "typedoc";

const index = new URL("index.md", import.meta.url);

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    const order = [...readFileSync(index, "utf8").matchAll(/\]\(([\w-]+\.md)\)/g)].map((m) => m[1]);
    // A document is named after its file (its path from displayBasePath, without ".md") until
    // renamed below.
    const ranks = new Map();
    for (const doc of project.documents ?? []) {
      const k = order.indexOf(`${basename(doc.name)}.md`);
      ranks.set(doc, k === -1 ? order.length : k);
    }
    const rank = (doc) => ranks.get(doc) ?? order.length;
    for (const doc of project.documents ?? []) {
      const title = /^# (.+)$/m.exec(doc.content.map((part) => part.text).join(""));
      if (title !== null) doc.name = title[1].replaceAll("`", "");
      doc.frontmatter.group ??= "Guide";
    }
    const byRank = (a, b) => (a.isDocument() && b.isDocument() ? rank(a) - rank(b) : 0);
    project.documents?.sort(byRank);
    project.childrenIncludingDocuments?.sort(byRank);
  });

  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    const previous = app.options.getValue("markdownItLoader");
    app.options.setValue("markdownItLoader", (parser) => {
      previous(parser);
      parser.core.ruler.push("code-in-headings", (state) => {
        state.tokens.forEach((token, i) => {
          if (token.type !== "inline" || state.tokens[i - 1]?.type !== "heading_open") return;
          token.children = token.children.flatMap((child) => {
            if (child.type !== "code_inline") return [child];
            const open = new state.Token("html_inline", "", 0);
            open.content = "<code>";
            const text = new state.Token("text", "", 0);
            text.content = child.content;
            const close = new state.Token("html_inline", "", 0);
            close.content = "</code>";
            return [open, text, close];
          });
        });
      });
    });
  });
}
