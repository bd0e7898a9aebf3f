import { createCookie } from "@remix-run/node";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

import { Browser, setCookiesFor } from "../../harness/browser";
import { startWorkersLocals, type WorkersLocal } from "../../harness/workers-local";
import { SessionCookie } from "auto-commit-session";
import { startSlowPost, type SlowPost } from "../support/slow-post";

const SECRET = "workers-test-secret-that-is-at-least-32-characters";

// The built Worker (build-workers/, public-workers/) served by `wrangler dev` from wrangler.jsonc:
// workerd, static assets first, the default Durable Object store. The commit rules of
// tests/commit-rules.test.ts, over HTTP, with what can only be seen from outside: the data a cookie
// opens, the headers, the Worker's log.
let worker: WorkersLocal;
let url: string;
let production: WorkersLocal;
let unconfigured: WorkersLocal;
beforeAll(async () => {
  const build = inject("cloudflareBuilds").workers;
  [worker, production, unconfigured] = await startWorkersLocals([
    // Development: no Secure flag over http, and the warnings of rules 6 and 9 are logged.
    { build, bindings: { ENVIRONMENT: "development", SESSION_SECRET: SECRET } },
    { build, bindings: { SESSION_SECRET: SECRET } },
    { build },
  ]);
  url = worker.url;
}, 120_000);
afterAll(async () => {
  await Promise.all([worker?.close(), production?.close(), unconfigured?.close()]);
});

/** The data a `Cookie` header opens now, as /lab/session reports it. */
async function dataOf(cookieHeader: string): Promise<Record<string, unknown>> {
  return (await fetch(`${url}/lab/session`, { headers: { Cookie: cookieHeader } })).json();
}

describe("commit rules on the Worker, Durable Object store", () => {
  it("1. a document request runs the root loader with a session it commits, and ?_data requests share it", async () => {
    const browser = new Browser(url);
    const page = await browser.fetch("/");
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/data-testid="visits"[^>]*>1(<!-- -->)? (<!-- -->)?visit</);
    const data = (await (await browser.fetch("/?_data=root")).json()) as { visits: number };
    expect(data.visits).toBe(2);
    expect(await (await browser.fetch("/lab/probe")).json()).toEqual({ isSession: true, id: true });
    const posted = await browser.fetch("/lab/probe", { method: "POST", body: new URLSearchParams() });
    expect(await posted.json()).toEqual({ isSession: true, id: true });
  });

  it("2. the write is stored by the time the headers of a streamed page arrive", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/first");
    const response = await browser.fetch("/lab/deferred");
    // Headers are here; the body (with the deferred value) has not been read yet.
    expect(await dataOf(browser.cookieHeader)).toHaveProperty("mark:deferred-early");
    expect(await response.text()).toContain("streamed");
  });

  it("3. an unchanged session sends no cookie and writes nothing; a flash read is committed, so it shows once", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/a");
    const read = await browser.fetch("/lab/session");
    expect(read.headers.getSetCookie()).toEqual([]);
    expect(read.headers.get("Vary") ?? "").not.toMatch(/cookie/i);
    const stranger = await fetch(`${url}/lab/session`);
    expect(await stranger.json()).toEqual({});
    expect(stranger.headers.getSetCookie()).toEqual([]);

    await browser.fetch("/lab/flash", { method: "POST", body: new URLSearchParams({ notice: "hi" }) });
    const first = await browser.fetch("/lab/flash");
    expect(await first.json()).toEqual({ notice: "hi" });
    const second = await browser.fetch("/lab/flash");
    expect(await second.json()).toEqual({ notice: null });
    expect(second.headers.getSetCookie()).toEqual([]);
  });

  it("4. a changed session gets exactly one cookie, HttpOnly, SameSite=Lax, the id alone in it", async () => {
    const browser = new Browser(url);
    const response = await browser.fetch("/lab/mark/one");
    const [cookie, ...others] = setCookiesFor(response);
    expect(others).toEqual([]);
    expect(cookie).toMatch(/; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
    const value = decodeURIComponent(browser.cookie("__session") ?? "");
    expect(JSON.parse(atob(value.slice(0, value.lastIndexOf("."))))).toMatch(/^[\w-]{36}$/);
    expect(await browser.sessionData()).toHaveProperty("mark:one");
  });

  it("5. a response of 500 or above commits nothing", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/before");
    const failed = await browser.fetch("/lab/fail?key=failed");
    expect(failed.status).toBe(500);
    expect(failed.headers.getSetCookie()).toEqual([]);
    const data = await browser.sessionData();
    expect(data).toHaveProperty("mark:before");
    expect(data).not.toHaveProperty("mark:failed");
  });

  it("6. a cookie committed by hand wins, and context.session's changes are saved beside it", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/x");
    expect(setCookiesFor(await browser.fetch("/lab/hand-commit"))).toHaveLength(1);
    const data = await browser.sessionData();
    expect(data).toMatchObject({ "mark:hand": "by hand", "mark:x": expect.any(String) });
    expect(data).not.toHaveProperty("mark:after-hand");

    expect(setCookiesFor(await browser.fetch("/lab/hand-commit?library"))).toHaveLength(1);
    expect(await browser.sessionData()).toMatchObject({
      "mark:library": "by the library",
      "mark:beside": "beside the library",
    });

    const before = browser.cookieHeader;
    const destroyed = await browser.fetch("/lab/hand-commit?destroy");
    expect(setCookiesFor(destroyed)[0]).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await dataOf(before)).toEqual({});
  });

  it("7. sign in moves the data to a new id and the old id opens nothing; sign out deletes it", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/pre-login");
    const anonymous = browser.cookieHeader;
    const signedIn = await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    expect(signedIn.status).toBe(302);
    expect(setCookiesFor(signedIn)).toHaveLength(1);
    expect(browser.cookieHeader).not.toBe(anonymous);
    expect(await browser.sessionData()).toMatchObject({ user: { name: "Ada" }, "mark:pre-login": expect.any(String) });
    expect(await dataOf(anonymous)).toEqual({});

    const user = browser.cookieHeader;
    const signedOut = await browser.fetch("/logout", { method: "POST" });
    expect(signedOut.status).toBe(302);
    expect(setCookiesFor(signedOut)[0]).toMatch(/^__session=;.*Expires=Thu, 01 Jan 1970/);
    expect(await dataOf(user)).toEqual({});
  });

  it("8. a response carrying the session cookie is kept out of shared caches", async () => {
    const plain = await new Browser(url).fetch("/lab/cached");
    expect(plain.headers.get("Vary")).toMatch(/\bCookie\b/);
    expect(plain.headers.get("Cache-Control")).toBe("private, no-cache");
    const cc = encodeURIComponent("s-maxage = 600, PUBLIC, max-age=5");
    const kept = await new Browser(url).fetch(`/lab/cached?cc=${cc}`);
    expect(kept.headers.get("Cache-Control")).toBe("private, max-age=5");
  });

  it("9. a change made after the headers went out is not saved, and development logs the key", async () => {
    const browser = new Browser(url);
    expect(await (await browser.fetch("/lab/deferred")).text()).toContain("streamed");
    await expect.poll(() => worker.output, { timeout: 5_000 }).toContain('"mark:deferred-late" changed after');
    expect(await browser.sessionData()).not.toHaveProperty("mark:deferred-late");
  });

  it.each([8, 32, 64])("10. keeps every one of K = %i parallel writes of one browser", async (k) => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/seed");
    const responses = await Promise.all(Array.from({ length: k }, (_, i) => browser.fetch(`/lab/mark/p-${i}`)));
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
    const kept = Object.keys(await browser.sessionData()).filter((key) => key.startsWith("mark:p-"));
    expect(kept).toHaveLength(k);
  });

  it("serves static files before the Worker: no session read, no cookie", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/a");
    const html = await (await browser.fetch("/")).text();
    const script = /"(\/build\/entry\.client-[\w-]+\.js)"/.exec(html)?.[1] ?? "";
    expect(script).not.toBe("");
    for (const path of ["/favicon.svg", script]) {
      const response = await browser.fetch(path);
      expect(response.status).toBe(200);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get("Vary") ?? "").not.toMatch(/Cookie/);
    }
    const fingerprinted = await fetch(`${url}${script}`);
    expect(fingerprinted.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
  });

  it.each([
    ["garbage", "__session=garbage"],
    ["a tampered signature", "__session=eyJhIjoxfQ%3D%3D.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["an oversized value", `__session=${"a".repeat(8000)}`],
  ])("%s gives a fresh session, not an error", async (_name, cookie) => {
    const response = await fetch(`${url}/lab/mark/fresh`, { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    const fresh = new Browser(url);
    fresh.store(response);
    expect(Object.keys(await fresh.sessionData())).toEqual(["mark:fresh"]);
  });

  it("a validly signed id no object holds gives a fresh session with a new id", async () => {
    const cookie = new SessionCookie(createCookie, { name: "__session", secrets: [SECRET], secure: false, maxAge: 60 });
    const forged = (await cookie.serialize("A".repeat(32))).split(";")[0];
    const response = await fetch(`${url}/lab/mark/unknown`, { headers: { Cookie: forged } });
    expect(response.status).toBe(200);
    const [set] = setCookiesFor(response);
    expect(set.split(";")[0]).not.toBe(forged);
    expect(await dataOf(forged)).toEqual({});
  });

  it("refuses a cross-origin data post with 403 before the session is read", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/mine");
    const before = await browser.sessionData();
    const forged = await fetch(`${url}/lab/flash?_data=routes%2Flab.flash`, {
      method: "POST",
      headers: { Cookie: browser.cookieHeader, Origin: "https://evil.example" },
      body: new URLSearchParams({ notice: "forged" }),
    });
    expect(forged.status).toBe(403);
    expect(await browser.sessionData()).toEqual(before);
  });

  it("refuses a session over SESSION_MAX_BYTES with a 500 page and keeps it as it was", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/small");
    const response = await browser.fetch("/lab/write?key=big&size=70000");
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("The session is too large");
    expect(Object.keys(await browser.sessionData())).toEqual(["mark:small"]);
  });
});

describe("identity races on the Worker, Durable Object store", () => {
  const posts: SlowPost[] = [];
  afterEach(() => {
    for (const post of posts.splice(0)) post.abort();
  });

  /** POST /lab/flash (a write) that has read its session and waits for the rest of its body. */
  async function slowWrite(cookie: string) {
    const post = await startSlowPost(url, "/lab/flash", { cookie, form: { notice: "late" } });
    posts.push(post);
    return post;
  }

  // The overlap comes from the client holding the body back (tests/support/slow-post.ts), never from one
  // request of the Worker waiting on a promise another resolves: workerd does not always wake such a
  // request (GET /lab/hold hung for its 10 s limit in about one run in six).
  it("a write racing sign-out gets a 409 and no cookie, and does not bring the old id back", async () => {
    const browser = new Browser(url);
    await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    const signedIn = browser.cookieHeader;
    const write = await slowWrite(signedIn);

    const signOut = await browser.fetch("/logout", { method: "POST", body: new URLSearchParams() });
    expect(setCookiesFor(signOut)[0]).toMatch(/^__session=;/);
    const late = await write.finish();
    browser.store(late);
    expect(late.status).toBe(409);
    expect(setCookiesFor(late)).toEqual([]);
    expect(await dataOf(signedIn)).toEqual({});
    expect(browser.cookie("__session")).toBeUndefined();
  });

  it("a write racing sign-in is saved under neither id, and the new id keeps the pre-login data", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/pre");
    const anonymous = browser.cookieHeader;
    const write = await slowWrite(anonymous);

    const signIn = await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    expect(signIn.status).toBe(302);
    const signedIn = browser.cookieHeader;
    const late = await write.finish();
    browser.store(late);
    expect(late.status).toBe(409);
    expect(setCookiesFor(late)).toEqual([]);
    expect(browser.cookieHeader).toBe(signedIn);
    expect(await dataOf(anonymous)).toEqual({});
    const data = await dataOf(signedIn);
    expect(data).toMatchObject({ "mark:pre": expect.any(String), user: { name: "Ada" } });
    expect(data).not.toHaveProperty("__flash_notice__", "late");
  });

  it("two sign-ins at once: the second gets a 409 and no cookie; the first keeps user and pre-login data", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/pre");
    const cookie = browser.cookieHeader;
    const one = await startSlowPost(url, "/login", { cookie, form: { name: "First" } });
    posts.push(one);
    const two = await startSlowPost(url, "/login", { cookie, form: { name: "Second" } });
    posts.push(two);

    const first = await one.finish();
    browser.store(first);
    expect(first.status).toBe(302);
    const signedIn = browser.cookieHeader;
    const second = await two.finish();
    browser.store(second);
    expect(second.status).toBe(409);
    expect(setCookiesFor(second)).toEqual([]);
    expect(browser.cookieHeader).toBe(signedIn);
    expect(await dataOf(signedIn)).toMatchObject({ "mark:pre": expect.any(String), user: { name: "First" } });
    expect(await dataOf(cookie)).toEqual({});
  });
});

describe("the Worker in production", () => {
  it("names the cookie __Host-session (Secure) and serves no lab routes unless LAB_ROUTES is on", async () => {
    const page = await fetch(`${production.url}/`);
    expect(page.status).toBe(200);
    const [cookie] = setCookiesFor(page, "__Host-session");
    expect(cookie).toMatch(/; Path=\/;.*; Secure;/);
    for (const path of ["/lab/session", "/lab/mark/x"]) {
      const response = await fetch(`${production.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it("without SESSION_SECRET answers with a page saying how to set it; static files are still served", async () => {
    const response = await fetch(`${unconfigured.url}/`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("npx wrangler secret put SESSION_SECRET");
    expect((await fetch(`${unconfigured.url}/favicon.svg`)).status).toBe(200);
  });
});
