import { createCookie } from "@remix-run/cloudflare";

import type { SessionData, SessionFlashData } from "../app/session";
import { createAutoCommit, type WithSession } from "../session/core";
import { WorkersKVSessionStore } from "../session/stores/workers-kv";

import { loadPagesConfig, PagesConfigError, type PagesConfig, type PagesEnv } from "./cloudflare-config";
import { autoCommitOptions, createAppSessionStorage, originPolicyOf, type AppSessionStorage } from "./session-settings";

/** Builds the session storage the bindings ask for; the cookie is signed with Web Crypto. */
export function createPagesSessionStorage(config: PagesConfig): AppSessionStorage {
  const { session } = config;
  const store =
    session.store === "kv" ? new WorkersKVSessionStore({ kv: session.kv!, maxSessionBytes: session.maxBytes }) : null;
  return createAppSessionStorage(createCookie, session, store);
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
  const storage = createPagesSessionStorage(config);
  const withSession = createAutoCommit(
    autoCommitOptions(storage, config.mode, config.session.commitOnServerError, originPolicyOf(config.session)),
  );
  return { withSession };
}
