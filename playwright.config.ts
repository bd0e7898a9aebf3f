import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { defineConfig, devices } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3210);
const baseURL = `http://127.0.0.1:${PORT}`;

// Playwright cannot download its browser everywhere; a system Chromium is used when there is one.
const systemChromium = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (candidate): candidate is string => Boolean(candidate && fs.existsSync(candidate)),
);

export default defineConfig({
  testDir: "tests/e2e",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  // On CI (two busy cores) a step that times out gets one more try; Playwright reports such a test as
  // flaky in the run's summary, so it is seen rather than hidden. A test that fails twice fails the run.
  retries: process.env.CI ? 1 : 0,
  workers: 2,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: systemChromium
      ? {
          executablePath: systemChromium,
          // Without these, Chromium keeps trying to reach Google on a closed network.
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        }
      : {},
  },
  // Production names the session cookie __Host-session (Secure; Chromium keeps it on http://127.0.0.1).
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] }, metadata: { cookieName: "__Host-session" } }],
  webServer: {
    // The production build, served the way `npm start` serves it, on the default SQLite store; the
    // warnings the suites provoke on purpose go to test-results/express-server.log.
    command: "node tests/support/webserver.mjs test-results/express-server.log npm start",
    url: `${baseURL}/lab/ping`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    env: {
      PORT: String(PORT),
      HOST: "127.0.0.1",
      SESSION_STORE: "sqlite",
      // The specs drive the lab's routes, which production leaves out unless told.
      LAB_ROUTES: "on",
      SESSION_SECRET: "e2e-secret-that-is-at-least-32-characters",
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "e2e-data-")),
    },
  },
});
