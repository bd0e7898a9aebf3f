import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { defineConfig } from "@playwright/test";

import base from "./playwright.config";

/**
 * The Express browser suite again, against the build with `future.v3_singleFetch` on
 * (`npm run build:single-fetch`, served with REMIX_SINGLE_FETCH=on), on a port of its own so that a
 * server of the other mode is never taken for it. Live reload is left out: `npm run dev` behaves the
 * same in both modes and that spec's servers are its own.
 */
const PORT = Number(process.env.E2E_SINGLE_FETCH_PORT ?? 3220);
const baseURL = `http://127.0.0.1:${PORT}`;
const webServer = Array.isArray(base.webServer) ? base.webServer[0] : base.webServer!;

export default defineConfig({
  ...base,
  testIgnore: ["**/live-reload.spec.ts"],
  use: { ...base.use, baseURL },
  projects: base.projects!.map((project) => ({
    ...project,
    name: `${project.name}-single-fetch`,
    metadata: { ...project.metadata, singleFetch: true },
  })),
  webServer: {
    ...webServer,
    command: webServer.command.replace("express-server.log", "express-single-fetch-server.log"),
    url: `${baseURL}/lab/ping`,
    env: {
      ...webServer.env,
      PORT: String(PORT),
      REMIX_SINGLE_FETCH: "on",
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "e2e-single-fetch-data-")),
    },
  },
});
