import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // What a passing test prints (figures, an example's output) stays out of the results; a failing test's is shown.
    silent: "passed-only",
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
