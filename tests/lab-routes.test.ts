import path from "node:path";

import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { Browser } from "../harness/browser";
import { startPagesLocal, type PagesLocal } from "../harness/pages-local";

import { AppProcess } from "./support/app-process";
import { loadAppBuild, startTestServer, type TestServer } from "./support/server";

/** Every `/lab` route of the build: the URL it answers at (parameters filled in), and whether it has an action. */
async function labRoutes(): Promise<{ url: string; hasAction: boolean }[]> {
  const { routes } = await loadAppBuild();
  const fullPath = (id: string): string => {
    const route = routes[id];
    const parent = route.parentId ? fullPath(route.parentId) : "";
    return route.path ? `${parent}/${route.path}` : parent;
  };
  return Object.keys(routes)
    .map((id) => ({ url: fullPath(id).replace(/:[^/]+/g, "x") || "/", hasAction: Boolean(routes[id].module.action) }))
    .filter(({ url }) => url === "/lab" || url.startsWith("/lab/"))
    .sort((a, b) => a.url.localeCompare(b.url));
}

/** The rows of the production server's SQLite store: id and data. */
function storedRows(server: TestServer): { id: string; data: string }[] {
  const db = new Database(path.join(server.config.dataDir, "sessions.sqlite"), { readonly: true });
  try {
    return db.prepare<[], { id: string; data: string }>("SELECT id, data FROM sessions ORDER BY id").all();
  } finally {
    db.close();
  }
}

/** What a page shows a person: its text without scripts, tags or the route manifest. */
function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("LAB_ROUTES off: production without it", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: "production", SESSION_STORE: "sqlite" } });
  });
  afterAll(() => server.close());

  it("knows the lab's routes (the list this test walks is not empty)", async () => {
    const urls = (await labRoutes()).map(({ url }) => url);
    expect(urls).toEqual(expect.arrayContaining(["/lab", "/lab/mark/x", "/lab/session", "/lab/write", "/lab/reset"]));
    expect(urls.length).toBeGreaterThanOrEqual(15);
  });

  it("answers 404 on every /lab route (a POST without an action: 405) and writes nothing to the session or the store", async () => {
    const browser = new Browser(server.url);
    // A visitor with a stored session: one document request writes `visits`.
    await browser.fetch("/");
    const cookie = browser.cookieHeader;
    const before = storedRows(server);
    expect(before).toHaveLength(1);

    for (const { url, hasAction } of await labRoutes()) {
      for (const method of ["GET", "POST"]) {
        const response = await browser.fetch(`${url}?key=x&size=10`, {
          method,
          body: method === "POST" ? new URLSearchParams({ key: "x", notice: "x" }) : undefined,
        });
        // A POST to a route without an action is refused by Remix (405) before any code of the route runs.
        const expected = method === "POST" && !hasAction ? 405 : 404;
        expect.soft(response.status, `${method} ${url}`).toBe(expected);
        expect.soft(response.headers.getSetCookie(), `${method} ${url}`).toEqual([]);
        await response.body?.cancel();
      }
      // A stranger without a cookie gets none either: nothing is created.
      const stranger = await fetch(`${server.url}${url}`);
      expect.soft(stranger.status, `GET ${url} without a cookie`).toBe(404);
      expect.soft(stranger.headers.getSetCookie(), `GET ${url} without a cookie`).toEqual([]);
      await stranger.body?.cancel();
    }
    expect(browser.cookieHeader).toBe(cookie);
    expect(storedRows(server)).toEqual(before);
  });

  it("answers /lab with the same page as an unknown URL, and /lab/session with no session data", async () => {
    const browser = new Browser(server.url);
    await browser.fetch("/lab/mark/secret");
    const lab = await browser.fetch("/lab");
    const unknown = await browser.fetch("/no-such-page");
    expect(lab.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(visibleText(await lab.text())).toBe(visibleText(await unknown.text()));
    const session = await browser.fetch("/lab/session");
    expect(session.status).toBe(404);
    expect(await session.text()).toBe("Not Found");
  });

  it("shows no link to the lab", async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).not.toMatch(/href="\/lab/);
    expect(html).not.toContain("Concurrency lab");
  });
});

describe("LAB_ROUTES=on in production", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: "production", SESSION_STORE: "sqlite", LAB_ROUTES: "on" } });
  });
  afterAll(() => server.close());

  it("serves the lab routes with their usual answers, and links the lab", async () => {
    const browser = new Browser(server.url);
    const mark = await browser.fetch("/lab/mark/x");
    expect(mark.status).toBe(200);
    expect(await mark.json()).toEqual({ ok: true, key: "x" });
    expect(await browser.sessionData()).toEqual({ "mark:x": expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect((await browser.fetch("/lab/ping")).status).toBe(200);
    expect(await (await browser.fetch("/")).text()).toMatch(/href="\/lab"/);
  });
});

describe("LAB_ROUTES off: `npm start` (server.ts) in production", () => {
  let app: AppProcess;
  beforeAll(async () => {
    // Empty is unset, as in the environment: production's default, off.
    app = await AppProcess.start({ LAB_ROUTES: "" });
  }, 90_000);
  afterAll(() => app?.stop());

  it("answers 404 on /lab/session and /lab/mark/x and writes nothing", async () => {
    const browser = new Browser(app.url);
    await browser.fetch("/");
    const cookie = browser.cookieHeader;
    expect(cookie).toMatch(/^__Host-session=/);
    for (const url of ["/lab/session", "/lab/mark/x", "/lab/write?key=x&size=10", "/lab"]) {
      const response = await browser.fetch(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.getSetCookie(), url).toEqual([]);
      await response.body?.cancel();
    }
    expect(browser.cookieHeader).toBe(cookie);
    // What the root loader reads: the visit counted by the first page, no mark.
    const root = (await (await browser.fetch("/?_data=root")).json()) as { sessionData: Record<string, unknown> };
    expect(Object.keys(root.sessionData)).toEqual(["visits"]);
  });
});

describe("LAB_ROUTES on the Cloudflare Pages build, in workerd", () => {
  let pages: PagesLocal;
  beforeAll(async () => {
    pages = await startPagesLocal({ build: inject("cloudflareBuilds").pages, kv: true });
  }, 180_000);
  afterAll(() => pages?.close());

  /** Status and Set-Cookie count of each URL, and whether the home page links the lab, under `bindings`. */
  async function probe(bindings: Record<string, string>) {
    await pages.setBindings(bindings);
    const answers: Record<string, [number, number]> = {};
    for (const url of ["/lab/session", "/lab/mark/x", "/lab"]) {
      const response = await fetch(`${pages.url}${url}`);
      answers[url] = [response.status, response.headers.getSetCookie().length];
      await response.body?.cancel();
    }
    const linked = /href="\/lab"/.test(await (await fetch(`${pages.url}/`)).text());
    return { answers, linked };
  }

  it("leaves the lab out in production unless LAB_ROUTES=on, and serves it in development", async () => {
    const secret = { SESSION_SECRET: "pages-lab-secret-that-is-at-least-32-characters" };
    expect(await probe(secret)).toEqual({
      answers: { "/lab/session": [404, 0], "/lab/mark/x": [404, 0], "/lab": [404, 0] },
      linked: false,
    });
    expect(await probe({ ...secret, LAB_ROUTES: "off", SESSION_STORE: "kv" })).toMatchObject({ linked: false });
    expect(await probe({ ...secret, LAB_ROUTES: "on" })).toEqual({
      answers: { "/lab/session": [200, 0], "/lab/mark/x": [200, 1], "/lab": [200, 1] },
      linked: true,
    });
    expect((await probe({ ENVIRONMENT: "development" })).answers["/lab/session"]).toEqual([200, 0]);
  });
});
