import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import morgan from "morgan";

import type { LabContext } from "../app/lab-context";
import { createRequestHandler } from "auto-commit-session/express";
import type { OriginPolicy } from "auto-commit-session";

import { buildFolders } from "./build-folders";
import { labContextFromEnvironment } from "./config";
import type { Mode } from "./environment";
import { createAppWithSession, type AppSessionStorage } from "./session-wiring";

export interface AppOptions {
  /** The Remix build, or a function returning the latest one. */
  build: ServerBuild | (() => Promise<ServerBuild>);
  sessionStorage: AppSessionStorage;
  mode: Mode;
  commitOnServerError?: boolean;
  /**
   * Which `Origin` writes are accepted from (APP_ORIGIN) and whether the proxy's X-Forwarded-Proto and
   * X-Forwarded-Host are believed (TRUST_PROXY, which also sets Express's `trust proxy`, so the
   * request URL Remix sees has the browser's scheme and host). `originPolicyOf(config.session)`.
   */
  originPolicy?: OriginPolicy;
  /** Where request logs go; defaults to stdout, `false` turns them off. */
  log?: NodeJS.WritableStream | false;
  /**
   * The lab's context (`labContextOf(config)`), or null: every `/lab` route answers 404. Unset: read
   * from the environment (LAB_ROUTES, SESSION_STORE, SESSION_MAX_BYTES).
   */
  lab?: LabContext | null;
}

// Method, path, status, size and time: never headers, so cookies and session ids stay out of logs.
const LOG_FORMAT = ":method :url :status :res[content-length] - :response-time ms";

/** The Express app: static files, request logs and Remix with self-committing sessions. */
export function createApp(options: AppOptions): express.Express {
  const { build, sessionStorage, mode, originPolicy = {}, log = process.stdout } = options;
  const app = express();
  app.disable("x-powered-by");
  // Only behind a proxy that sets X-Forwarded-* itself: otherwise any client could claim any scheme or host.
  if (originPolicy.trustProxy) app.set("trust proxy", true);
  app.use(compression());

  // Remix fingerprints its assets, so they never change under the same name. The folder is the one of
  // the build being served (public/build/, or public-single-fetch/build/ with REMIX_SINGLE_FETCH=on).
  app.use("/build", express.static(buildFolders().assetsBuildDirectory, { immutable: true, maxAge: "1y" }));
  app.use(express.static("public", { maxAge: "1h" }));
  if (log) app.use(morgan(LOG_FORMAT, { stream: log }));

  const withSession = createAppWithSession(sessionStorage, {
    mode,
    commitOnServerError: options.commitOnServerError,
    originPolicy,
    lab: options.lab !== undefined ? options.lab : labContextFromEnvironment(),
  });
  app.all("*", createRequestHandler({ build, withSession, mode }));
  return app;
}
