import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { Browser, setCookiesFor } from "../../harness/browser";
import { startPagesLocal, type PagesLocal } from "../../harness/pages-local";

// A Pages project using the Durable Object store through the Worker deployed beside it: the built Pages
// Function and the built Worker run together in one workerd, and the Function's SESSION_DO names the
// Worker's SessionObject class, as `script_name` does.
describe("Cloudflare Pages with SESSION_STORE=durable-object, objects in the Worker beside it", () => {
  let pages: PagesLocal;
  beforeAll(async () => {
    pages = await startPagesLocal({
      build: inject("cloudflareBuilds").pages,
      sessionObjects: inject("cloudflareBuilds").workers,
      bindings: { SESSION_STORE: "durable-object", ENVIRONMENT: "test", SESSION_SECRET: "p".repeat(40) },
    });
  }, 180_000);
  afterAll(() => pages?.close());

  it("keeps every one of 32 parallel writes of one browser", async () => {
    const browser = new Browser(pages.url);
    await browser.fetch("/lab/mark/seed");
    const responses = await Promise.all(Array.from({ length: 32 }, (_, i) => browser.fetch(`/lab/mark/p-${i}`)));
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
    const kept = Object.keys(await browser.sessionData()).filter((key) => key.startsWith("mark:p-"));
    expect(kept).toHaveLength(32);
  });

  it("moves the session at sign in, leaving nothing under the old id, and deletes it at sign out", async () => {
    const browser = new Browser(pages.url);
    await browser.fetch("/lab/mark/pre");
    const anonymous = browser.cookieHeader;
    const signedIn = await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    expect(signedIn.status).toBe(302);
    expect(await browser.sessionData()).toMatchObject({ "mark:pre": expect.any(String), user: { name: "Ada" } });
    const old = await fetch(`${pages.url}/lab/session`, { headers: { Cookie: anonymous } });
    expect(await old.json()).toEqual({});

    const signedOut = await browser.fetch("/logout", { method: "POST" });
    expect(setCookiesFor(signedOut)[0]).toMatch(/^__session=;/);
    expect(await browser.sessionData()).toEqual({});
  });
});
