import path from "node:path";

import { createCookie } from "@remix-run/node";

import type { SessionStore } from "auto-commit-session";
import { MemorySessionStore } from "auto-commit-session/stores/memory";
import { RedisSessionStore } from "auto-commit-session/stores/redis";
import { SqliteSessionStore } from "auto-commit-session/stores/sqlite";

import type { ServerConfig } from "./config";
import { ConfigError } from "./environment";
import { createAppSessionStorage, type AppSessionStorage } from "./session-wiring";

export type { AppSessionStorage };

/** Builds the session storage the configuration asks for, connected to its store. */
export async function createSessionStorage(config: ServerConfig): Promise<AppSessionStorage> {
  const store = config.session.store === "cookie" ? null : await createStore(config);
  return createAppSessionStorage(createCookie, config.session, store);
}

async function createStore(config: ServerConfig): Promise<SessionStore> {
  switch (config.session.store) {
    case "redis":
      return connectRedis(config);
    case "memory":
      return new MemorySessionStore({ maxSessionBytes: config.session.maxBytes });
    case "sqlite":
      return new SqliteSessionStore({
        filename: path.join(config.dataDir, "sessions.sqlite"),
        ...config.session.sqlite,
        maxSessionBytes: config.session.maxBytes,
      });
    default:
      throw new Error(`No server-side store named ${config.session.store}`);
  }
}

async function connectRedis(config: ServerConfig): Promise<SessionStore> {
  const { urls, ...redis } = config.session.redis!;
  try {
    return await RedisSessionStore.connect({ url: urls, ...redis, maxSessionBytes: config.session.maxBytes });
  } catch (error) {
    // Refuse to start rather than serve every request a 503.
    throw new ConfigError(
      `REDIS_URL: ${(error as Error).message}. Check that Redis is running and REDIS_URL points at it.`,
    );
  }
}
