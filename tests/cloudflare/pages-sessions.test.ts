import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { Browser, setCookiesFor } from "../../harness/browser";
import { startPagesLocal, type PagesLocal } from "../../harness/pages-local";

export const PAGES_SECRET = "pages-test-secret-that-is-at-least-32-characters";
/** The session cookie's name in production (no SESSION_COOKIE_NAME): Secure, Path=/, no Domain. */
const COOKIE = "__Host-session";

// The built Pages Function (functions/[[path]].js) in workerd, in production mode, over HTTP.
describe.each(["cookie", "kv"] as const)("Cloudflare Pages on workerd, %s store", (store) => {
  let pages: PagesLocal;
  let url: string;
  beforeAll(async () => {
    pages = await startPagesLocal({
      build: inject("cloudflareBuilds").pages,
      kv: true,
      bindings: { SESSION_STORE: store, SESSION_SECRET: PAGES_SECRET, LAB_ROUTES: "on" },
    });
    url = pages.url;
  }, 180_000);
  afterAll(() => pages?.close());

  /** The keys the KV namespace holds for sessions. */
  async function storedKeys(): Promise<string[]> {
    const kv = await pages.miniflare.getKVNamespace("SESSION_KV");
    return (await kv.list({ prefix: "session:" })).keys.map((key) => key.name);
  }

  /** The keys holding a live session, not the tombstone a sign-in or sign-out leaves. */
  async function liveKeys(): Promise<string[]> {
    const kv = await pages.miniflare.getKVNamespace("SESSION_KV");
    const keys = await storedKeys();
    const values = await Promise.all(keys.map((key) => kv.get(key, "text")));
    return keys.filter((_, index) => !JSON.parse(values[index] ?? "{}").ended);
  }

  it("renders a document through the Workers entry, with the root loader's session write committed", async () => {
    const browser = new Browser(url);
    const page = await browser.fetch("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toBe("text/html");
    expect(await page.text()).toMatch(/data-testid="visits"[^>]*>1(<!-- -->)? (<!-- -->)?visit/);
    expect(setCookiesFor(page, COOKIE)).toHaveLength(1);
    expect(await browser.sessionData()).toMatchObject({ visits: 1 });
  });

  it("keeps a loader's write for the next request, with one Secure, HttpOnly, SameSite=Lax cookie", async () => {
    const browser = new Browser(url);
    const response = await browser.fetch("/lab/mark/first");
    expect(await response.json()).toEqual({ ok: true, key: "first" });
    const [cookie, ...others] = setCookiesFor(response, COOKIE);
    expect(others).toEqual([]);
    expect(cookie).toMatch(/; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(response.headers.get("Vary")).toMatch(/Cookie/);
    expect(response.headers.get("Cache-Control")).toBe("private, no-cache");
    expect((await browser.sessionData())["mark:first"]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("sends no Set-Cookie for an unchanged session, nor for a visitor who changes nothing", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/a");
    for (const path of ["/lab/session", "/lab/ping"]) {
      const response = await browser.fetch(path);
      expect(response.status).toBe(200);
      expect(setCookiesFor(response, COOKIE)).toEqual([]);
    }
    const stranger = await fetch(`${url}/lab/ping`);
    expect(stranger.headers.getSetCookie()).toEqual([]);
  });

  it("serves static files from env.ASSETS without touching the session", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/a");
    const keysBefore = store === "kv" ? await storedKeys() : [];
    const html = await (await browser.fetch("/")).text();
    const script = /"(\/build\/entry\.client-[\w-]+\.js)"/.exec(html)?.[1] ?? "";
    expect(script).not.toBe("");
    for (const path of ["/favicon.svg", script]) {
      const response = await browser.fetch(path);
      expect(response.status).toBe(200);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get("Vary") ?? "").not.toMatch(/Cookie/);
    }
    if (store === "kv") expect(await storedKeys()).toEqual(keysBefore);
  });

  it("shows a flash once: POST /preferences, then GET /?_data=root twice", async () => {
    const browser = new Browser(url);
    const posted = await browser.fetch("/preferences", {
      method: "POST",
      body: new URLSearchParams({ theme: "dark", density: "compact" }),
    });
    expect(posted.status).toBe(302);
    expect(setCookiesFor(posted, COOKIE)).toHaveLength(1);
    const first = await (await browser.fetch("/?_data=root")).json();
    expect(first).toMatchObject({ notice: "Preferences saved.", theme: "dark", density: "compact" });
    const second = (await (await browser.fetch("/?_data=root")).json()) as { notice: string | null; theme: string };
    expect(second.notice).toBeNull();
    expect(second.theme).toBe("dark");
  });

  it("commits nothing for a response of 500 or above", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/before");
    const failed = await browser.fetch("/lab/fail?key=x");
    expect(failed.status).toBe(500);
    expect(setCookiesFor(failed, COOKIE)).toEqual([]);
    const data = await browser.sessionData();
    expect(data).toHaveProperty("mark:before");
    expect(data).not.toHaveProperty("mark:x");
  });

  it("moves the session to a fresh id at sign in and clears the cookie at sign out", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/anonymous");
    const before = browser.cookie(COOKIE);
    const keysBefore = store === "kv" ? await liveKeys() : [];

    const signedIn = await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get("Location")).toBe("/");
    expect(browser.cookie(COOKIE)).not.toBe(before);
    expect(await browser.sessionData()).toMatchObject({ "mark:anonymous": expect.any(String), user: { name: "Ada" } });
    if (store === "kv") {
      const keysAfter = await liveKeys();
      expect(keysAfter).toHaveLength(keysBefore.length);
      expect(keysAfter).not.toEqual(keysBefore);
    }

    const signedOut = await browser.fetch("/logout", { method: "POST" });
    expect(signedOut.status).toBe(302);
    const [cleared] = setCookiesFor(signedOut, COOKIE);
    expect(cleared).toMatch(/^__Host-session=;.*Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    expect(browser.cookie(COOKIE)).toBeUndefined();
    expect(await browser.sessionData()).toEqual({});
    if (store === "kv") expect(await liveKeys()).toHaveLength(keysBefore.length - 1);
  });

  it("answers /lab/mark/:key and /lab/session as on Express", async () => {
    const browser = new Browser(url);
    const started = Date.now();
    expect(await (await browser.fetch("/lab/mark/some%20key")).json()).toEqual({ ok: true, key: "some key" });
    const tooLong = await browser.fetch(`/lab/mark/${"k".repeat(201)}`);
    expect(tooLong.status).toBe(400);
    expect(setCookiesFor(tooLong, COOKIE)).toEqual([]);
    await browser.fetch("/lab/flash", { method: "POST", body: new URLSearchParams({ notice: "unread" }) });

    // Raw data: the flash is still there, unread, and reading it here did not consume it.
    const data = await browser.sessionData();
    expect(data).toEqual({ "mark:some key": expect.any(String), __flash_notice__: "unread" });
    expect(Date.parse(data["mark:some key"] as string)).toBeGreaterThanOrEqual(started - 1000);
    expect(await browser.sessionData()).toHaveProperty("__flash_notice__", "unread");
  });

  it("refuses a session that outgrew its store with a 500 page and keeps the session as it was", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/small");
    // 64 KiB is the KV store's default limit; 4 KB the cookie's.
    const response = await browser.fetch(`/lab/write?key=big&size=${store === "kv" ? 70_000 : 5_000}`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("The session is too large");
    expect(setCookiesFor(response, COOKIE)).toEqual([]);
    expect(Object.keys(await browser.sessionData())).toEqual(["mark:small"]);
  });

  if (store === "kv") {
    it("keeps only the session id in the cookie and the data in SESSION_KV", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/secret-ish");
      const value = decodeURIComponent(browser.cookie(COOKIE) ?? "");
      const id = JSON.parse(atob(value.slice(0, value.lastIndexOf("."))));
      expect(id).toMatch(/^[\w-]{36}$/);
      const kv = await pages.miniflare.getKVNamespace("SESSION_KV");
      const stored = JSON.parse((await kv.get(`session:${id}`, "text")) ?? "null");
      expect(stored.data).toHaveProperty("mark:secret-ish");
    });

    it("answers every one of many parallel writes of one browser, keeping what was there before", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/start");
      const keys = Array.from({ length: 12 }, (_, i) => `p${i}`);
      const responses = await Promise.all(keys.map((key) => browser.fetch(`/lab/mark/${key}`)));
      expect(responses.map((response) => response.status)).toEqual(keys.map(() => 200));
      // Each commit is get, apply, put: parallel ones may overwrite each other (KV cannot merge),
      // but every put carries what all of them read.
      const data = await browser.sessionData();
      expect(data).toHaveProperty("mark:start");
      expect(keys.some((key) => `mark:${key}` in data)).toBe(true);
    });
  }
});
