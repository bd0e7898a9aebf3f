import path from "node:path";

import { createAutoCommit, createStoreSessionStorage, SessionCookie, type SessionContext } from "auto-commit-session";
import { createSessionMiddleware } from "auto-commit-session/react-router";
import { SqliteSessionStore } from "auto-commit-session/stores/sqlite";
import { createContext, createCookie } from "react-router";

/** Every value the app keeps in its session, declared once: `session.get("visits")` is a number. */
export interface SessionData {
  /** Pages loaded in this session (the root loader counts them). */
  visits: number;
  /** The signed-in user, if any. */
  user: { name: string; signedInAt: string };
  /** Keys written by the parallel fetchers and `/lab/mark/:key`: the ISO time of the write. */
  [mark: `mark:${string}`]: string;
}

/** Values that live until they are read once. */
export interface SessionFlashData {
  /** A confirmation shown once after a form posts. */
  notice: string;
}

export type AppSessionContext = SessionContext<SessionData, SessionFlashData>;

const production = process.env.NODE_ENV === "production";

/** SESSION_SECRET, comma-separated to rotate (the first signs, all verify); required in production. */
function sessionSecrets(): string[] {
  const secrets = (process.env.SESSION_SECRET ?? "")
    .split(",")
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length > 0) return secrets;
  if (production) throw new Error("SESSION_SECRET is not set: production needs it to sign session cookies.");
  return ["development-secret-not-for-production"];
}

const sessionStorage = createStoreSessionStorage<SessionData, SessionFlashData>({
  cookie: new SessionCookie(createCookie, {
    // __Host-: only this host, over HTTPS, for the whole site (browsers refuse it otherwise).
    name: production ? "__Host-session" : "__session",
    secrets: sessionSecrets(),
    secure: production,
    maxAge: 30 * 24 * 60 * 60,
  }),
  store: new SqliteSessionStore({ filename: path.resolve(process.env.DATA_DIR || "data", "sessions.sqlite") }),
});

/** Where loaders and actions find the session: `context.get(sessionContext).session`. */
export const sessionContext = createContext<AppSessionContext>();

/**
 * Reads the session before the routes run and commits what they changed; the root route exports it.
 * A POST, PUT, PATCH or DELETE from another origin gets a 403 before the session is read (the
 * middleware's default; behind a proxy that rewrites Host, pass `crossOrigin: { appOrigin }`).
 */
export const sessionMiddleware = createSessionMiddleware({
  withSession: createAutoCommit({ storage: sessionStorage }),
  context: sessionContext,
});

/** Whether the lab API (`/lab/*`) answers: LAB_ROUTES, on by default outside production, as in the template. */
export const labRoutesOn = flag("LAB_ROUTES", !production);

function flag(name: string, fallback: boolean): boolean {
  const raw = (process.env[name] ?? "").trim().toLowerCase();
  if (raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new Error(`${name} must be true or false; got "${raw}".`);
}
