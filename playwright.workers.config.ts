import { defineConfig } from "@playwright/test";

import base from "./playwright.config";

const PORT = Number(process.env.E2E_WORKERS_PORT ?? 3240);
const baseURL = `http://127.0.0.1:${PORT}`;

/**
 * The browser suite against the Cloudflare Worker build (`npm run preview:workers`: wrangler dev,
 * workerd) with its default Durable Object store: `npm run test:e2e:workers`. The Express specs run
 * unchanged, the concurrency lab's 20 of 20 included, since this store merges concurrent commits.
 */
export default defineConfig({
  ...base,
  testDir: "tests",
  testMatch: [
    "e2e/concurrency-lab.spec.ts",
    "e2e/flash-and-auth.spec.ts",
    "e2e/no-javascript.spec.ts",
    "e2e/cross-site.spec.ts",
  ],
  outputDir: "test-results/workers",
  projects: [
    {
      name: "workers-durable-object",
      use: { ...base.use, baseURL },
      // ENVIRONMENT=test: the cookie keeps the development name.
      metadata: { store: "durable-object", cookieName: "__session" },
    },
  ],
  webServer: {
    // Builds the Worker, then serves it with wrangler dev.
    command: "npm run preview:workers",
    url: `${baseURL}/lab/ping`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    env: {
      PORT: String(PORT),
      ENVIRONMENT: "test",
      LAB_ROUTES: "on",
      SESSION_SECRET: "e2e-secret-that-is-at-least-32-characters",
    },
  },
});
