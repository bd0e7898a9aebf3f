import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { labContextFromEnvironment, labContextOf, loadConfig } from "./config";
import { ConfigError } from "./environment";
import { COOKIE_SESSION_JSON_BUDGET } from "./lab-context";

const SECRET = "a-production-secret-of-at-least-32-chars";
const folders: string[] = [];

function dataDir(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "config-test-"));
  folders.push(folder);
  return folder;
}

/** Loads the settings from exactly `env`, in test mode with a secret unless `env` says otherwise. */
function load(env: Record<string, string>, warn: (message: string) => void = () => {}) {
  return loadConfig({ NODE_ENV: "test", SESSION_SECRET: SECRET, DATA_DIR: dataDir(), ...env }, warn);
}

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, but the settings were accepted");
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

describe("loadConfig", () => {
  it("uses the documented defaults when nothing is set", () => {
    const config = load({});
    expect(config).toMatchObject({
      mode: "test",
      port: 3000,
      host: "127.0.0.1",
      session: {
        store: "sqlite",
        cookieName: "__session",
        secure: false,
        maxAge: 2_592_000,
        rollingInterval: 3600,
        maxBytes: 65_536,
        commitOnServerError: false,
        trustProxy: false,
      },
    });
    expect(config.session.appOrigin).toBeUndefined();
  });

  it("names the cookie __Host-session in production (Secure, Path=/, no Domain), __session otherwise", () => {
    expect(load({ NODE_ENV: "production" }).session).toMatchObject({ cookieName: "__Host-session", secure: true });
    expect(load({ NODE_ENV: "development" }).session).toMatchObject({ cookieName: "__session", secure: false });
    expect(load({ NODE_ENV: "test" }).session.cookieName).toBe("__session");
    expect(load({ NODE_ENV: "production", SESSION_COOKIE_NAME: "__app" }).session.cookieName).toBe("__app");
  });

  it("refuses a __Host- or __Secure- SESSION_COOKIE_NAME outside production, where browsers would drop the cookie", () => {
    for (const name of ["__Host-session", "__Secure-session"]) {
      const error = errorOf(() => load({ NODE_ENV: "development", SESSION_COOKIE_NAME: name }));
      expect(error.message).toMatch(new RegExp(`^SESSION_COOKIE_NAME "${name}" needs a Secure cookie`));
      expect(load({ NODE_ENV: "production", SESSION_COOKIE_NAME: name }).session.cookieName).toBe(name);
    }
  });

  it("reads APP_ORIGIN as a normalised origin and TRUST_PROXY as a boolean", () => {
    const config = load({ APP_ORIGIN: "https://Shop.Example:443", TRUST_PROXY: "true" });
    expect(config.session).toMatchObject({ appOrigin: "https://shop.example", trustProxy: true });
    expect(load({ APP_ORIGIN: "http://127.0.0.1:3000/" }).session.appOrigin).toBe("http://127.0.0.1:3000");
    expect(load({ TRUST_PROXY: "0" }).session.trustProxy).toBe(false);
  });

  it.each([
    "example.com",
    "ftp://example.com",
    "https://example.com/app",
    "https://example.com?x=1",
    "https://example.com#top",
    "https://user:pw@example.com",
    "https://",
    "not a url",
  ])("refuses APP_ORIGIN=%s, saying it must be an http(s) origin without a path", (value) => {
    const error = errorOf(() => load({ APP_ORIGIN: value }));
    expect(error.message).toMatch(
      /^APP_ORIGIN must be the app's public origin, http:\/\/ or https:\/\/ with a host and an optional port but no path/,
    );
    if (!value.includes("pw@")) expect(error.message).toContain(`got "${value}"`);
    expect(error.message).not.toContain("pw@");
  });

  it("reads every setting it is given", () => {
    const config = load({
      PORT: "8080",
      HOST: "0.0.0.0",
      SESSION_STORE: "memory",
      SESSION_COOKIE_NAME: "__app",
      SESSION_MAX_AGE: "600",
      SESSION_ROLLING_INTERVAL: "0",
      SESSION_MAX_BYTES: "2048",
      SESSION_COMMIT_ON_ERROR: "yes",
    });
    expect(config).toMatchObject({ port: 8080, host: "0.0.0.0" });
    expect(config.session).toMatchObject({
      store: "memory",
      cookieName: "__app",
      maxAge: 600,
      rollingInterval: 0,
      maxBytes: 2048,
      commitOnServerError: true,
    });
  });

  it("names an unknown SESSION_STORE and the value it got", () => {
    const error = errorOf(() => load({ SESSION_STORE: "postgres" }));
    expect(error.message).toMatch(/^SESSION_STORE must be one of sqlite, cookie, memory\b.*; got "postgres"\.$/);
  });

  it.each([
    ["PORT", "http", /^PORT must be a whole number between 0 and 65535; got "http"\.$/],
    ["PORT", "70000", /^PORT must be a whole number between 0 and 65535; got "70000"\.$/],
    ["SESSION_MAX_AGE", "59", /^SESSION_MAX_AGE must be a whole number between 60 and 34560000; got "59"\.$/],
    ["SESSION_MAX_AGE", "1.5", /^SESSION_MAX_AGE must be a whole number between 60 and 34560000; got "1\.5"\.$/],
    ["SESSION_MAX_AGE", "10000000000000", /^SESSION_MAX_AGE must be a whole number between 60 and 34560000; got "1/],
    ["SESSION_BROWSER_MAX_AGE", "34560001", /^SESSION_BROWSER_MAX_AGE must be a whole number between 60 and 34560000/],
    ["SESSION_ROLLING_INTERVAL", "-1", /^SESSION_ROLLING_INTERVAL must be a whole number at least 0; got "-1"\.$/],
    ["SESSION_MAX_BYTES", "512", /^SESSION_MAX_BYTES must be a whole number at least 1024; got "512"\.$/],
    ["SESSION_COMMIT_ON_ERROR", "maybe", /^SESSION_COMMIT_ON_ERROR must be true or false; got "maybe"\.$/],
    ["TRUST_PROXY", "maybe", /^TRUST_PROXY must be true or false; got "maybe"\.$/],
  ])("names %s and the wrong value %s", (name, value, message) => {
    expect(errorOf(() => load({ [name]: value })).message).toMatch(message);
  });

  it("refuses production without SESSION_SECRET and says how to make one", () => {
    const error = errorOf(() => load({ NODE_ENV: "production", SESSION_SECRET: "" }));
    expect(error.message).toMatch(/^SESSION_SECRET is not set\. Production needs it/);
    expect(error.message).toContain("crypto.randomBytes(32)");
  });

  it("refuses a production signing secret shorter than 32 characters", () => {
    const error = errorOf(() => load({ NODE_ENV: "production", SESSION_SECRET: "short,".concat(SECRET) }));
    expect(error.message).toMatch(/^SESSION_SECRET: secret 1 of 2 is shorter than 32 characters\./);
    expect(error.message).not.toContain("short,");
  });

  it("refuses an older production secret shorter than 32 characters too, naming it by position only", () => {
    // Every listed secret verifies cookies: with the cookie store, whoever guesses "x" forges any session.
    for (const [secrets, position] of [
      [`${SECRET},x`, "2 of 2"],
      [`${SECRET},${SECRET}-older,older-but-short`, "3 of 3"],
    ]) {
      const error = errorOf(() => load({ NODE_ENV: "production", SESSION_SECRET: secrets }));
      expect(error.message).toMatch(new RegExp(`^SESSION_SECRET: secret ${position} is shorter than 32 characters\\.`));
      expect(error.message).toContain("every secret must be at least 32 characters long");
      expect(error.message).not.toMatch(/"x"|older-but-short/);
    }
  });

  it("accepts short secrets outside production", () => {
    expect(load({ NODE_ENV: "development", SESSION_SECRET: "dev,x" }).session.secrets).toEqual(["dev", "x"]);
  });

  it("splits comma-separated secrets, first one signing, and marks production cookies secure", () => {
    const older = "an-older-secret-also-of-32-characters";
    const config = load({ NODE_ENV: "production", SESSION_SECRET: ` ${SECRET} , ${older} ,` });
    expect(config.session.secrets).toEqual([SECRET, older]);
    expect(config.session.secure).toBe(true);
  });

  it("keeps one generated development secret in DATA_DIR across restarts, with a warning", () => {
    const dir = dataDir();
    const warnings: string[] = [];
    const first = loadConfig({ NODE_ENV: "development", DATA_DIR: dir }, (message) => warnings.push(message));
    const second = loadConfig({ NODE_ENV: "development", DATA_DIR: dir }, () => {});

    expect(first.session.secrets).toHaveLength(1);
    expect(first.session.secrets[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(second.session.secrets).toEqual(first.session.secrets);
    expect(warnings[0]).toMatch(
      /^SESSION_SECRET is not set; using a development secret kept in .*\.dev-session-secret/,
    );
  });
});
describe("LAB_ROUTES and the lab's context", () => {
  it("serves the lab outside production, and in production only when LAB_ROUTES is on", () => {
    expect(load({ NODE_ENV: "development" }).labRoutes).toBe(true);
    expect(load({}).labRoutes).toBe(true);
    expect(load({ NODE_ENV: "production" }).labRoutes).toBe(false);
    expect(load({ NODE_ENV: "production", LAB_ROUTES: "on" }).labRoutes).toBe(true);
    expect(load({ LAB_ROUTES: "off" }).labRoutes).toBe(false);
    expect(errorOf(() => load({ LAB_ROUTES: "sometimes" })).message).toBe(
      'LAB_ROUTES must be true or false; got "sometimes".',
    );
  });

  it("tells the lab the store, whether it merges, and about how much JSON the session may hold", () => {
    expect(labContextOf(load({ NODE_ENV: "production" }))).toBeNull();
    expect(labContextOf(load({ SESSION_MAX_BYTES: "2048" }))).toEqual({
      store: "sqlite",
      merges: true,
      sessionLimitBytes: 2048,
    });
    // The cookie store's limit is the 4 KB cookie, whatever SESSION_MAX_BYTES says.
    expect(labContextOf(load({ SESSION_STORE: "cookie" }))).toEqual({
      store: "cookie",
      merges: false,
      sessionLimitBytes: COOKIE_SESSION_JSON_BUDGET,
    });
  });

  it("reads the same context from the environment for a server that does not pass one", () => {
    expect(labContextFromEnvironment({ NODE_ENV: "production" })).toBeNull();
    expect(labContextFromEnvironment({ NODE_ENV: "production", LAB_ROUTES: "on", SESSION_STORE: "memory" })).toEqual({
      store: "memory",
      merges: true,
      sessionLimitBytes: 65536,
    });
    expect(labContextFromEnvironment({ NODE_ENV: "development" })).toEqual(
      labContextOf(load({ NODE_ENV: "development" })),
    );
  });
});

describe("the Redis settings", () => {
  it("reads REDIS_URL and the default key prefix when SESSION_STORE=redis", () => {
    const config = load({ SESSION_STORE: "redis", REDIS_URL: "redis://127.0.0.1:6379/2" });
    expect(config.session.store).toBe("redis");
    expect(config.session.redis).toEqual({
      urls: ["redis://127.0.0.1:6379/2"],
      cluster: false,
      prefix: "session:",
      commandTimeout: 2000,
      connectTimeout: 5000,
    });
  });

  it("takes the key prefix from SESSION_REDIS_PREFIX and accepts rediss:// URLs", () => {
    const config = load({
      SESSION_STORE: "redis",
      REDIS_URL: "rediss://u:p@cache:6380",
      SESSION_REDIS_PREFIX: "myapp:s:",
    });
    expect(config.session.redis).toMatchObject({ urls: ["rediss://u:p@cache:6380"], prefix: "myapp:s:" });
  });

  it("reads a Redis Cluster's nodes from REDIS_URL with REDIS_CLUSTER=true, and the deadlines from their settings", () => {
    const config = load({
      SESSION_STORE: "redis",
      REDIS_URL: "redis://10.0.0.1:6379, redis://u:pa,ss@10.0.0.2:6379",
      REDIS_CLUSTER: "true",
      REDIS_COMMAND_TIMEOUT_MS: "500",
      REDIS_CONNECT_TIMEOUT_MS: "20000",
    });
    expect(config.session.redis).toEqual({
      urls: ["redis://10.0.0.1:6379", "redis://u:pa,ss@10.0.0.2:6379"],
      cluster: true,
      prefix: "session:",
      commandTimeout: 500,
      connectTimeout: 20000,
    });
  });

  it("refuses several servers without REDIS_CLUSTER, a database other than 0 in a cluster, and braces in the prefix", () => {
    const several = { SESSION_STORE: "redis", REDIS_URL: "redis://a:6379,redis://b:6379" };
    expect(errorOf(() => load(several)).message).toContain("set REDIS_CLUSTER=true");
    expect(errorOf(() => load({ ...several, REDIS_URL: "redis://a:6379/2", REDIS_CLUSTER: "on" })).message).toContain(
      "Redis Cluster has only database 0",
    );
    expect(load({ ...several, REDIS_URL: "redis://a:6379/0", REDIS_CLUSTER: "on" }).session.redis?.cluster).toBe(true);
    expect(
      errorOf(() => load({ ...several, REDIS_CLUSTER: "true", SESSION_REDIS_PREFIX: "{app}:" })).message,
    ).toContain('SESSION_REDIS_PREFIX may not hold "{" or "}"');
    // A single Redis keeps plain keys, so a prefix with braces that worked before clusters still starts.
    expect(
      load({ SESSION_STORE: "redis", REDIS_URL: "redis://a:6379", SESSION_REDIS_PREFIX: "{app}:" }).session.redis
        ?.prefix,
    ).toBe("{app}:");
    expect(errorOf(() => load({ ...several, REDIS_CLUSTER: "true", REDIS_COMMAND_TIMEOUT_MS: "0" })).message).toContain(
      "REDIS_COMMAND_TIMEOUT_MS must be a whole number",
    );
  });

  it("refuses SESSION_STORE=redis without REDIS_URL, saying what to set", () => {
    const error = errorOf(() => load({ SESSION_STORE: "redis" }));
    expect(error.message).toContain("REDIS_URL is not set");
    expect(error.message).toContain("redis://127.0.0.1:6379");
  });

  it("refuses a REDIS_URL that is not a redis:// URL, without echoing its password", () => {
    expect(errorOf(() => load({ SESSION_STORE: "redis", REDIS_URL: "127.0.0.1:6379" })).message).toContain(
      'REDIS_URL must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"; got "127.0.0.1:6379"',
    );
    const error = errorOf(() => load({ SESSION_STORE: "redis", REDIS_URL: "http://user:hunter2@cache:6379" }));
    expect(error.message).toContain("REDIS_URL must be");
    expect(error.message).not.toContain("hunter2");
  });

  it.each([
    ["redis://user:p/a@s:s@host:6379/0", "redis://user:***@host:6379/0"],
    ["http://user:p@ss#w:rd@cache:6379", "http://user:***@cache:6379"],
    ["user:hunter2@cache:6379", "user:***@cache:6379"],
  ])("names a REDIS_URL it cannot use (%s) with its password masked, whatever the password holds", (url, masked) => {
    const error = errorOf(() => load({ SESSION_STORE: "redis", REDIS_URL: url }));
    expect(error.message).toContain(
      `REDIS_URL must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"; got "${masked}"`,
    );
    const password = url.slice(url.indexOf(":", url.indexOf("user") + 1) + 1, url.lastIndexOf("@"));
    expect(error.message).not.toContain(password);
  });

  it("ignores REDIS_URL for the other stores", () => {
    expect(load({ SESSION_STORE: "sqlite", REDIS_URL: "not a url" }).session.redis).toBeUndefined();
  });
});
