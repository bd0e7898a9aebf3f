import { defineConfig } from "@playwright/test";

import base from "./playwright.config";

/**
 * The browser suite against the Cloudflare Pages build, served by workerd (Miniflare) on loopback:
 * `npm run test:e2e:cloudflare`. Each project runs one store. The Express specs that hold for every
 * store run unchanged; the two that need merging commits (concurrency lab, nested navigation) are
 * left out, because neither the cookie store nor KV can merge, and tests/e2e-cloudflare says what
 * happens there instead.
 */
const STORES = [
  { store: "cookie", port: Number(process.env.E2E_PAGES_PORT ?? 3230) },
  { store: "kv", port: Number(process.env.E2E_PAGES_PORT ?? 3230) + 1 },
];

export default defineConfig({
  ...base,
  testDir: "tests",
  testMatch: [
    "e2e/flash-and-auth.spec.ts",
    "e2e/no-javascript.spec.ts",
    "e2e/cross-site.spec.ts",
    "e2e-cloudflare/*.spec.ts",
  ],
  outputDir: "test-results/cloudflare",
  projects: STORES.map(({ store, port }) => ({
    name: `pages-${store}`,
    use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
    // ENVIRONMENT=test: the cookie keeps the development name.
    metadata: { store, cookieName: "__session" },
  })),
  // Playwright starts these one after another: the first builds the Pages project (npm run
  // preview:cloudflare) and serves it from workerd, the others serve that same build.
  webServer: STORES.map(({ store, port }, index) => ({
    command: index === 0 ? "npm run preview:cloudflare" : "npx tsx scripts/preview-cloudflare.ts",
    url: `http://127.0.0.1:${port}/lab/ping`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    env: {
      PORT: String(port),
      ENVIRONMENT: "test",
      LAB_ROUTES: "on",
      SESSION_STORE: store,
      SESSION_SECRET: "e2e-secret-that-is-at-least-32-characters",
    },
  })),
});
