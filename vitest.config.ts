import { defineConfig } from "vitest/config";

/** Test files that run the built Worker (scripts/workers-local.ts) or its Durable Object in workerd. */
const WORKERS_TESTS = ["tests/workers/**/*.test.ts", "session/stores/durable-object.test.ts"];

export default defineConfig({
  test: {
    setupFiles: ["tests/support/setup.ts"],
    // better-sqlite3 is a native addon: separate processes are the safe pool for it.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["app/**/*.test.ts", "session/**/*.test.ts", "server/**/*.test.ts", "tests/**/*.test.ts"],
          exclude: ["tests/e2e/**", "node_modules/**", ...WORKERS_TESTS],
          // Prints one line when the Redis tests are skipped for want of REDIS_URL.
          globalSetup: ["tests/support/redis-global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "workers",
          include: WORKERS_TESTS,
          // Builds the Worker once for every file of this project; runs only when one of them is selected.
          globalSetup: ["tests/support/workers-global-setup.ts"],
        },
      },
    ],
  },
});
