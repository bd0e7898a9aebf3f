import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { Browser, setCookiesFor } from "../../harness/browser";
import { startPagesLocal, type PagesLocal } from "../../harness/pages-local";

const SECRET = "pages-config-secret-that-is-at-least-32-characters";
const OLD_SECRET = "an-older-secret-that-is-also-32-characters-long";

// One workerd process; each test restarts the Function with the bindings it needs.
describe("the Pages Function's bindings, on workerd", () => {
  let pages: PagesLocal;
  beforeAll(async () => {
    pages = await startPagesLocal({ build: inject("cloudflareBuilds").pages, kv: false });
  }, 180_000);
  afterAll(() => pages?.close());

  /** Restarts the Function with `bindings`; the lab routes the tests use are on unless they say otherwise. */
  const bind = (bindings: Record<string, string>) => pages.setBindings({ LAB_ROUTES: "on", ...bindings });

  /** GETs `path` with bindings `bindings` and returns the status and page text. */
  async function get(bindings: Record<string, string>, path = "/") {
    await bind(bindings);
    const response = await fetch(`${pages.url}${path}`);
    return { status: response.status, text: await response.text(), response };
  }

  it("refuses to serve production without SESSION_SECRET, with a page saying how to set it", async () => {
    for (const path of ["/", "/lab/ping", "/favicon.svg"]) {
      const { status, text, response } = await get({}, path);
      expect(status).toBe(500);
      expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
      expect(text).toContain("SESSION_SECRET is not set");
      expect(text).toContain("wrangler pages secret put SESSION_SECRET");
    }
  });

  it("refuses a production secret under 32 characters, an older one too", async () => {
    const { status, text } = await get({ SESSION_SECRET: "short" });
    expect(status).toBe(500);
    expect(text).toContain("at least 32 characters");
    const older = await get({ SESSION_SECRET: `${SECRET},x` });
    expect(older.status).toBe(500);
    expect(older.text).toContain("SESSION_SECRET: secret 2 of 2 is shorter than 32 characters.");
  });

  it("refuses an APP_ORIGIN that is not an origin, and checks writes against a valid one", async () => {
    const wrong = await get({ SESSION_SECRET: SECRET, APP_ORIGIN: "https://shop.example/app" });
    expect(wrong.status).toBe(500);
    expect(wrong.text).toContain("APP_ORIGIN must be the app&#39;s public origin");

    await bind({ SESSION_SECRET: SECRET, APP_ORIGIN: "https://shop.example" });
    const post = async (origin: string) => {
      const init = { method: "POST", headers: { Origin: origin }, body: new URLSearchParams() };
      return (await fetch(`${pages.url}/lab/probe`, init)).status;
    };
    expect(await post("https://shop.example")).toBe(200);
    expect(await post(pages.url)).toBe(403);
  });

  it("names the missing KV binding when SESSION_STORE=kv", async () => {
    const { status, text } = await get({ SESSION_SECRET: SECRET, SESSION_STORE: "kv" });
    expect(status).toBe(500);
    expect(text).toContain("SESSION_KV");
  });

  it("names the stores it knows when SESSION_STORE is one it does not", async () => {
    const { status, text } = await get({ SESSION_SECRET: SECRET, SESSION_STORE: "sqlite" });
    expect(status).toBe(500);
    expect(text).toContain("SESSION_STORE must be one of cookie, kv");
  });

  it("runs without a secret in development, on a random one, and without Secure cookies", async () => {
    await bind({ ENVIRONMENT: "development" });
    const browser = new Browser(pages.url);
    const response = await browser.fetch("/lab/mark/dev");
    expect(response.status).toBe(200);
    const [cookie] = setCookiesFor(response);
    expect(cookie).toBeDefined();
    expect(cookie).not.toMatch(/Secure/);
    expect(await browser.sessionData()).toHaveProperty("mark:dev");
  });

  it("names the production cookie __Host-session (Secure, Path=/, no Domain), the development one __session", async () => {
    await bind({ SESSION_SECRET: SECRET });
    const production = await fetch(`${pages.url}/lab/mark/named`);
    expect(setCookiesFor(production)).toEqual([]);
    const [cookie] = setCookiesFor(production, "__Host-session");
    expect(cookie).toMatch(/; Path=\/;.*; Secure;/);
    expect(cookie).not.toMatch(/; Domain=/i);

    await bind({ ENVIRONMENT: "development" });
    const development = await fetch(`${pages.url}/lab/mark/named`);
    expect(setCookiesFor(development)).toHaveLength(1);
    expect(setCookiesFor(development, "__Host-session")).toEqual([]);
  });

  it("reads SESSION_COOKIE_NAME and SESSION_MAX_AGE like the Express server", async () => {
    await bind({ SESSION_SECRET: SECRET, SESSION_COOKIE_NAME: "__pages", SESSION_MAX_AGE: "3600" });
    const response = await fetch(`${pages.url}/lab/mark/named`);
    expect(setCookiesFor(response, "__pages")[0]).toMatch(/Max-Age=3600;/);
  });

  it("keeps a session signed with an older listed secret and re-signs it; a static file leaves it alone", async () => {
    await bind({ SESSION_SECRET: OLD_SECRET });
    const browser = new Browser(pages.url);
    await browser.fetch("/lab/mark/before-rotation");
    const signedWithOld = browser.cookie("__Host-session");

    await bind({ SESSION_SECRET: `${SECRET},${OLD_SECRET}` });
    // Static files never read the session, so the stale signature is not refreshed there.
    const asset = await browser.fetch("/favicon.svg");
    expect(asset.status).toBe(200);
    expect(asset.headers.getSetCookie()).toEqual([]);
    expect(browser.cookie("__Host-session")).toBe(signedWithOld);

    const read = await browser.fetch("/lab/session");
    expect(await read.json()).toHaveProperty("mark:before-rotation");
    expect(setCookiesFor(read, "__Host-session")).toHaveLength(1);
    expect(browser.cookie("__Host-session")).not.toBe(signedWithOld);

    // Once the old secret is retired, only the re-signed cookie still works.
    await bind({ SESSION_SECRET: SECRET });
    expect(await browser.sessionData()).toHaveProperty("mark:before-rotation");
  });
});
