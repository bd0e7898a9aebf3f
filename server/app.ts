import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import morgan from "morgan";

import { createRequestHandler } from "../session/adapters/express";
import { createAutoCommit } from "../session/core";

import { autoCommitOptions, type AppSessionStorage } from "./session-settings";

export interface AppOptions {
  /** The Remix build, or a function returning the latest one. */
  build: ServerBuild | (() => Promise<ServerBuild>);
  sessionStorage: AppSessionStorage;
  mode: "production" | "development" | "test";
  commitOnServerError?: boolean;
  /** Where request logs go; defaults to stdout, `false` turns them off. */
  log?: NodeJS.WritableStream | false;
}

// Method, path, status, size and time: never headers, so cookies and session ids stay out of logs.
const LOG_FORMAT = ":method :url :status :res[content-length] - :response-time ms";

/** The Express app: static files, request logs and Remix with self-committing sessions. */
export function createApp(options: AppOptions): express.Express {
  const { build, sessionStorage, mode, log = process.stdout } = options;
  const app = express();
  app.disable("x-powered-by");
  app.use(compression());

  // Remix fingerprints its assets, so they never change under the same name.
  app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
  app.use(express.static("public", { maxAge: "1h" }));
  if (log) app.use(morgan(LOG_FORMAT, { stream: log }));

  const withSession = createAutoCommit(autoCommitOptions(sessionStorage, mode, options.commitOnServerError));
  app.all("*", createRequestHandler({ build, withSession, mode }));
  return app;
}
