import { createCookie } from "@remix-run/cloudflare";

import type { SessionData, SessionFlashData } from "../app/session";
import {
  createAutoCommit,
  createCookieSessionStorage,
  createStoreSessionStorage,
  SessionCookie,
  type AutoSessionStorage,
  type WithSession,
} from "../session/core";
import { WorkersKVSessionStore } from "../session/stores/workers-kv";

import { loadPagesConfig, PagesConfigError, type PagesConfig, type PagesEnv } from "./cloudflare-config";

export type PagesSessionStorage = AutoSessionStorage<SessionData, SessionFlashData>;

/** Builds the session storage the bindings ask for; the cookie is signed with Web Crypto. */
export function createPagesSessionStorage(config: PagesConfig): PagesSessionStorage {
  const { session } = config;
  const cookie = new SessionCookie(createCookie, {
    name: session.cookieName,
    secrets: session.secrets,
    secure: session.secure,
    maxAge: session.maxAge,
  });
  if (session.store === "cookie") return createCookieSessionStorage({ cookie });
  return createStoreSessionStorage({
    cookie,
    store: new WorkersKVSessionStore({ kv: session.kv!, maxSessionBytes: session.maxBytes }),
    rollingInterval: session.rollingInterval,
  });
}

/** The auto-commit core for one set of bindings, or the error that says which binding is wrong. */
export type PagesSessions = { withSession: WithSession<SessionData, SessionFlashData> } | { error: PagesConfigError };

// workerd passes the same env object to every request of an isolate: the storage is built once.
const byEnv = new WeakMap<object, PagesSessions>();

/** The sessions for `env`, built on its first request. */
export function pagesSessionsFor(env: PagesEnv): PagesSessions {
  let sessions = byEnv.get(env);
  if (!sessions) {
    sessions = createPagesSessions(env);
    byEnv.set(env, sessions);
  }
  return sessions;
}

function createPagesSessions(env: PagesEnv): PagesSessions {
  let config: PagesConfig;
  try {
    config = loadPagesConfig(env);
  } catch (error) {
    if (!(error instanceof PagesConfigError)) throw error;
    console.error(`[session] ${error.message}`);
    return { error };
  }
  const withSession = createAutoCommit<SessionData, SessionFlashData>({
    storage: createPagesSessionStorage(config),
    commitOnServerError: config.session.commitOnServerError,
    onLateChange:
      config.mode === "development"
        ? (key) =>
            console.warn(
              `[session] "${key}" changed after the response headers were sent (inside deferred data?); this change was not saved. Make it in the loader before returning.`,
            )
        : undefined,
    onStoreError: (error) => console.error(`[session] ${(error as Error).message}`),
  });
  return { withSession };
}
