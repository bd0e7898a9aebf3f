import type { CreateCookieFunction } from "@remix-run/server-runtime";

import type { SessionData, SessionFlashData } from "../app/session";
import {
  createCookieSessionStorage,
  createStoreSessionStorage,
  SessionCookie,
  type AutoCommitOptions,
  type AutoSessionStorage,
  type SessionStore,
} from "../session/core";

// Shared by the Express server (server/config.ts) and the Pages Function (server/cloudflare-config.ts):
// same setting names, defaults and messages. No Node import, so it bundles for Workers.

export type Mode = "production" | "development" | "test";
export type AppSessionStorage = AutoSessionStorage<SessionData, SessionFlashData>;

/** A setting is missing or wrong; the message says which and what to set. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Settings as the environment or the Pages bindings hold them. */
export type Settings = Record<string, unknown>;

/** How the session cookie and the commit behave, whatever the store. */
export interface SessionSettings {
  cookieName: string;
  secure: boolean;
  maxAge: number;
  rollingInterval: number;
  maxBytes: number;
  commitOnServerError: boolean;
}

/** Reads the session settings every runtime shares. */
export function readSessionSettings(env: Settings, mode: Mode): SessionSettings {
  return {
    cookieName: text(env, "SESSION_COOKIE_NAME") || "__session",
    secure: mode === "production",
    maxAge: integer(env, "SESSION_MAX_AGE", 30 * 24 * 60 * 60, { min: 60 }),
    rollingInterval: integer(env, "SESSION_ROLLING_INTERVAL", 60 * 60, { min: 0 }),
    maxBytes: integer(env, "SESSION_MAX_BYTES", 64 * 1024, { min: 1024 }),
    commitOnServerError: boolean(env, "SESSION_COMMIT_ON_ERROR", false),
  };
}

/**
 * The comma-separated `SESSION_SECRET` list. Empty outside production (the caller makes a development
 * secret); in production a missing secret throws `missingMessage`.
 */
export function readSecrets(env: Settings, mode: Mode, missingMessage: string): string[] {
  const secrets = text(env, "SESSION_SECRET")
    .split(",")
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length === 0 && mode === "production") throw new ConfigError(missingMessage);
  if (secrets.length > 0 && mode === "production" && secrets[0].length < 32) {
    throw new ConfigError("SESSION_SECRET: the first secret signs cookies and must be at least 32 characters long.");
  }
  return secrets;
}

/** A setting that must be one of `allowed`, or `fallback` when unset. */
export function oneOf<T extends string>(env: Settings, name: string, allowed: readonly T[], fallback: T, where = ""): T {
  const raw = text(env, name);
  if (raw === "") return fallback;
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}${where}; got "${raw}".`);
  }
  return raw as T;
}

/** A whole-number setting within `range`, or `fallback` when unset. */
export function integer(env: Settings, name: string, fallback: number, range: { min: number; max?: number }): number {
  const raw = text(env, name);
  if (raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || (range.max !== undefined && value > range.max)) {
    const bound = range.max === undefined ? `at least ${range.min}` : `between ${range.min} and ${range.max}`;
    throw new ConfigError(`${name} must be a whole number ${bound}; got "${raw}".`);
  }
  return value;
}

/** A true/false setting, or `fallback` when unset. */
export function boolean(env: Settings, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
  if (["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false; got "${raw}".`);
}

/** A text setting, "" when unset. */
export function text(env: Settings, name: string): string {
  const value = env[name];
  return typeof value === "string" ? value : "";
}

/**
 * The session storage for a runtime: its `createCookie`, the settings, and the server-side store
 * (none for the cookie store).
 */
export function createAppSessionStorage(
  createCookie: CreateCookieFunction,
  settings: SessionSettings & { secrets: string[] },
  store: SessionStore | null,
): AppSessionStorage {
  const cookie = new SessionCookie(createCookie, {
    name: settings.cookieName,
    secrets: settings.secrets,
    secure: settings.secure,
    maxAge: settings.maxAge,
  });
  if (!store) return createCookieSessionStorage({ cookie });
  return createStoreSessionStorage({ cookie, store, rollingInterval: settings.rollingInterval });
}

/** The auto-commit options every runtime uses: warnings in development, store failures logged. */
export function autoCommitOptions(
  storage: AppSessionStorage,
  mode: Mode,
  commitOnServerError = false,
): AutoCommitOptions<SessionData, SessionFlashData> {
  return {
    storage,
    commitOnServerError,
    onLateChange:
      mode === "development"
        ? (key) =>
            console.warn(
              `[session] "${key}" changed after the response headers were sent (inside deferred data?); this change was not saved. Make it in the loader before returning.`,
            )
        : undefined,
    onStoreError: (error) => console.error(`[session] ${(error as Error).message}`),
  };
}
