import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import url from "node:url";

import type { ServerBuild } from "@remix-run/node";

import { createApp } from "../../server/app";
import { buildFolders } from "../../server/build-folders";
import { labContextOf, loadConfig, type ServerConfig } from "../../server/config";
import { originPolicyOf } from "../../server/session-settings";
import { createSessionStorage, type AppSessionStorage } from "../../server/sessions";

export const TEST_SECRET = "test-secret-that-is-at-least-32-characters-long";

export interface TestServer {
  url: string;
  config: ServerConfig;
  sessionStorage: AppSessionStorage;
  /** Stops the server and closes the store. */
  close(): Promise<void>;
}

let build: Promise<ServerBuild> | undefined;

/** The production build of the app, as `npm run build` wrote it (with REMIX_SINGLE_FETCH=on, the single-fetch one). */
export function loadAppBuild(): Promise<ServerBuild> {
  const { serverBuildPath, singleFetch } = buildFolders();
  const file = path.resolve(serverBuildPath);
  const command = singleFetch ? "npm run build:single-fetch" : "npm run build";
  if (!fs.existsSync(file)) throw new Error(`No ${serverBuildPath}: run \`${command}\` before the tests.`);
  build ??= import(/* @vite-ignore */ url.pathToFileURL(file).href);
  return build;
}

/**
 * Starts the real Express app (the one `server.ts` serves) on an ephemeral loopback port, with a
 * fresh data folder. `env` overrides settings the way the environment would.
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    mode?: "production" | "development" | "test";
    log?: NodeJS.WritableStream;
  } = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "session-test-"));
  const config = loadConfig({ NODE_ENV: "test", SESSION_SECRET: TEST_SECRET, DATA_DIR: dataDir, ...options.env });
  const sessionStorage = await createSessionStorage(config);
  const app = createApp({
    build: await loadAppBuild(),
    sessionStorage,
    mode: options.mode ?? "production",
    commitOnServerError: config.session.commitOnServerError,
    originPolicy: originPolicyOf(config.session),
    lab: labContextOf(config),
    log: options.log ?? false,
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    sessionStorage,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sessionStorage.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
