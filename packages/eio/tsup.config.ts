import { defineConfig } from "tsup";

export default defineConfig({
  // The domain worker is its own file: `new Worker(dist/domain-worker.js)` loads it, and it
  // loads `index.js`, so that task modules importing "eio-ts" share the runtime instance.
  entry: { index: "src/index.ts", "domain-worker": "src/worker/entry.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: false,
});
