import { createCookie } from "@remix-run/node";
import { afterEach, describe, expect, it } from "vitest";

import { loadAppBuild, startTestServer } from "../tests/support/server";

import { createApp } from "./app";
import { loadConfig } from "./config";
import { originPolicyOf } from "./session-settings";
import { createAppSessionStorage } from "./session-wiring";

const SECRET = "a-production-secret-of-at-least-32-chars";

function sessionStorage() {
  const config = loadConfig({ NODE_ENV: "test", SESSION_SECRET: SECRET, SESSION_STORE: "cookie" }, () => {});
  return createAppSessionStorage(createCookie, { ...config.session, secrets: [SECRET] }, null);
}

describe("createApp", () => {
  it("trusts X-Forwarded-* in Express (trust proxy) only when TRUST_PROXY is on", async () => {
    const build = await loadAppBuild();
    const options = { build, sessionStorage: sessionStorage(), mode: "test" as const, log: false as const };
    expect(createApp(options).get("trust proxy")).toBeFalsy();
    expect(createApp({ ...options, originPolicy: { trustProxy: false } }).get("trust proxy")).toBeFalsy();
    expect(createApp({ ...options, originPolicy: { trustProxy: true } }).get("trust proxy")).toBe(true);
  });
});

describe("originPolicyOf", () => {
  it("reads APP_ORIGIN, normalised, and TRUST_PROXY", () => {
    const config = loadConfig(
      {
        NODE_ENV: "test",
        SESSION_SECRET: SECRET,
        SESSION_STORE: "cookie",
        APP_ORIGIN: "https://Shop.Example",
        TRUST_PROXY: "1",
      },
      () => {},
    );
    const policy = originPolicyOf(config.session);
    expect(policy).toEqual({ appOrigin: "https://shop.example", trustProxy: true });
  });
});

describe("the Origin check over HTTP, with APP_ORIGIN and TRUST_PROXY", () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** Starts the Express app with `env` and returns a POST to a resource route with `headers`, as its status. */
  async function poster(env: Record<string, string>) {
    const server = await startTestServer({ env: { SESSION_STORE: "cookie", ...env } });
    servers.push(server);
    const post = async (headers: Record<string, string>) =>
      (await fetch(`${server.url}/lab/probe`, { method: "POST", headers, body: new URLSearchParams() })).status;
    return { url: server.url, post };
  }

  it("by default compares Origin with the scheme and Host the app was reached at, ignoring X-Forwarded-*", async () => {
    const { url, post } = await poster({});
    expect(await post({ Origin: url })).toBe(200);
    expect(await post({ Origin: url.replace("http:", "https:") })).toBe(403);
    const forwarded = { "X-Forwarded-Host": "shop.example", "X-Forwarded-Proto": "https" };
    expect(await post({ ...forwarded, Origin: "https://shop.example" })).toBe(403);
    expect(await post({ ...forwarded, Origin: url })).toBe(200);
    expect(await post({ "Sec-Fetch-Site": "cross-site" })).toBe(403);
    expect(await post({})).toBe(200);
  });

  it("with TRUST_PROXY=true, compares Origin with what the proxy forwarded", async () => {
    const { url, post } = await poster({ TRUST_PROXY: "true" });
    const forwarded = { "X-Forwarded-Host": "shop.example", "X-Forwarded-Proto": "https" };
    expect(await post({ ...forwarded, Origin: "https://shop.example" })).toBe(200);
    expect(await post({ ...forwarded, Origin: url })).toBe(403);
    expect(await post({ Origin: url })).toBe(200);
  });

  it("with APP_ORIGIN, accepts writes from that origin only", async () => {
    const { url, post } = await poster({ APP_ORIGIN: "https://shop.example" });
    expect(await post({ Origin: "https://shop.example" })).toBe(200);
    expect(await post({ Origin: url })).toBe(403);
    expect(await post({ "X-Forwarded-Host": "evil.example", Origin: "https://evil.example" })).toBe(403);
  });
});
