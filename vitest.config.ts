import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["app/**/*.test.ts", "session/**/*.test.ts", "server/**/*.test.ts", "tests/**/*.test.ts"],
    exclude: ["tests/e2e/**", "node_modules/**"],
    setupFiles: ["tests/support/setup.ts"],
    // Prints one line when the Redis tests are skipped for want of REDIS_URL.
    globalSetup: ["tests/support/redis-global-setup.ts"],
    // better-sqlite3 is a native addon: separate processes are the safe pool for it.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
