import { defineConfig } from "tsup";

export default defineConfig({
  // The worker side boots from files of its own, which the main side names by URL and never
  // imports (src/domains/worker-entries.ts). Splitting puts the runtime in a chunk that they
  // and `index.js` share, so a domain's scheduler and the task modules it loads
  // (`import "eio-ts"`) are one instance.
  entry: { index: "src/index.ts", "domain-worker": "src/worker/entry.ts", "serve-in-domain": "src/worker/serve-in-domain.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: true,
});
