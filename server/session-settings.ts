import type { CreateCookieFunction } from "@remix-run/server-runtime";

import type { AppContextExtras, LabContext } from "../app/lab-context";
import type { SessionData, SessionFlashData } from "../app/session";
import {
  createCookieSessionStorage,
  createStoreSessionStorage,
  MAX_LIFETIME,
  SessionCookie,
  type AutoCommitOptions,
  type AutoSessionStorage,
  type SessionContext,
  type SessionStore,
  type WithSession,
} from "../session/core";
import { maskUrlCredentials } from "../session/core/mask-url";
import type { OriginPolicy } from "../session/core/same-origin";

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
  /** How long the server keeps a session whose cookie lasts as long as the browser (`setLifetime("browser")`). */
  browserMaxAge: number;
  rollingInterval: number;
  maxBytes: number;
  commitOnServerError: boolean;
  /** APP_ORIGIN, normalised (`https://example.com`): the only `Origin` writes are accepted from. */
  appOrigin?: string;
  /** TRUST_PROXY: believe X-Forwarded-Proto and X-Forwarded-Host (and Express's `trust proxy`). */
  trustProxy: boolean;
}

/**
 * The production cookie name: the `__Host-` prefix makes browsers refuse the cookie unless it is
 * Secure, has Path=/ and no Domain, so no sibling subdomain or plain-http page can set or shadow it.
 */
export const PRODUCTION_COOKIE_NAME = "__Host-session";
/** The cookie name in development and tests, where cookies are not Secure. */
export const DEVELOPMENT_COOKIE_NAME = "__session";

/** Production secrets, the first that signs and every older one that verifies, need this many characters. */
export const MIN_SECRET_LENGTH = 32;

/**
 * LAB_ROUTES: whether the app serves its `/lab/*` routes (the concurrency lab and the test API). On
 * by default outside production; production leaves them out unless told, since `/lab/session` hands
 * the whole session to any script on the site and `/lab/mark/:key` writes the session on a GET.
 */
export function readLabRoutes(env: Settings, mode: Mode): boolean {
  return boolean(env, "LAB_ROUTES", mode !== "production");
}

/**
 * About the most JSON a cookie-store session can hold: past roughly 2,940 bytes its signed,
 * base64-encoded cookie passes the 4096 bytes browsers keep (measured with `__Host-session` and
 * production attributes). Kept lower so the lab stops before a commit would fail.
 */
export const COOKIE_SESSION_JSON_BUDGET = 2800;

/** What the lab is told about the session behind it (`context.lab`), for a store and its SESSION_MAX_BYTES. */
export function labContext(store: string, maxBytes: number): LabContext {
  const cookie = store === "cookie";
  return {
    store,
    // Workers KV has no atomic update, and the cookie store's copy is whichever response came last.
    merges: !cookie && store !== "kv",
    sessionLimitBytes: cookie ? COOKIE_SESSION_JSON_BUDGET : maxBytes,
  };
}

/**
 * `withSession` that also hands the app `lab` on its context. Every runtime's adapter spreads the
 * context `withSession` gives into Remix's load context, so the entries never hear of the lab, and a
 * runtime that skips this leaves the lab's routes answering 404.
 */
export function withLabContext<Data, FlashData>(
  withSession: WithSession<Data, FlashData>,
  lab: LabContext | null,
): WithSession<Data, FlashData> {
  return (request, handler) =>
    withSession(request, (sessionContext) => {
      const context: SessionContext<Data, FlashData> & AppContextExtras = { ...sessionContext, lab };
      return handler(context);
    });
}

/** Reads the session settings every runtime shares. */
export function readSessionSettings(env: Settings, mode: Mode): SessionSettings {
  const secure = mode === "production";
  const cookieName = text(env, "SESSION_COOKIE_NAME") || (secure ? PRODUCTION_COOKIE_NAME : DEVELOPMENT_COOKIE_NAME);
  if (!secure && /^__(host|secure)-/i.test(cookieName)) {
    throw new ConfigError(
      `SESSION_COOKIE_NAME "${cookieName}" needs a Secure cookie, which only production sends: browsers drop a cookie with that prefix without it. Leave SESSION_COOKIE_NAME unset (production then uses ${PRODUCTION_COOKIE_NAME}, ${mode} ${DEVELOPMENT_COOKIE_NAME}) or pick a name without the prefix.`,
    );
  }
  const appOrigin = origin(env, "APP_ORIGIN");
  return {
    cookieName,
    secure,
    // Browsers cap a cookie's Max-Age at 400 days.
    maxAge: integer(env, "SESSION_MAX_AGE", 30 * 24 * 60 * 60, { min: 60, max: MAX_LIFETIME }),
    browserMaxAge: integer(env, "SESSION_BROWSER_MAX_AGE", 24 * 60 * 60, { min: 60, max: MAX_LIFETIME }),
    rollingInterval: integer(env, "SESSION_ROLLING_INTERVAL", 60 * 60, { min: 0 }),
    maxBytes: integer(env, "SESSION_MAX_BYTES", 64 * 1024, { min: 1024 }),
    commitOnServerError: boolean(env, "SESSION_COMMIT_ON_ERROR", false),
    ...(appOrigin === undefined ? {} : { appOrigin }),
    trustProxy: boolean(env, "TRUST_PROXY", false),
  };
}

/** The cross-origin write policy the settings describe (APP_ORIGIN, TRUST_PROXY). */
export function originPolicyOf(settings: Pick<SessionSettings, "appOrigin" | "trustProxy">): OriginPolicy {
  return { appOrigin: settings.appOrigin, trustProxy: settings.trustProxy };
}

/**
 * The comma-separated `SESSION_SECRET` list. Empty outside production (the caller makes a development
 * secret); in production a missing secret throws `missingMessage`, and so does any secret shorter
 * than 32 characters, named by its position only.
 */
export function readSecrets(env: Settings, mode: Mode, missingMessage: string): string[] {
  const secrets = text(env, "SESSION_SECRET")
    .split(",")
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (mode !== "production") return secrets;
  if (secrets.length === 0) throw new ConfigError(missingMessage);
  const short = secrets.findIndex((secret) => secret.length < MIN_SECRET_LENGTH);
  if (short !== -1) {
    throw new ConfigError(
      `SESSION_SECRET: secret ${short + 1} of ${secrets.length} is shorter than ${MIN_SECRET_LENGTH} characters. In production every secret must be at least ${MIN_SECRET_LENGTH} characters long: the first signs cookies and every one verifies them, so whoever guesses a short one can forge sessions. Replace it with a long random string, or remove it once the cookies it signed have expired.`,
    );
  }
  return secrets;
}

/** A setting that must be one of `allowed`, or `fallback` when unset. */
export function oneOf<T extends string>(
  env: Settings,
  name: string,
  allowed: readonly T[],
  fallback: T,
  where = "",
): T {
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

/**
 * An http(s) origin (`scheme://host[:port]`, no path, query, fragment or credentials), normalised as
 * browsers send it in `Origin`; undefined when unset.
 */
export function origin(env: Settings, name: string): string | undefined {
  const raw = text(env, name).trim();
  if (raw === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // Reported below.
  }
  const shaped = /^https?:\/\/[^/?#@\\\s]+\/?$/i.test(raw);
  if (!url || !shaped || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new ConfigError(
      `${name} must be the app's public origin, http:// or https:// with a host and an optional port but no path, as browsers send it in the Origin header (for example "https://example.com"); got "${maskUrlCredentials(raw)}".`,
    );
  }
  return url.origin;
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
  const lifetimes = { rollingInterval: settings.rollingInterval, browserLifetime: settings.browserMaxAge };
  if (!store) return createCookieSessionStorage({ cookie, ...lifetimes });
  return createStoreSessionStorage({ cookie, store, ...lifetimes });
}

/**
 * The auto-commit options every runtime uses: warnings in development, store failures logged, and
 * cross-origin writes judged by `originPolicy` (APP_ORIGIN, TRUST_PROXY; see `originPolicyOf`).
 */
export function autoCommitOptions(
  storage: AppSessionStorage,
  mode: Mode,
  commitOnServerError = false,
  originPolicy: OriginPolicy = {},
): AutoCommitOptions<SessionData, SessionFlashData> {
  return {
    storage,
    commitOnServerError,
    originPolicy,
    onLateChange:
      mode === "development"
        ? (key) =>
            console.warn(
              `[session] "${key}" changed after the response headers were sent (inside deferred data?); this change was not saved. Make it in the loader before returning.`,
            )
        : undefined,
    onDroppedChanges:
      mode === "development"
        ? (keys) =>
            console.warn(
              `[session] ${keys.map((key) => `"${key}"`).join(", ")} changed in context.session but not saved: the response carries a session cookie committed by hand for another session (or the cookie store, which keeps one copy). Commit context.session itself, or make the change on the session you commit.`,
            )
        : undefined,
    onStoreError: (error) => console.error(`[session] ${(error as Error).message}`),
    onInterrupted: (request) => {
      console.warn(
        `[session] ${request.method} ${new URL(request.url).pathname}: the session was signed in or out by another request while this one ran; its changes were not saved and no cookie was sent.`,
      );
    },
  };
}
