import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startPagesLocal, type PagesLocal } from "../../scripts/pages-local";
import { Browser } from "../support/browser";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/server";

/** One request of the script: what a browser does, in order, with one cookie jar. */
type Step = [method: "GET" | "POST", path: string, form?: Record<string, string>];

// The demo's session behaviour end to end: lab routes, a flash, a failure, a hand-written commit,
// caching headers, sign in and sign out.
const SCRIPT: Step[] = [
  ["GET", "/lab/session"],
  ["GET", "/lab/ping"],
  ["GET", "/lab/mark/alpha"],
  ["GET", `/lab/mark/${"k".repeat(201)}`],
  ["GET", "/lab/session"],
  ["GET", "/lab/probe"],
  ["POST", "/lab/probe", {}],
  ["POST", "/preferences", { theme: "dark", density: "compact" }],
  ["GET", "/lab/session"],
  ["GET", "/?_data=root"],
  ["GET", "/?_data=root"],
  ["GET", "/lab/fail?key=x"],
  ["GET", "/lab/session"],
  ["GET", "/lab/cached?cc=public,%20max-age=60"],
  ["GET", "/lab/bounce?_data=routes/lab.bounce"],
  ["GET", "/lab/hand-commit"],
  ["GET", "/lab/session"],
  ["POST", "/login", { name: "" }],
  ["POST", "/login", { name: "Ada" }],
  ["GET", "/lab/session"],
  ["GET", "/library/fiction?_data=routes/library"],
  ["POST", "/logout", {}],
  ["GET", "/lab/session"],
];

/** What must be equal on both servers: status, the headers the commit rules govern, the JSON body. */
async function runScript(url: string) {
  const browser = new Browser(url);
  const transcript = [];
  for (const [method, path, form] of SCRIPT) {
    const response = await browser.fetch(path, form ? { method, body: new URLSearchParams(form) } : { method });
    const type = response.headers.get("Content-Type") ?? "";
    transcript.push({
      request: `${method} ${path.slice(0, 60)}`,
      status: response.status,
      location: response.headers.get("Location") ?? response.headers.get("X-Remix-Redirect"),
      revalidate: response.headers.get("X-Remix-Revalidate"),
      vary: withoutCompression(response.headers.get("Vary")),
      cacheControl: response.headers.get("Cache-Control"),
      // The cookie's attributes and whether it sets or clears; its value differs by signature and id.
      cookies: response.headers.getSetCookie().map((cookie) => cookie.replace(/^([^=]+)=[^;]+/, "$1=<value>")),
      body: type.startsWith("application/json") ? withoutTimes(await response.json()) : (await response.text(), null),
    });
  }
  return transcript;
}

/** Express compresses (and says so in Vary); Cloudflare compresses at its edge, outside the Function. */
function withoutCompression(vary: string | null): string | null {
  const tokens = (vary ?? "")
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token && token !== "Accept-Encoding");
  return tokens.length > 0 ? tokens.join(", ") : null;
}

/** Timestamps differ between runs; their shape does not. */
function withoutTimes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_key, item) =>
    typeof item === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(item) ? "<time>" : item,
  );
}

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
