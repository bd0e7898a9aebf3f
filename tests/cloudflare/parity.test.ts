import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { startPagesLocal, type PagesLocal } from "../../harness/pages-local";
import { runScript } from "../support/parity-script";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/server";

describe.each([
  { express: "cookie", pages: "cookie" },
  { express: "sqlite", pages: "kv" },
] as const)("Pages ($pages store) answers like Express ($express store)", ({ express, pages: pagesStore }) => {
  let server: TestServer;
  let pages: PagesLocal;
  beforeAll(async () => {
    // Same secret, same mode (test: no Secure flag on either side), same store family.
    server = await startTestServer({ env: { SESSION_STORE: express } });
    pages = await startPagesLocal({
      build: inject("cloudflareBuilds").pages,
      kv: true,
      bindings: { SESSION_STORE: pagesStore, SESSION_SECRET: TEST_SECRET, ENVIRONMENT: "test" },
    });
  }, 180_000);
  afterAll(async () => {
    await Promise.all([server?.close(), pages?.close()]);
  });

  it("gives the same statuses, session cookies, caching headers and JSON for the same browser script", async () => {
    const onExpress = await runScript(server.url);
    const onPages = await runScript(pages.url);
    expect(onPages).toEqual(onExpress);
    // The script does exercise the rules: cookies set, cleared and withheld.
    const cookies = onExpress.map((step) => step.cookies.join());
    expect(cookies.some((cookie) => cookie.includes("Max-Age="))).toBe(true);
    expect(cookies.some((cookie) => cookie.includes("Expires=Thu, 01 Jan 1970"))).toBe(true);
    expect(cookies.filter((cookie) => cookie === "").length).toBeGreaterThan(5);
  });
});
