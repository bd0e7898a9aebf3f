import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { maskUrlCredentials } from "../session/core/mask-url";

import type { LabContext } from "../app/lab-context";

import {
  ConfigError,
  integer,
  labContext,
  oneOf,
  readLabRoutes,
  readSecrets,
  readSessionSettings,
  text,
  type Mode,
  type SessionSettings,
  type Settings,
} from "./session-settings";

export { ConfigError };

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
    redis?: { url: string; prefix: string };
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

function redisSettings(env: Settings): { url: string; prefix: string } {
  const url = text(env, "REDIS_URL").trim();
  if (!url) {
    throw new ConfigError(
      'REDIS_URL is not set. SESSION_STORE=redis needs it: set REDIS_URL to the Redis server every app instance shares, for example "redis://127.0.0.1:6379" (or rediss://user:password@host:port/db for TLS).',
    );
  }
  let protocol = "";
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Reported below with the value.
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new ConfigError(
      `REDIS_URL must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"; got "${maskUrlCredentials(url)}".`,
    );
  }
  return { url, prefix: text(env, "SESSION_REDIS_PREFIX") || "session:" };
}
