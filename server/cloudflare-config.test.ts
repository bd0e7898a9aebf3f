import { describe, expect, it } from "vitest";

import { loadPagesConfig, PagesConfigError, type PagesEnv } from "./cloudflare-config";

const SECRET = "a-production-secret-of-at-least-32-characters";
const quiet = () => {};
const load = (env: PagesEnv) => loadPagesConfig(env, quiet);

describe("loadPagesConfig", () => {
  it("defaults to production, the cookie store and the Express server's session settings", () => {
    expect(load({ SESSION_SECRET: SECRET })).toEqual({
      mode: "production",
      session: {
        store: "cookie",
        kv: null,
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
      session: {
        store: "kv",
        kv,
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

  it("makes up a secret outside production, and says so", () => {
    const warnings: string[] = [];
    const config = loadPagesConfig({ ENVIRONMENT: "development" }, (message) => warnings.push(message));
    expect(config.session.secrets[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(warnings.join()).toContain("SESSION_SECRET is not set");
  });

  it.each<[PagesEnv, string]>([
    [{}, "SESSION_SECRET is not set"],
    [{ SESSION_SECRET: "short" }, "at least 32 characters"],
    [{ SESSION_SECRET: `${SECRET},short` }, "SESSION_SECRET: secret 2 of 2 is shorter than 32 characters"],
    [{ SESSION_SECRET: SECRET, APP_ORIGIN: "https://example.com/app" }, "APP_ORIGIN must be the app's public origin"],
    [{ SESSION_SECRET: SECRET, TRUST_PROXY: "maybe" }, 'TRUST_PROXY must be true or false; got "maybe"'],
    [
      { SESSION_SECRET: SECRET, SESSION_STORE: "redis" },
      'SESSION_STORE must be one of cookie, kv on Cloudflare; got "redis"',
    ],
    [{ SESSION_SECRET: SECRET, SESSION_STORE: "kv" }, "needs a KV namespace bound as SESSION_KV"],
    [{ SESSION_SECRET: SECRET, SESSION_MAX_AGE: "59" }, 'SESSION_MAX_AGE must be a whole number at least 60; got "59"'],
    [{ SESSION_SECRET: SECRET, SESSION_MAX_BYTES: "1.5" }, "SESSION_MAX_BYTES must be a whole number"],
    [
      { SESSION_SECRET: SECRET, SESSION_COMMIT_ON_ERROR: "maybe" },
      'SESSION_COMMIT_ON_ERROR must be true or false; got "maybe"',
    ],
  ])("refuses %j with a message naming the binding", (env, message) => {
    expect(() => load(env)).toThrow(PagesConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
