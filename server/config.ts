import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const SESSION_STORES = ["sqlite", "cookie", "memory", "redis"] as const;
export type SessionStoreName = (typeof SESSION_STORES)[number];

/** Everything the server reads from the environment, checked once at start. */
export interface ServerConfig {
  mode: "production" | "development" | "test";
  port: number;
  host: string;
  dataDir: string;
  session: {
    store: SessionStoreName;
    secrets: string[];
    cookieName: string;
    secure: boolean;
    maxAge: number;
    rollingInterval: number;
    maxBytes: number;
    commitOnServerError: boolean;
    /** Set when `store` is "redis". */
    redis?: { url: string; prefix: string };
  };
}

/** A setting is missing or wrong; the message says which and what to set. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Reads and checks the configuration; throws `ConfigError` naming the setting at fault. */
export function loadConfig(env: Env = process.env, warn: (message: string) => void = console.warn): ServerConfig {
  const mode = env.NODE_ENV === "production" ? "production" : env.NODE_ENV === "test" ? "test" : "development";
  const dataDir = path.resolve(env.DATA_DIR || "data");
  const store = (env.SESSION_STORE || "sqlite") as SessionStoreName;
  if (!SESSION_STORES.includes(store)) {
    throw new ConfigError(`SESSION_STORE must be one of ${SESSION_STORES.join(", ")}; got "${env.SESSION_STORE}".`);
  }

  return {
    mode,
    port: integer(env, "PORT", 3000, { min: 0, max: 65535 }),
    host: env.HOST || "127.0.0.1",
    dataDir,
    session: {
      store,
      secrets: sessionSecrets(env, mode, dataDir, warn),
      cookieName: env.SESSION_COOKIE_NAME || "__session",
      secure: mode === "production",
      maxAge: integer(env, "SESSION_MAX_AGE", 30 * 24 * 60 * 60, { min: 60 }),
      rollingInterval: integer(env, "SESSION_ROLLING_INTERVAL", 60 * 60, { min: 0 }),
      maxBytes: integer(env, "SESSION_MAX_BYTES", 64 * 1024, { min: 1024 }),
      commitOnServerError: boolean(env, "SESSION_COMMIT_ON_ERROR", false),
      redis: store === "redis" ? redisSettings(env) : undefined,
    },
  };
}

function sessionSecrets(env: Env, mode: ServerConfig["mode"], dataDir: string, warn: (m: string) => void): string[] {
  const secrets = (env.SESSION_SECRET ?? "")
    .split(",")
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length > 0) {
    if (mode === "production" && secrets[0].length < 32) {
      throw new ConfigError("SESSION_SECRET: the first secret signs cookies and must be at least 32 characters long.");
    }
    return secrets;
  }
  if (mode === "production") {
    throw new ConfigError(
      'SESSION_SECRET is not set. Production needs it to sign session cookies: set SESSION_SECRET to a long random string (for example the output of `node -e "console.log(crypto.randomBytes(32).toString(\'hex\'))"`). Several comma-separated secrets rotate: the first signs, all verify.',
    );
  }
  // Development keeps a generated secret in the data folder so restarts do not sign everyone out.
  const file = path.join(dataDir, ".dev-session-secret");
  let secret = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "";
  if (!secret) {
    secret = crypto.randomBytes(32).toString("hex");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, secret, { mode: 0o600 });
  }
  warn(`SESSION_SECRET is not set; using a development secret kept in ${path.relative(process.cwd(), file)}. Set SESSION_SECRET before deploying.`);
  return [secret];
}

function redisSettings(env: Env): { url: string; prefix: string } {
  const url = env.REDIS_URL?.trim();
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
    throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"; got "${url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")}".`);
  }
  return { url, prefix: env.SESSION_REDIS_PREFIX || "session:" };
}

function integer(env: Env, name: string, fallback: number, range: { min: number; max?: number }): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || (range.max !== undefined && value > range.max)) {
    const bound = range.max === undefined ? `at least ${range.min}` : `between ${range.min} and ${range.max}`;
    throw new ConfigError(`${name} must be a whole number ${bound}; got "${raw}".`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false; got "${env[name]}".`);
}
