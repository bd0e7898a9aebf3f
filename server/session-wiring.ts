import type { CreateCookieFunction } from "@remix-run/server-runtime";

import type { LabContext } from "../app/lab-context";
import type { SessionData, SessionFlashData } from "../app/session";
import {
  createAutoCommit,
  createCookieSessionStorage,
  createStoreSessionStorage,
  refuseCrossOriginWrites,
  SessionCookie,
  type AutoCommitOptions,
  type AutoSessionStorage,
  type OriginPolicy,
  type SessionStore,
  type WithSession,
} from "auto-commit-session";

import type { Mode } from "./environment";
import { withLabContext } from "./lab-context";
import type { SessionSettings } from "./session-settings";

// From the settings to a running session layer, the same on every runtime: the storage over a store,
// and what the auto-commit tells the log. No Node import, so it bundles for Workers.

/** The app's session storage: its data and flash types, on whichever store the settings name. */
export type AppSessionStorage = AutoSessionStorage<SessionData, SessionFlashData>;

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

/** What every runtime passes to `createAppWithSession`. */
export interface AppWithSessionOptions {
  mode: Mode;
  /** SESSION_COMMIT_ON_ERROR: also commit when the response status is 500 or above. */
  commitOnServerError?: boolean;
  /** Which `Origin` writes are accepted from (APP_ORIGIN, TRUST_PROXY; see `originPolicyOf`). */
  originPolicy?: OriginPolicy;
  /** What the lab is told (`labContext`), or null when LAB_ROUTES is off. */
  lab: LabContext | null;
}

/**
 * The session layer every runtime runs around Remix, as wrappers of one shape, outermost first:
 * - `refuseCrossOriginWrites`: a write from another origin gets a 403 before the session is read;
 * - `withLabContext`: the lab's routes learn which store they run against (`context.lab`);
 * - `createAutoCommit`: read the session, run Remix, commit what changed.
 * The guard is outermost so that the adapters, which guard a bare core by the request's own origin,
 * recognise it and leave it to judge by `originPolicy` alone.
 */
export function createAppWithSession(
  storage: AppSessionStorage,
  options: AppWithSessionOptions,
): WithSession<SessionData, SessionFlashData> {
  const { mode, commitOnServerError = false, originPolicy = {}, lab } = options;
  return refuseCrossOriginWrites(
    withLabContext(createAutoCommit(autoCommitOptions(storage, mode, commitOnServerError)), lab),
    originPolicy,
  );
}

/** The auto-commit options every runtime uses: warnings in development, store failures logged. */
function autoCommitOptions(
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
