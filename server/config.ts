import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import type { LabContext } from "../app/lab-context";
import { maskUrlCredentials } from "../session/core/mask-url";
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS } from "../session/stores/redis-connection";
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  SQLITE_SYNCHRONOUS_MODES,
  type SqliteSynchronous,
} from "../session/stores/sqlite-options";

import { boolean, ConfigError, integer, oneOf, text, type Mode, type Settings } from "./environment";
import { labContext, readLabRoutes } from "./lab-context";
import { readSecrets, readSessionSettings, type SessionSettings } from "./session-settings";

export const SESSION_STORES = ["sqlite", "cookie", "memory", "redis"] as const;
export type SessionStoreName = (typeof SESSION_STORES)[number];

/** Everything the server reads from the environment, checked once at start. */
export interface ServerConfig {
  mode: Mode;
  port: number;
  host: string;
  dataDir: string;
  /** LAB_ROUTES: serve the `/lab/*` routes. */
  labRoutes: boolean;
  session: SessionSettings & {
    store: SessionStoreName;
    secrets: string[];
    /** Set when `store` is "redis". */
    redis?: RedisSettings;
    /** Set when `store` is "sqlite". */
    sqlite?: SqliteSettings;
  };
}

const MISSING_SECRET =
  "SESSION_SECRET is not set. Production needs it to sign session cookies: set SESSION_SECRET to a long random string (for example the output of `node -e \"console.log(crypto.randomBytes(32).toString('hex'))\"`). Several comma-separated secrets rotate: the first signs, all verify.";

/** Reads and checks the configuration; throws `ConfigError` naming the setting at fault. */
export function loadConfig(env: Settings = process.env, warn: (message: string) => void = console.warn): ServerConfig {
  const mode = modeOf(env);
  const dataDir = path.resolve(text(env, "DATA_DIR") || "data");
  const store = oneOf(env, "SESSION_STORE", SESSION_STORES, "sqlite");
  const secrets = readSecrets(env, mode, MISSING_SECRET);

  return {
    mode,
    port: integer(env, "PORT", 3000, { min: 0, max: 65535 }),
    host: text(env, "HOST") || "127.0.0.1",
    dataDir,
    labRoutes: readLabRoutes(env, mode),
    session: {
      ...readSessionSettings(env, mode),
      store,
      secrets: secrets.length > 0 ? secrets : developmentSecret(dataDir, warn),
      redis: store === "redis" ? redisSettings(env) : undefined,
      sqlite: store === "sqlite" ? sqliteSettings(env) : undefined,
    },
  };
}

function modeOf(env: Settings): Mode {
  return env.NODE_ENV === "production" ? "production" : env.NODE_ENV === "test" ? "test" : "development";
}

/** `context.lab` for this configuration: null when LAB_ROUTES is off. */
export function labContextOf(config: Pick<ServerConfig, "labRoutes" | "session">): LabContext | null {
  return config.labRoutes ? labContext(config.session.store, config.session.maxBytes) : null;
}

/**
 * `context.lab` as the environment sets it up, read the way `loadConfig` reads it but without its
 * side effects (secrets, Redis): for a server that builds the app without passing the lab's context.
 */
export function labContextFromEnvironment(env: Settings = process.env): LabContext | null {
  const mode = modeOf(env);
  if (!readLabRoutes(env, mode)) return null;
  return labContext(oneOf(env, "SESSION_STORE", SESSION_STORES, "sqlite"), readSessionSettings(env, mode).maxBytes);
}

// Development keeps a generated secret in the data folder so restarts do not sign everyone out.
function developmentSecret(dataDir: string, warn: (message: string) => void): string[] {
  const file = path.join(dataDir, ".dev-session-secret");
  let secret = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "";
  if (!secret) {
    secret = crypto.randomBytes(32).toString("hex");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, secret, { mode: 0o600 });
  }
  warn(
    `SESSION_SECRET is not set; using a development secret kept in ${path.relative(process.cwd(), file)}. Set SESSION_SECRET before deploying.`,
  );
  return [secret];
}

/** How the Redis store connects (SESSION_STORE=redis). */
export interface RedisSettings {
  /** REDIS_URL: the Redis server, or with `cluster` one or more nodes of the cluster. */
  urls: string[];
  /** REDIS_CLUSTER: speak the Redis Cluster protocol. */
  cluster: boolean;
  /** SESSION_REDIS_PREFIX. */
  prefix: string;
  /** REDIS_COMMAND_TIMEOUT_MS: how long one command may take before the request gets a 503. */
  commandTimeout: number;
  /** REDIS_CONNECT_TIMEOUT_MS: how long the start waits for Redis before it gives up. */
  connectTimeout: number;
}

function redisSettings(env: Settings): RedisSettings {
  const raw = text(env, "REDIS_URL").trim();
  if (!raw) {
    throw new ConfigError(
      'REDIS_URL is not set. SESSION_STORE=redis needs it: set REDIS_URL to the Redis server every app instance shares, for example "redis://127.0.0.1:6379" (or rediss://user:password@host:port/db for TLS).',
    );
  }
  const cluster = boolean(env, "REDIS_CLUSTER", false);
  // Split only before a scheme: a comma may also sit in a password.
  const urls = raw.split(/,(?=\s*rediss?:\/\/)/).map((url) => url.trim());
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // Reported below with the value.
    }
    if (parsed?.protocol !== "redis:" && parsed?.protocol !== "rediss:") {
      throw new ConfigError(
        `REDIS_URL must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"${cluster ? ", or several separated by commas" : ""}; got "${maskUrlCredentials(url)}".`,
      );
    }
    if (cluster && !/^\/?0?$/.test(parsed.pathname)) {
      throw new ConfigError(
        `REDIS_URL: Redis Cluster has only database 0, so a cluster URL names no other; got "${maskUrlCredentials(url)}".`,
      );
    }
  }
  if (urls.length > 1 && !cluster) {
    throw new ConfigError(
      "REDIS_URL names several servers, which only a Redis Cluster has: set REDIS_CLUSTER=true if they are nodes of one cluster, or name the one Redis server.",
    );
  }
  const prefix = text(env, "SESSION_REDIS_PREFIX") || "session:";
  if (cluster && /[{}]/.test(prefix)) {
    throw new ConfigError(
      `SESSION_REDIS_PREFIX may not hold "{" or "}" on a Redis Cluster: each session's key carries its own hash tag in braces, which places it; got "${prefix}".`,
    );
  }
  return {
    urls,
    cluster,
    prefix,
    commandTimeout: integer(env, "REDIS_COMMAND_TIMEOUT_MS", DEFAULT_COMMAND_TIMEOUT_MS, { min: 10, max: 60_000 }),
    connectTimeout: integer(env, "REDIS_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_TIMEOUT_MS, { min: 10, max: 300_000 }),
  };
}

/** How the SQLite store waits and writes (SESSION_STORE=sqlite). */
export interface SqliteSettings {
  /** SQLITE_LOCK_TIMEOUT_MS: how long a commit waits for another process's write lock before the 503. */
  lockTimeout: number;
  /** SQLITE_SYNCHRONOUS: "full" syncs each commit to disk, "normal" only at checkpoints. */
  synchronous: SqliteSynchronous;
}

function sqliteSettings(env: Settings): SqliteSettings {
  return {
    lockTimeout: integer(env, "SQLITE_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS, { min: 0, max: 60_000 }),
    synchronous: oneOf(env, "SQLITE_SYNCHRONOUS", SQLITE_SYNCHRONOUS_MODES, "normal"),
  };
}
