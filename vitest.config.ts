import { defineConfig } from "vitest/config";

import { sourceEntries } from "./session/scripts/source-entries.mjs";

/** Test files that run a Cloudflare build (Pages or Workers, harness/*-local.ts) in workerd. */
const CLOUDFLARE_TESTS = [
  "tests/cloudflare/**/*.test.ts",
  "tests/workers/**/*.test.ts",
  "tests/lab-routes.test.ts",
  "session/stores/durable-object.test.ts",
];

/** Test files that also run against the single-fetch build, in the project of that name. */
const SINGLE_FETCH_TESTS = [
  "tests/commit-rules.test.ts",
  "tests/identity-races.test.ts",
  "tests/hostile/merge-http.test.ts",
];

export default defineConfig({
  // "auto-commit-session/..." runs from the sources in session/, as tsconfig.json's paths say for tsc and tsx.
  resolve: {
    alias: sourceEntries().map(({ name, source }) => ({ find: new RegExp(`^${name}$`), replacement: source })),
  },
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
          exclude: ["tests/e2e/**", "node_modules/**", ...CLOUDFLARE_TESTS],
          // Each prints one line when its Redis tests are skipped for want of REDIS_URL or REDIS_CLUSTER_URL.
          globalSetup: ["tests/support/redis-global-setup.ts", "tests/support/redis-cluster.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "cloudflare",
          include: CLOUDFLARE_TESTS,
          // Builds Pages and Workers once for every file of this project; runs only when one of them is selected.
          globalSetup: ["tests/support/cloudflare-global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "single-fetch",
          // The suites whose traffic single fetch changes, again against the build with
          // future.v3_singleFetch (`npm run build:single-fetch`); see server/build-folders.ts.
          include: SINGLE_FETCH_TESTS,
          env: { REMIX_SINGLE_FETCH: "on" },
          globalSetup: ["tests/support/redis-global-setup.ts"],
        },
      },
    ],
  },
});
