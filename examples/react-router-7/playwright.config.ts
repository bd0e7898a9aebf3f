import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { defineConfig, devices } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 4610);
const baseURL = `http://127.0.0.1:${PORT}`;

// Playwright cannot download its browser everywhere; a system Chromium is used when there is one.
const systemChromium = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (candidate): candidate is string => Boolean(candidate && fs.existsSync(candidate)),
);

export default defineConfig({
  testDir: "tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [["list"]],
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
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
  webServer: {
    // The production server, built and started as the README says, on a fresh SQLite database.
    command: "npm run build && npm start",
    url: `${baseURL}/lab/session`,
    reuseExistingServer: false,
    timeout: 180_000,
    env: {
      PORT: String(PORT),
      HOST: "127.0.0.1",
      LAB_ROUTES: "on",
      SESSION_SECRET: "e2e-secret-that-is-at-least-32-characters",
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "rr7-e2e-data-")),
    },
  },
});
