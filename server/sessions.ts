import path from "node:path";

import { createCookie } from "@remix-run/node";

import type { SessionData, SessionFlashData } from "../app/session";
import {
  createCookieSessionStorage,
  createStoreSessionStorage,
  SessionCookie,
  type AutoSessionStorage,
  type SessionStore,
} from "../session/core";
import { MemorySessionStore } from "../session/stores/memory";
import { SqliteSessionStore } from "../session/stores/sqlite";

import type { ServerConfig } from "./config";

export type AppSessionStorage = AutoSessionStorage<SessionData, SessionFlashData>;

/** Builds the session storage the configuration asks for. */
export function createSessionStorage(config: ServerConfig): AppSessionStorage {
  const { session } = config;
  const cookie = new SessionCookie(createCookie, {
    name: session.cookieName,
    secrets: session.secrets,
    secure: session.secure,
    maxAge: session.maxAge,
  });
  if (session.store === "cookie") return createCookieSessionStorage({ cookie });
  return createStoreSessionStorage({
    cookie,
    store: createStore(config),
    rollingInterval: session.rollingInterval,
  });
}

function createStore(config: ServerConfig): SessionStore {
  switch (config.session.store) {
    case "memory":
      return new MemorySessionStore({ maxSessionBytes: config.session.maxBytes });
    case "sqlite":
      return new SqliteSessionStore({
        filename: path.join(config.dataDir, "sessions.sqlite"),
        maxSessionBytes: config.session.maxBytes,
      });
    default:
      throw new Error(`No server-side store named ${config.session.store}`);
  }
}
