import { defineConfig } from "tsup";

// Each module that another domain loads by URL (a task) is an entry, so its URL is stable.
export default defineConfig({
  entry: ["src/main.ts", "src/store.ts", "src/handler.ts", "src/kv-check-log.ts"],
  format: ["esm"],
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: true,
});
