import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Browser } from "../harness/browser";

import { startTestServer, type TestServer } from "./support/server";

// The demo's wording and its session inspector, as the server renders them (no JavaScript).

/** React separates adjacent text with `<!-- -->` in server-rendered HTML. */
function text(html: string): string {
  return html.replace(/<!-- -->/g, "");
}

/** The inspector's `<dt>` keys in page order. */
function inspectorKeys(html: string): string[] {
  const list = /data-testid="session-inspector">([\s\S]*?)<\/dl>/.exec(html)?.[1] ?? "";
  return [...list.matchAll(/<dt[^>]*title="([^"]+)"/g)].map((match) => match[1]);
}

const SIGNED_OUT = "Signed out. Your session was deleted, and your theme and density with it";

describe("the demo's wording", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_STORE: "sqlite" } });
  });
  afterAll(() => server.close());

  it('says "1 time" and "2 times", "1 key" and "2 keys"', async () => {
    const browser = new Browser(server.url);
    const first = text(await (await browser.fetch("/library/fiction")).text());
    expect(first).toContain("Shelf loader ran 1 time<");
    expect(first).toContain("Layout loader ran 1 time<");
    const second = text(await (await browser.fetch("/library/poetry")).text());
    expect(second).toContain("Shelf loader ran 2 times<");
    expect(second).toContain("Layout loader ran 2 times<");

    const stranger = new Browser(server.url);
    expect(text(await (await stranger.fetch("/")).text())).toMatch(/data-testid="inspector-count">1 key</);
    // The root loader's read of the second page: the visit and the library's count from the first.
    await stranger.fetch("/library");
    expect(text(await (await stranger.fetch("/")).text())).toMatch(/data-testid="inspector-count">2 keys</);
  });

  it("explains that the visit counter counts every navigation", async () => {
    const html = text(await (await new Browser(server.url).fetch("/")).text());
    expect(html).toMatch(
      /title="Pages opened in this session: the root loader adds one on every navigation[^"]*" aria-describedby="visits-explained" data-testid="visits">1 visit</,
    );
    expect(html).toContain("it counts every page you open, client-side navigations included");
  });

  it("names the last shelf by its display name", async () => {
    const browser = new Browser(server.url);
    await browser.fetch("/library/science");
    const html = text(await (await browser.fetch("/library")).text());
    expect(html).toContain("You last opened the Science shelf.");
    expect(html).not.toContain("“science”");
  });

  it("says that signing out resets the theme, on the preferences page and after signing out", async () => {
    const browser = new Browser(server.url);
    const preferences = text(await (await browser.fetch("/preferences")).text());
    expect(preferences).toContain("signing out deletes them along with everything else in it");

    await browser.fetch("/preferences", {
      method: "POST",
      body: new URLSearchParams({ theme: "dark", density: "compact" }),
    });
    await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    const signedIn = await browser.fetch("/");
    expect(await signedIn.text()).toContain('class="dark"');

    const logout = await browser.fetch("/logout", { method: "POST", body: new URLSearchParams() });
    expect(logout.status).toBe(302);
    expect(logout.headers.get("Location")).toBe("/?signed-out");
    // Sign out still deletes the session and clears the cookie; the notice comes from the URL.
    expect(logout.headers.getSetCookie()).toEqual([expect.stringMatching(/^__session=;.*Expires=Thu, 01 Jan 1970/)]);
    const after = text(await (await browser.fetch("/?signed-out")).text());
    expect(after).toContain(SIGNED_OUT);
    expect(after).not.toContain('class="dark"');
    // Only right after signing out: signed in again, the same URL says nothing of the kind.
    await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    expect(text(await (await browser.fetch("/?signed-out")).text())).not.toContain(SIGNED_OUT);
  });

  it("links the deferred page from the lab, and says there how crawlers differ", async () => {
    const browser = new Browser(server.url);
    expect(await (await browser.fetch("/lab")).text()).toContain('href="/lab/deferred"');
    const html = text(await (await browser.fetch("/lab/deferred")).text());
    expect(html).toContain("Crawlers are different");
    expect(html).toMatch(/renders the whole page, deferred values included, before it answers/);
  });

  it("keeps the late deferred change for a crawler, which gets the whole page before the commit, and not for a browser", async () => {
    const browser = new Browser(server.url);
    await (await browser.fetch("/lab/deferred")).text();
    const crawler = new Browser(server.url);
    const bot = { "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" };
    await (await crawler.fetch("/lab/deferred", { headers: bot })).text();
    // Past the 100 ms after which the loader makes its late change.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await browser.sessionData()).not.toHaveProperty("mark:deferred-late");
    expect(await crawler.sessionData()).toHaveProperty("mark:deferred-late");
  });
});

describe("the session inspector", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_STORE: "sqlite" } });
  });
  afterAll(() => server.close());

  it("has a caption and the session id shortened, never whole, which changes at sign in", async () => {
    const browser = new Browser(server.url);
    await browser.fetch("/");
    const id = (await server.sessionStorage.getSession(browser.cookieHeader)).id;
    expect(id.length).toBeGreaterThan(20);
    const html = text(await (await browser.fetch("/")).text());
    expect(html).toMatch(/data-testid="inspector-caption">What the server keeps in this browser&#x27;s session/);
    expect(html).toContain(`data-testid="session-id">${id.slice(0, 6)}…<`);
    expect(html).not.toContain(id);
    const inspected = (await (await browser.fetch("/lab/inspect")).json()) as { sessionId: string };
    expect(inspected.sessionId).toBe(`${id.slice(0, 6)}…`);

    await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    const newId = (await server.sessionStorage.getSession(browser.cookieHeader)).id;
    expect(newId).not.toBe(id);
    const after = text(await (await browser.fetch("/")).text());
    expect(after).toContain(`data-testid="session-id">${newId.slice(0, 6)}…<`);
    expect(after).not.toContain(newId);
  });

  it("lists keys in natural order: mark:x-2 before mark:x-10", async () => {
    const browser = new Browser(server.url);
    for (const key of ["x-10", "x-2", "x-1", "y"]) await browser.fetch(`/lab/mark/${key}`);
    const keys = inspectorKeys(await (await browser.fetch("/")).text());
    expect(keys).toEqual(["mark:x-1", "mark:x-2", "mark:x-10", "mark:y", "visits"]);
  });

  it("cuts long values off in the list and shows them whole on demand", async () => {
    const browser = new Browser(server.url);
    await browser.fetch("/lab/write?key=long&size=300");
    const html = await (await browser.fetch("/")).text();
    const value = `&quot;${"x".repeat(300)}&quot;`;
    expect(html).toMatch(
      new RegExp(
        `<details[^>]*><summary[^>]*title="Show the whole value">${value}</summary><pre[^>]*>${value}</pre></details>`,
      ),
    );
    // Short values stay plain.
    expect(text(html)).toMatch(/title="visits">visits<\/dt><dd[^>]*>1<\/dd>/);
  });

  it("shows the flash the page read, with its badge", async () => {
    const browser = new Browser(server.url);
    await browser.fetch("/preferences", {
      method: "POST",
      body: new URLSearchParams({ theme: "dark", density: "compact" }),
    });
    const html = text(await (await browser.fetch("/preferences")).text());
    expect(html).toMatch(/data-testid="notice"[^>]*>Preferences saved.</);
    expect(html).toMatch(
      /title="__flash_notice__">notice <span[^>]*data-testid="flash-badge"[^>]*>flash, read once<\/span>/,
    );
    // Read once: the next page shows neither the notice nor the flash.
    const next = text(await (await browser.fetch("/preferences")).text());
    expect(next).not.toContain("flash-badge");
    expect(next).not.toContain("Preferences saved.");
  });
});
