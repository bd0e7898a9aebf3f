import { describe, expect, it } from "vitest";

import type { SessionObjectNamespace } from "auto-commit-session/stores/durable-object";

import { configErrorResponse, loadCloudflareConfig, type CloudflareEnv } from "./cloudflare-config";
import { ConfigError } from "./environment";

const SECRET = "a-production-secret-of-at-least-32-characters";
const quiet = () => {};
const load = (env: CloudflareEnv) => loadCloudflareConfig(env, "pages", quiet);
/** Stands in for a Durable Object namespace binding; configuration only checks that it is there. */
const sessionObjects = {} as SessionObjectNamespace;

describe("loadCloudflareConfig on Pages", () => {
  it("defaults to production, the cookie store and the Express server's session settings", () => {
    expect(load({ SESSION_SECRET: SECRET })).toEqual({
      mode: "production",
      labRoutes: false,
      session: {
        store: "cookie",
        kv: null,
        sessionObjects: null,
        secrets: [SECRET],
        cookieName: "__Host-session",
        secure: true,
        maxAge: 2592000,
        browserMaxAge: 86400,
        rollingInterval: 3600,
        maxBytes: 65536,
        commitOnServerError: false,
        trustProxy: false,
      },
    });
  });

  it("names the cookie __session outside production, and SESSION_COOKIE_NAME wins everywhere", () => {
    expect(load({ ENVIRONMENT: "development" }).session.cookieName).toBe("__session");
    expect(load({ ENVIRONMENT: "test" }).session.cookieName).toBe("__session");
    expect(load({ SESSION_SECRET: SECRET, SESSION_COOKIE_NAME: "__app" }).session.cookieName).toBe("__app");
  });

  it("reads every binding", () => {
    const kv = { get: async () => null, put: async () => {}, delete: async () => {} };
    const config = load({
      ENVIRONMENT: "test",
      SESSION_STORE: "kv",
      SESSION_KV: kv,
      SESSION_SECRET: "new, old",
      SESSION_COOKIE_NAME: "__pages",
      SESSION_MAX_AGE: "600",
      SESSION_BROWSER_MAX_AGE: "300",
      SESSION_ROLLING_INTERVAL: "0",
      SESSION_MAX_BYTES: "2048",
      SESSION_COMMIT_ON_ERROR: "yes",
      APP_ORIGIN: "https://Shop.Example",
      TRUST_PROXY: "true",
    });
    expect(config).toEqual({
      mode: "test",
      labRoutes: true,
      session: {
        store: "kv",
        kv,
        sessionObjects: null,
        secrets: ["new", "old"],
        cookieName: "__pages",
        secure: false,
        maxAge: 600,
        browserMaxAge: 300,
        rollingInterval: 0,
        maxBytes: 2048,
        commitOnServerError: true,
        appOrigin: "https://shop.example",
        trustProxy: true,
      },
    });
  });

  it("serves the lab routes outside production, and in production only when LAB_ROUTES is on", () => {
    expect(load({ ENVIRONMENT: "development" }).labRoutes).toBe(true);
    expect(load({ ENVIRONMENT: "test" }).labRoutes).toBe(true);
    expect(load({ SESSION_SECRET: SECRET }).labRoutes).toBe(false);
    expect(load({ SESSION_SECRET: SECRET, LAB_ROUTES: "on" }).labRoutes).toBe(true);
  });

  it("makes up a secret outside production, and says so", () => {
    const warnings: string[] = [];
    const config = loadCloudflareConfig({ ENVIRONMENT: "development" }, "pages", (message) => warnings.push(message));
    expect(config.session.secrets[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(warnings.join()).toContain("SESSION_SECRET is not set");
  });

  it.each<[CloudflareEnv, string]>([
    [{}, "SESSION_SECRET is not set"],
    [{}, "wrangler pages secret put SESSION_SECRET"],
    [{ SESSION_SECRET: "short" }, "at least 32 characters"],
    [{ SESSION_SECRET: `${SECRET},short` }, "SESSION_SECRET: secret 2 of 2 is shorter than 32 characters"],
    [{ SESSION_SECRET: SECRET, APP_ORIGIN: "https://example.com/app" }, "APP_ORIGIN must be the app's public origin"],
    [{ SESSION_SECRET: SECRET, TRUST_PROXY: "maybe" }, 'TRUST_PROXY must be true or false; got "maybe"'],
    [
      { SESSION_SECRET: SECRET, SESSION_STORE: "redis" },
      'SESSION_STORE must be one of cookie, kv, durable-object on Cloudflare; got "redis"',
    ],
    [{ SESSION_SECRET: SECRET, SESSION_STORE: "kv" }, "needs a KV namespace bound as SESSION_KV"],
    [{ SESSION_SECRET: SECRET, SESSION_STORE: "durable-object" }, 'script_name = "<its name>"'],
    [
      { SESSION_SECRET: SECRET, SESSION_MAX_AGE: "59" },
      'SESSION_MAX_AGE must be a whole number between 60 and 34560000; got "59"',
    ],
    [{ SESSION_SECRET: SECRET, SESSION_MAX_BYTES: "1.5" }, "SESSION_MAX_BYTES must be a whole number"],
    [
      { SESSION_SECRET: SECRET, SESSION_COMMIT_ON_ERROR: "maybe" },
      'SESSION_COMMIT_ON_ERROR must be true or false; got "maybe"',
    ],
  ])("refuses %j with a message naming the binding", (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  it("uses the Durable Object store when SESSION_STORE asks for it and SESSION_DO is bound", () => {
    const { session } = load({ SESSION_SECRET: SECRET, SESSION_STORE: "durable-object", SESSION_DO: sessionObjects });
    expect(session.store).toBe("durable-object");
    expect(session.sessionObjects).toBe(sessionObjects);
  });
});

describe("loadCloudflareConfig on Workers", () => {
  const loadWorkers = (env: CloudflareEnv) => loadCloudflareConfig(env, "workers", quiet);

  it("defaults to the Durable Object store, with the same session settings as Pages", () => {
    const env = { SESSION_SECRET: SECRET, SESSION_DO: sessionObjects };
    const { session } = loadWorkers(env);
    expect(session.store).toBe("durable-object");
    expect(session.sessionObjects).toBe(sessionObjects);
    expect({ ...session, store: "cookie", sessionObjects: null }).toEqual(load({ SESSION_SECRET: SECRET }).session);
  });

  it("still offers the cookie store, which needs no binding", () => {
    expect(loadWorkers({ SESSION_SECRET: SECRET, SESSION_STORE: "cookie" }).session.store).toBe("cookie");
  });

  it.each<[CloudflareEnv, string]>([
    [{}, "npx wrangler secret put SESSION_SECRET"],
    [{ SESSION_SECRET: SECRET }, "needs the SessionObject Durable Object bound as SESSION_DO"],
    [{ SESSION_SECRET: SECRET, SESSION_STORE: "kv" }, '"kv_namespaces"'],
  ])("refuses %j with a message saying what to set in wrangler.jsonc", (env, message) => {
    expect(() => loadWorkers(env)).toThrow(ConfigError);
    expect(() => loadWorkers(env)).toThrow(message);
  });
});

describe("configErrorResponse", () => {
  it("answers a 500 page, never cached, that names the binding with the message escaped", async () => {
    const response = configErrorResponse(new ConfigError('SESSION_STORE must be one of cookie; got "<kv>".'));
    expect(response.status).toBe(500);
    expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const page = await response.text();
    expect(page).toContain("<title>This deployment is not configured</title>");
    expect(page).toContain("SESSION_STORE must be one of cookie; got &#34;&#60;kv&#62;&#34;.");
    expect(page).not.toContain("<kv>");
  });
});
