import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests run on the virtual clock; nothing here should need more than a few seconds.
    testTimeout: 20_000,
  },
});
