import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "docs/test/**/*.test.ts", "test/**/*.test.ts", "bench/test/**/*.test.mjs"],
    globalSetup: ["test/setup/require-programs.ts", "test/setup/ensure-built.ts"],
    reporters: ["default", "./test/setup/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
