import fs from "node:fs";
import path from "node:path";

import { createRequestHandler as createExpressRequestHandler } from "@remix-run/express";
// The adapter's own pieces, as session/adapters/express.ts uses them, to commit between Remix and Express.
import { createRemixRequest, sendRemixResponse } from "@remix-run/express/dist/server.js";
import {
  createCookie,
  createRequestHandler as createRemixRequestHandler,
  createSessionStorage as createRemixSessionStorage,
  type AppLoadContext,
  type ServerBuild,
} from "@remix-run/node";
import Database from "better-sqlite3";
import createSqliteSessionStore from "better-sqlite3-session-store";
import compression from "compression";
import { RedisStore } from "connect-redis";
import express from "express";
import expressSession from "express-session";
import morgan from "morgan";
import { createClient } from "redis";

import { createApp } from "../server/app";
import { labContextOf, loadConfig } from "../server/config";
import { labContext } from "../server/lab-context";
import { createSessionStorage } from "../server/sessions";
import { createSessionId } from "../session/core";
import { DEFAULT_MAX_SESSION_BYTES } from "../session/core/size-limit";
import { SqliteSessionStore } from "../session/stores/sqlite";

import { BENCH_SECRET, COOKIE_NAME } from "./constants";
import type { WorkerSpec } from "./worker-app";

const MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/** The servers the bench compares; each runs in its own process. */
export type ServerSpec =
  /** `@remix-run/express`'s handler and nothing else: no session, no middleware. The physical limit. */
  | { kind: "bare" }
  /**
   * Remix's classic Express template server: compression, static files, request logs (morgan) and
   * the plain handler, no session. What a user runs without this stack: the baseline of every cost.
   */
  | { kind: "template" }
  /** `createApp` from server/app.ts with the store `SESSION_STORE` selects. */
  | { kind: "stack"; store: "cookie" | "sqlite" | "redis" }
  /** express-session (resave:false, saveUninitialized:false) in front of the same Remix routes. */
  | { kind: "express-session"; store: "sqlite" | "redis" }
  /** This stack's Remix routes with Remix's own `createSessionStorage`, committed after every response. */
  | { kind: "always-commit"; store: "sqlite" }
  /** A Worker in workerd (bench/worker-app.ts); started by bench/server.ts, not by `createBenchApp`. */
  | WorkerSpec;

/** Where a server keeps its data. */
export interface ServerPlace {
  /** A private folder for SQLite files. */
  dataDir: string;
  /** The Redis the redis-backed servers use. */
  redisUrl?: string;
}

/** An app ready to listen, and what to release afterwards. */
export interface BenchApp {
  app: express.Express;
  close(): Promise<void>;
}

/** Builds the Express app a spec names. */
export async function createBenchApp(spec: ServerSpec, place: ServerPlace, build: ServerBuild): Promise<BenchApp> {
  fs.mkdirSync(place.dataDir, { recursive: true });
  switch (spec.kind) {
    case "bare":
      return bareApp(build);
    case "template":
      return templateServerApp(build);
    case "stack":
      return stackApp(spec.store, place, build);
    case "express-session":
      return expressSessionApp(spec.store, place, build);
    case "always-commit":
      return alwaysCommitApp(place, build);
    default:
      throw new Error(`${spec.kind} is a Worker: bench/server.ts serves it from workerd`);
  }
}

/**
 * The bench drives the lab's routes, which answer 404 without `context.lab` (LAB_ROUTES): the peers
 * hand it over as the stack does, so every row runs the same loaders.
 */
const LAB = labContext("sqlite", DEFAULT_MAX_SESSION_BYTES);

function bareApp(build: ServerBuild): BenchApp {
  const app = express();
  app.disable("x-powered-by");
  app.all(
    "*",
    createExpressRequestHandler({ build, mode: "production", getLoadContext: () => ({ lab: LAB }) as AppLoadContext }),
  );
  return { app, close: async () => {} };
}

async function stackApp(store: string, place: ServerPlace, build: ServerBuild): Promise<BenchApp> {
  const config = loadConfig(
    {
      ...process.env,
      NODE_ENV: "production",
      SESSION_SECRET: BENCH_SECRET,
      SESSION_COOKIE_NAME: COOKIE_NAME,
      SESSION_STORE: store,
      DATA_DIR: place.dataDir,
      REDIS_URL: place.redisUrl ?? process.env.REDIS_URL,
      SESSION_REDIS_PREFIX: "bench-stack:",
      LAB_ROUTES: "on",
    },
    () => {},
  );
  // Awaited so a store that connects asynchronously (Redis) works whether or not the factory is async.
  const sessionStorage = await createSessionStorage(config);
  // Request logs on, as in production; the bench sends the server's stdout nowhere.
  const app = createApp({ build, sessionStorage, mode: "production", lab: labContextOf(config) });
  return { app, close: () => sessionStorage.close() };
}

/**
 * The middleware of Remix's classic Express template, which `createApp` puts in front of Remix too
 * (compression, static files, morgan's "tiny" request log), so every server but the bare handler
 * differs from the template only in its session layer.
 */
function templateApp(): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(compression());
  app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
  app.use(express.static("public", { maxAge: "1h" }));
  app.use(morgan("tiny"));
  return app;
}

function templateServerApp(build: ServerBuild): BenchApp {
  const app = templateApp();
  app.all(
    "*",
    createExpressRequestHandler({ build, mode: "production", getLoadContext: () => ({ lab: LAB }) as AppLoadContext }),
  );
  return { app, close: async () => {} };
}

async function expressSessionApp(store: "sqlite" | "redis", place: ServerPlace, build: ServerBuild): Promise<BenchApp> {
  let sessionStore: expressSession.Store;
  let close: () => Promise<void>;
  if (store === "sqlite") {
    const db = openSqlite(path.join(place.dataDir, "express-sessions.sqlite"));
    const SqliteStore = createSqliteSessionStore(expressSession);
    sessionStore = new SqliteStore({ client: db, expired: { clear: true, intervalMs: 10 * 60_000 } });
    close = async () => void db.close();
  } else {
    const client = createClient({ url: requireRedis(place) });
    await client.connect();
    sessionStore = new RedisStore({ client, prefix: "bench-express-session:" });
    close = async () => void (await client.quit());
  }

  const app = templateApp();
  app.use(
    expressSession({
      name: COOKIE_NAME,
      secret: BENCH_SECRET,
      store: sessionStore,
      resave: false,
      saveUninitialized: false,
      // Not `secure`: express-session refuses to set a secure cookie over plain HTTP.
      cookie: { httpOnly: true, sameSite: "lax", secure: false, maxAge: MAX_AGE_SECONDS * 1000 },
    }),
  );
  app.all(
    "*",
    createExpressRequestHandler({
      build,
      mode: "production",
      getLoadContext: (req) => ({ session: sessionView(req.session), lab: LAB }) as unknown as AppLoadContext,
    }),
  );
  return { app, close };
}

/**
 * `req.session` seen through the part of Remix's Session API the lab routes call (`set`, `get`,
 * `has`, `unset`, `data`), so express-session serves the very same loaders.
 */
function sessionView(session: expressSession.Session) {
  const values = session as unknown as Record<string, unknown>;
  return {
    id: session.id,
    get: (key: string) => values[key],
    has: (key: string) => key in values && key !== "cookie",
    set: (key: string, value: unknown) => void (values[key] = value),
    unset: (key: string) => void delete values[key],
    get data() {
      const { cookie: _cookie, ...data } = values;
      return data;
    },
  };
}

async function alwaysCommitApp(place: ServerPlace, build: ServerBuild): Promise<BenchApp> {
  const filename = path.join(place.dataDir, "always-commit.sqlite");
  // The stack's store creates the table; the peer then reads and writes that same table whole.
  await new SqliteSessionStore({ filename, purgeInterval: 0 }).close();
  const db = openSqlite(filename);
  const read = db.prepare<[string, number], { data: string }>("SELECT data FROM sessions WHERE id = ? AND expires > ?");
  const upsert = db.prepare<[string, string, number]>(
    "INSERT INTO sessions (id, data, expires) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires = excluded.expires",
  );
  const remove = db.prepare<[string]>("DELETE FROM sessions WHERE id = ?");
  const expiresAt = (expires?: Date) => expires?.getTime() ?? Date.now() + MAX_AGE_SECONDS * 1000;

  const sessionStorage = createRemixSessionStorage({
    cookie: createCookie(COOKIE_NAME, {
      secrets: [BENCH_SECRET],
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      maxAge: MAX_AGE_SECONDS,
    }),
    async createData(data, expires) {
      const id = createSessionId();
      upsert.run(id, JSON.stringify(data), expiresAt(expires));
      return id;
    },
    async readData(id) {
      const row = read.get(id, Date.now());
      return row ? JSON.parse(row.data) : null;
    },
    async updateData(id, data, expires) {
      upsert.run(id, JSON.stringify(data), expiresAt(expires));
    },
    async deleteData(id) {
      remove.run(id);
    },
  });

  const handleRequest = createRemixRequestHandler(build, "production");
  const app = templateApp();
  // What remix-hono's session({ autoCommit: true }) does: read first, commit the whole session after every response.
  app.all("*", async (req, res, next) => {
    try {
      const request = createRemixRequest(req, res);
      const session = await sessionStorage.getSession(request.headers.get("Cookie"));
      const response = await handleRequest(request, { session, lab: LAB } as unknown as AppLoadContext);
      response.headers.append("Set-Cookie", await sessionStorage.commitSession(session));
      await sendRemixResponse(res, response);
    } catch (error) {
      next(error);
    }
  });
  return { app, close: async () => void db.close() };
}

/** A better-sqlite3 connection with the settings SqliteSessionStore uses, so only the session layers differ. */
function openSqlite(filename: string): Database.Database {
  const db = new Database(filename);
  db.pragma("busy_timeout = 5000");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  return db;
}

function requireRedis(place: ServerPlace): string {
  if (!place.redisUrl)
    throw new Error("This server needs Redis, and the bench has none (no redis-server, no REDIS_URL).");
  return place.redisUrl;
}
