import { MAX_LIFETIME } from "auto-commit-session";
import type { OriginPolicy } from "../session/core/same-origin";
import { DEFAULT_MAX_SESSION_BYTES } from "../session/core/size-limit";

import { boolean, ConfigError, integer, origin, text, type Mode, type Settings } from "./environment";

// The session settings every runtime reads (server/config.ts on Node, server/cloudflare-config.ts on
// Cloudflare): same names, defaults and messages.

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
    maxBytes: integer(env, "SESSION_MAX_BYTES", DEFAULT_MAX_SESSION_BYTES, { min: 1024 }),
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
