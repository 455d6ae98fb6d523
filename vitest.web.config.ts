import { defineConfig } from "vitest/config";

/**
 * `npm run test:web`: the page in a real browser — Debian's Chromium driven by playwright-core
 * (test/browser/). One file at a time: each starts a browser, and the machine has two cores.
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
