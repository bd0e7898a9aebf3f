import fs from "node:fs";
import type { Server } from "node:http";

import { installGlobals } from "@remix-run/node";

import { createApp } from "./server/app";
import { BuildError, loadBuild, type LoadedBuild } from "./server/build";
import { loadConfig } from "./server/config";
import { ConfigError } from "./server/environment";
import { originPolicyOf } from "./server/session-settings";
import { createSessionStorage, type AppSessionStorage } from "./server/sessions";

installGlobals({ nativeFetch: true });

// .env (see .env.example) fills in settings the environment leaves unset; the environment wins.
if (fs.existsSync(".env")) process.loadEnvFile(".env");

let config;
let loaded: LoadedBuild;
let sessionStorage: AppSessionStorage;
try {
  config = loadConfig();
  // Before the store, so a missing build is reported without waiting for Redis.
  loaded = await loadBuild(config.mode);
  // Connects to the store (Redis) before listening: an unreachable store stops the start here.
  sessionStorage = await createSessionStorage(config);
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof BuildError)) throw error;
  console.error(`Cannot start: ${error.message}`);
  process.exit(1);
}

const { build, listening } = loaded;
const app = createApp({
  build,
  sessionStorage,
  mode: config.mode,
  commitOnServerError: config.session.commitOnServerError,
  originPolicy: originPolicyOf(config.session),
});

const server: Server = app.listen(config.port, config.host, async () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  console.log(
    `Remix app ready at http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port} (sessions: ${config.session.store})`,
  );
  await listening();
});

function shutdown(signal: string) {
  console.log(`${signal}: closing the server and the session store`);
  server.close(async () => {
    await sessionStorage.close();
    process.exit(0);
  });
  // Keep-alive connections can hold close() open; do not hang forever.
  setTimeout(() => process.exit(0), 5000).unref();
  server.closeIdleConnections();
}
process.once("SIGINT", () => shutdown("SIGINT"));
process.once("SIGTERM", () => shutdown("SIGTERM"));
