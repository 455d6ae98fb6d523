import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The page's tests drive a real Chromium: `npm run test:web` (vitest.web.config.ts).
    exclude: ["test/browser/**", "**/node_modules/**"],
    // Tests run on the virtual clock; nothing here should need more than a few seconds.
    testTimeout: 20_000,
  },
});
