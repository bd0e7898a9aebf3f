import { createCookie } from "@remix-run/cloudflare";

import type { SessionData, SessionFlashData } from "../app/session";
import type { SessionStore, WithSession } from "auto-commit-session";
import { DurableObjectSessionStore } from "auto-commit-session/stores/durable-object";
import { WorkersKVSessionStore } from "auto-commit-session/stores/workers-kv";

import {
  loadCloudflareConfig,
  type CloudflareConfig,
  type CloudflareEnv,
  type CloudflareRuntime,
} from "./cloudflare-config";
import { ConfigError } from "./environment";
import { labContext } from "./lab-context";
import { originPolicyOf } from "./session-settings";
import { createAppSessionStorage, createAppWithSession, type AppSessionStorage } from "./session-wiring";

/** Builds the session storage the bindings ask for; the cookie is signed with Web Crypto. */
export function createCloudflareSessionStorage(config: CloudflareConfig): AppSessionStorage {
  return createAppSessionStorage(createCookie, config.session, createStore(config.session));
}

function createStore(session: CloudflareConfig["session"]): SessionStore | null {
  const maxSessionBytes = session.maxBytes;
  switch (session.store) {
    case "durable-object":
      return new DurableObjectSessionStore({ namespace: session.sessionObjects!, maxSessionBytes });
    case "kv":
      return new WorkersKVSessionStore({ kv: session.kv!, maxSessionBytes });
    case "cookie":
      return null;
  }
}

/**
 * The auto-commit core for one set of bindings (it also hands the app `context.lab`), or the error
 * that says which binding is wrong.
 */
export type CloudflareSessions = { withSession: WithSession<SessionData, SessionFlashData> } | { error: ConfigError };

// workerd passes the same env object to every request of an isolate: the storage is built once.
const byEnv = new WeakMap<object, CloudflareSessions>();

/** The sessions for `env`, built on its first request. */
export function cloudflareSessionsFor(env: CloudflareEnv, runtime: CloudflareRuntime): CloudflareSessions {
  let sessions = byEnv.get(env);
  if (!sessions) {
    sessions = createCloudflareSessions(env, runtime);
    byEnv.set(env, sessions);
  }
  return sessions;
}

function createCloudflareSessions(env: CloudflareEnv, runtime: CloudflareRuntime): CloudflareSessions {
  let config: CloudflareConfig;
  try {
    config = loadCloudflareConfig(env, runtime);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`[session] ${error.message}`);
    return { error };
  }
  const storage = createCloudflareSessionStorage(config);
  const withSession = createAppWithSession(storage, {
    mode: config.mode,
    commitOnServerError: config.session.commitOnServerError,
    originPolicy: originPolicyOf(config.session),
    lab: config.labRoutes ? labContext(config.session.store, config.session.maxBytes) : null,
  });
  return { withSession };
}
