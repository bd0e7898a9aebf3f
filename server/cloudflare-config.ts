import { htmlPage } from "../session/core/html-page";
import type { SessionObjectNamespace } from "auto-commit-session/stores/durable-object";
import type { KVNamespaceLike } from "auto-commit-session/stores/workers-kv";

import { ConfigError, oneOf, type Mode, type Settings } from "./environment";
import { readLabRoutes } from "./lab-context";
import { readSecrets, readSessionSettings, type SessionSettings } from "./session-settings";

export const CLOUDFLARE_SESSION_STORES = ["cookie", "kv", "durable-object"] as const;
export type CloudflareSessionStoreName = (typeof CLOUDFLARE_SESSION_STORES)[number];

/**
 * Where the app runs on Cloudflare: a Worker with static assets (server.worker.ts, wrangler.jsonc)
 * or a Pages Function (server.cloudflare.ts, wrangler.toml). Only defaults and messages differ.
 */
export type CloudflareRuntime = "workers" | "pages";

/** The bindings a Worker or Pages deployment reads: variables, secrets, the KV namespace and the session objects. */
export interface CloudflareEnv {
  /** production (the default) | development | test. Only production requires a secret and Secure cookies. */
  ENVIRONMENT?: string;
  SESSION_STORE?: string;
  /** A secret (`wrangler pages secret put SESSION_SECRET`); comma-separated secrets rotate. */
  SESSION_SECRET?: string;
  /** The KV namespace binding, required with SESSION_STORE=kv. */
  SESSION_KV?: KVNamespaceLike;
  /** The `SessionObject` Durable Object namespace, required with SESSION_STORE=durable-object. */
  SESSION_DO?: SessionObjectNamespace;
  SESSION_COOKIE_NAME?: string;
  SESSION_MAX_AGE?: string;
  SESSION_BROWSER_MAX_AGE?: string;
  SESSION_ROLLING_INTERVAL?: string;
  SESSION_MAX_BYTES?: string;
  SESSION_COMMIT_ON_ERROR?: string;
  /** The app's public origin (https://example.com): writes must come from it. Unset: the request's own. */
  APP_ORIGIN?: string;
  /** true: believe X-Forwarded-Proto and X-Forwarded-Host in the Origin check (false by default). */
  TRUST_PROXY?: string;
  /** on: serve the `/lab/*` routes (off by default in production, on otherwise). */
  LAB_ROUTES?: string;
}

/** The session settings of a Worker or Pages deployment, checked on its first request. */
export interface CloudflareConfig {
  mode: Mode;
  /** LAB_ROUTES: serve the `/lab/*` routes. */
  labRoutes: boolean;
  session: SessionSettings & {
    store: CloudflareSessionStoreName;
    kv: KVNamespaceLike | null;
    sessionObjects: SessionObjectNamespace | null;
    secrets: string[];
  };
}

/** What differs between the runtimes: the default store, and where each binding is set. */
const RUNTIMES = {
  workers: {
    defaultStore: "durable-object",
    secretCommand:
      "`npx wrangler secret put SESSION_SECRET` (or add it under the Worker's Settings → Variables and Secrets)",
    kvBinding: '`"kv_namespaces": [{ "binding": "SESSION_KV", "id": "<namespace id>" }]` in wrangler.jsonc',
    objectBinding:
      'the SessionObject Durable Object bound as SESSION_DO (the "durable_objects" binding and its "new_sqlite_classes" migration in wrangler.jsonc)',
  },
  pages: {
    defaultStore: "cookie",
    secretCommand:
      "`npx wrangler pages secret put SESSION_SECRET` (or add it under the Pages project's Settings → Variables and Secrets)",
    kvBinding: 'Pages project → Settings → Bindings, or `[[kv_namespaces]] binding = "SESSION_KV"` in wrangler.toml',
    objectBinding:
      'a Durable Object binding SESSION_DO to the SessionObject class of the deployed session Worker (`[[durable_objects.bindings]] name = "SESSION_DO"`, `class_name = "SessionObject"`, `script_name = "<its name>"` in wrangler.toml; docs/cloudflare.md)',
  },
} as const satisfies Record<CloudflareRuntime, { defaultStore: CloudflareSessionStoreName } & Record<string, string>>;

/**
 * Reads and checks the bindings, with the same names, defaults and rules as the Express server's
 * environment (server/environment.ts, server/session-settings.ts), minus what has no meaning on Workers (ports, files).
 */
export function loadCloudflareConfig(
  env: CloudflareEnv,
  runtime: CloudflareRuntime,
  warn: (message: string) => void = console.warn,
): CloudflareConfig {
  const where = RUNTIMES[runtime];
  const settings = env as Settings;
  const mode = env.ENVIRONMENT === "development" ? "development" : env.ENVIRONMENT === "test" ? "test" : "production";
  const secrets = readSecrets(
    settings,
    mode,
    `SESSION_SECRET is not set. Production needs it to sign session cookies: run ${where.secretCommand} with a long random string, for example the output of \`openssl rand -hex 32\`. Several comma-separated secrets rotate: the first signs, all verify.`,
  );
  const store = oneOf(settings, "SESSION_STORE", CLOUDFLARE_SESSION_STORES, where.defaultStore, " on Cloudflare");
  const kv = env.SESSION_KV ?? null;
  const sessionObjects = env.SESSION_DO ?? null;
  if (store === "kv" && !kv) {
    throw new ConfigError(`SESSION_STORE=kv needs a KV namespace bound as SESSION_KV (${where.kvBinding}).`);
  }
  if (store === "durable-object" && !sessionObjects) {
    throw new ConfigError(`SESSION_STORE=durable-object needs ${where.objectBinding}.`);
  }
  return {
    mode,
    labRoutes: readLabRoutes(settings, mode),
    session: {
      ...readSessionSettings(settings, mode),
      store,
      kv,
      sessionObjects,
      secrets: secrets.length > 0 ? secrets : isolateSecret(warn),
    },
  };
}

// Workers have no disk to keep a generated secret on: it lives as long as this isolate.
function isolateSecret(warn: (message: string) => void): string[] {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  warn(
    "SESSION_SECRET is not set; using a random secret that is forgotten when this isolate stops. Set SESSION_SECRET before deploying.",
  );
  return [Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")];
}

/** The page a misconfigured deployment answers every request with, naming the binding to set. */
export function configErrorResponse(error: ConfigError): Response {
  return new Response(htmlPage("This deployment is not configured", error.message), {
    status: 500,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}
