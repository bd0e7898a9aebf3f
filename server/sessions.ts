import path from "node:path";

import { createCookie } from "@remix-run/node";

import type { SessionStore } from "../session/core";
import { MemorySessionStore } from "../session/stores/memory";
import { RedisSessionStore } from "../session/stores/redis";
import { SqliteSessionStore } from "../session/stores/sqlite";

import { ConfigError, type ServerConfig } from "./config";
import { createAppSessionStorage, type AppSessionStorage } from "./session-settings";

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
        maxSessionBytes: config.session.maxBytes,
      });
    default:
      throw new Error(`No server-side store named ${config.session.store}`);
  }
}

async function connectRedis(config: ServerConfig): Promise<SessionStore> {
  const { url, prefix } = config.session.redis!;
  try {
    return await RedisSessionStore.connect({ url, prefix, maxSessionBytes: config.session.maxBytes });
  } catch (error) {
    // Refuse to start rather than serve every request a 503.
    throw new ConfigError(
      `REDIS_URL: ${(error as Error).message}. Check that Redis is running and REDIS_URL points at it.`,
    );
  }
}
