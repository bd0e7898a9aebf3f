import path from "node:path";

import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { Browser, setCookiesFor } from "../harness/browser";

import { dataUrl, readData, SINGLE_FETCH } from "./support/data-requests";
import { captureLogs } from "./support/logs";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./support/redis";
import { startTestServer, type TestServer } from "./support/server";

// Redis joins when a server is available (CI always has one; see tests/support/redis.ts).
const STORES = ["sqlite", "memory", "cookie", ...(REDIS_URL ? (["redis"] as const) : [])];
const serverSide = (store: string) => store !== "cookie";

/** The id inside a session cookie value, as the server-side stores sign it. */
async function storedData(server: TestServer, cookieHeader: string) {
  return (await server.sessionStorage.getSession(cookieHeader)).data as Record<string, unknown>;
}

describe.each(STORES)("commit rules, %s store", (store) => {
  let server: TestServer;
  let url: string;
  const prefix = uniquePrefix("rules");
  beforeAll(async () => {
    const redis: Record<string, string> =
      store === "redis" ? { REDIS_URL: REDIS_URL!, SESSION_REDIS_PREFIX: prefix } : {};
    server = await startTestServer({ env: { SESSION_STORE: store, ...redis } });
    url = server.url;
  });
  afterAll(async () => {
    await server.close();
    if (store === "redis") await deleteKeys(REDIS_URL!, prefix);
  });

  describe("1. every request Remix handles gets context.session", () => {
    it("a document request runs the root loader with a session it commits", async () => {
      const browser = new Browser(url);
      const page = await browser.fetch("/");
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/data-testid="visits">1(<!-- -->)? (<!-- -->)?visit</);
      expect(await browser.sessionData()).toMatchObject({ visits: 1 });
    });

    it(`a data request (${SINGLE_FETCH ? ".data" : "?_data"}) gets the same session`, async () => {
      const browser = new Browser(url);
      await browser.fetch("/");
      const answer = await readData(await browser.fetch(dataUrl("/", "root")), "root");
      expect(answer).toMatchObject({ kind: "data", value: { visits: 2 } });
    });

    it("a resource route's loader and an action both receive a real Remix Session", async () => {
      const browser = new Browser(url);
      // As in Remix, a session that was never saved has the id "".
      expect(await (await browser.fetch("/lab/probe")).json()).toEqual({ isSession: true, id: false });
      await browser.fetch("/lab/mark/saved");
      expect(await (await browser.fetch("/lab/probe")).json()).toEqual({ isSession: true, id: serverSide(store) });
      const posted = await browser.fetch("/lab/probe", { method: "POST", body: new URLSearchParams() });
      expect(await posted.json()).toEqual({ isSession: true, id: serverSide(store) });
    });

    it("an action's writes are committed on its redirect", async () => {
      const browser = new Browser(url);
      const response = await browser.fetch("/preferences", {
        method: "POST",
        body: new URLSearchParams({ theme: "dark", density: "compact" }),
      });
      expect(response.status).toBe(302);
      expect(setCookiesFor(response)).toHaveLength(1);
      expect(await browser.sessionData()).toMatchObject({ theme: "dark", density: "compact" });
    });
  });

  describe("2. the commit happens before the response headers are sent", () => {
    it("the write is stored by the time the headers of a streamed page arrive", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/first");
      const response = await browser.fetch("/lab/deferred");
      // Headers are here; the body (with the deferred value) has not been read yet.
      if (serverSide(store)) {
        expect(await storedData(server, browser.cookieHeader)).toHaveProperty("mark:deferred-early");
      } else {
        expect(setCookiesFor(response)).toHaveLength(1);
      }
      await response.text();
      expect(await browser.sessionData()).toHaveProperty("mark:deferred-early");
    });
  });

  describe("3. an unchanged session sends no cookie and writes nothing", () => {
    it("a read-only request of an existing session gets no Set-Cookie and leaves the stored expiry alone", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/a");
      const before = serverSide(store) ? await server.sessionStorage.getSession(browser.cookieHeader) : null;
      const response = await browser.fetch("/lab/session");
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get("Vary") ?? "").not.toMatch(/cookie/i);
      if (before) {
        const after = await server.sessionStorage.getSession(browser.cookieHeader);
        expect(after.id).toBe(before.id);
      }
    });

    it("a visitor without a session who changes nothing gets no cookie and no stored row", async () => {
      const rowsBefore = store === "sqlite" ? countRows(server) : 0;
      const response = await fetch(`${url}/lab/session`);
      expect(await response.json()).toEqual({});
      expect(response.headers.getSetCookie()).toEqual([]);
      if (store === "sqlite") expect(countRows(server)).toBe(rowsBefore);
    });

    it("reading a flash is a change: the read is committed and the flash shows once", async () => {
      const browser = new Browser(url);
      const set = await browser.fetch("/lab/flash", { method: "POST", body: new URLSearchParams({ notice: "hi" }) });
      expect(setCookiesFor(set)).toHaveLength(1);
      const first = await browser.fetch("/lab/flash");
      expect(await first.json()).toEqual({ notice: "hi" });
      // Committed; a server-side store keeps the browser's cookie as it is (rule 4), the cookie store sends its copy.
      expect(setCookiesFor(first)).toHaveLength(serverSide(store) ? 0 : 1);
      const second = await browser.fetch("/lab/flash");
      expect(await second.json()).toEqual({ notice: null });
      expect(second.headers.getSetCookie()).toEqual([]);
    });
  });

  describe("4. a changed session is written, with one Set-Cookie when the cookie must change", () => {
    it(`${serverSide(store) ? "sends no cookie for" : "sends its whole copy after"} a write that keeps the id and lifetime`, async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/first");
      const before = browser.cookieHeader;
      const write = await browser.fetch("/lab/mark/second");
      expect(setCookiesFor(write)).toHaveLength(serverSide(store) ? 0 : 1);
      if (serverSide(store)) expect(browser.cookieHeader).toBe(before);
      expect(await browser.sessionData()).toMatchObject({
        "mark:first": expect.any(String),
        "mark:second": expect.any(String),
      });
    });

    it("sends one session cookie with the expected flags and stores the write", async () => {
      const browser = new Browser(url);
      const response = await browser.fetch("/lab/mark/one");
      expect(await response.json()).toEqual({ ok: true, key: "one" });
      const cookies = setCookiesFor(response);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/; Path=\//);
      expect(cookies[0]).toMatch(/; HttpOnly/);
      expect(cookies[0]).toMatch(/; SameSite=Lax/);
      expect(cookies[0]).not.toMatch(/; Secure/); // Secure is for production; this server runs as "test".
      expect(await browser.sessionData()).toHaveProperty("mark:one");
    });
  });

  describe("5. a response of 500 or above commits nothing", () => {
    it("drops the failed request's changes", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/before");
      const response = await browser.fetch("/lab/fail?key=failed");
      expect(response.status).toBe(500);
      expect(response.headers.getSetCookie()).toEqual([]);
      const data = await browser.sessionData();
      expect(data).toHaveProperty("mark:before");
      expect(data).not.toHaveProperty("mark:failed");
    });
  });

  describe("6. a cookie the app set by hand wins", () => {
    it("a hand-written commitSession is the only Set-Cookie, and later changes are not saved", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/x");
      const response = await browser.fetch("/lab/hand-commit");
      expect(setCookiesFor(response)).toHaveLength(1);
      const data = await browser.sessionData();
      expect(data).toMatchObject({ "mark:hand": "by hand", "mark:x": expect.any(String) });
      expect(data).not.toHaveProperty("mark:after-hand");
    });

    it("a hand-written destroySession clears the cookie and the data", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/x");
      const before = browser.cookieHeader;
      const response = await browser.fetch("/lab/hand-commit?destroy");
      const cookies = setCookiesFor(response);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/Expires=Thu, 01 Jan 1970/);
      if (serverSide(store)) expect(await storedData(server, before)).toEqual({});
    });

    it(`${serverSide(store) ? "saves" : "cannot save (one cookie, one copy):"} context.session's changes beside a library's own hand-committed session`, async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/x");
      const response = await browser.fetch("/lab/hand-commit?library");
      expect(setCookiesFor(response)).toHaveLength(1);
      const data = await browser.sessionData();
      expect(data).toMatchObject({ "mark:library": "by the library", "mark:x": expect.any(String) });
      if (serverSide(store)) expect(data).toHaveProperty("mark:beside", "beside the library");
      else expect(data).not.toHaveProperty("mark:beside");
    });
  });

  describe("7. sign in regenerates the id, sign out destroys the session", () => {
    it("moves the data to a new id at sign in and forgets the old id", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/pre-login");
      const before = browser.cookieHeader;
      const response = await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
      expect(response.status).toBe(302);
      expect(setCookiesFor(response)).toHaveLength(1);
      expect(browser.cookieHeader).not.toBe(before);
      expect(await browser.sessionData()).toMatchObject({
        user: { name: "Ada" },
        "mark:pre-login": expect.any(String),
      });
      if (serverSide(store)) {
        const oldId = (await server.sessionStorage.getSession(before)).id;
        const newId = (await server.sessionStorage.getSession(browser.cookieHeader)).id;
        expect(newId).not.toBe(oldId);
        expect(await storedData(server, before)).toEqual({});
      }
    });

    it("clears the cookie and deletes the data at sign out", async () => {
      const browser = new Browser(url);
      await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
      const signedIn = browser.cookieHeader;
      const response = await browser.fetch("/logout", { method: "POST" });
      expect(response.status).toBe(302);
      const cookies = setCookiesFor(response);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect(browser.cookie("__session")).toBeUndefined();
      if (serverSide(store)) expect(await storedData(server, signedIn)).toEqual({});
    });
  });

  describe("8. a response carrying the session cookie is kept out of shared caches", () => {
    it("adds Vary: Cookie and marks it private when the app set no Cache-Control", async () => {
      const response = await new Browser(url).fetch("/lab/cached");
      expect(response.headers.get("Vary")).toMatch(/\bCookie\b/);
      expect(response.headers.get("Cache-Control")).toBe("private, no-cache");
    });

    it("keeps the app's Cache-Control but takes out what lets a shared cache store it", async () => {
      const response = await new Browser(url).fetch(`/lab/cached?cc=${encodeURIComponent("public, max-age=60")}`);
      expect(response.headers.get("Cache-Control")).toBe("private, max-age=60");
    });

    it("reads Cache-Control directives whatever their case and spacing", async () => {
      const cc = encodeURIComponent("s-maxage = 600, PUBLIC, max-age=5");
      const response = await new Browser(url).fetch(`/lab/cached?cc=${cc}`);
      expect(response.headers.get("Cache-Control")).toBe("private, max-age=5");
    });

    it("treats a cookie the app committed by hand the same way", async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/x");
      for (const path of ["/lab/hand-commit", "/lab/hand-commit?destroy"]) {
        const response = await browser.fetch(path);
        expect(setCookiesFor(response)).toHaveLength(1);
        expect(response.headers.get("Vary")).toMatch(/\bCookie\b/);
        expect(response.headers.get("Cache-Control")).toBe("private, no-cache");
      }
    });
  });

  describe("10. concurrent requests keep each other's writes", () => {
    it(`${serverSide(store) ? "keeps all" : "cannot merge (data travels in the cookie):"} 50 parallel writes of one browser`, async () => {
      const browser = new Browser(url);
      await browser.fetch("/lab/mark/seed");
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => browser.fetch(`/lab/mark/parallel-${i}`)),
      );
      expect(responses.every((response) => response.status === 200)).toBe(true);
      const kept = Object.keys(await browser.sessionData()).filter((key) => key.startsWith("mark:parallel-"));
      if (serverSide(store)) expect(kept).toHaveLength(50);
      // Each response carries its own whole copy; the browser keeps the last one it got.
      else expect(kept).toHaveLength(1);
    });
  });

  describe("bad input", () => {
    it.each([
      ["garbage", "__session=garbage"],
      ["a tampered signature", "__session=eyJhIjoxfQ%3D%3D.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
      ["broken percent-encoding", "__session=%E0%A4%A"],
      ["an empty value", "__session="],
      ["an oversized value", `__session=${"a".repeat(8000)}`],
    ])("%s gives a fresh session, not an error", async (_name, cookie) => {
      const response = await fetch(`${url}/lab/mark/fresh`, { headers: { Cookie: cookie } });
      expect(response.status).toBe(200);
      const fresh = new Browser(url);
      fresh.store(response);
      expect(Object.keys(await fresh.sessionData())).toEqual(["mark:fresh"]);
    });
  });

  it.runIf(serverSide(store))(
    "a validly signed id the store does not know gives a fresh session with a new id",
    async () => {
      const forged = (await server.sessionStorage.cookie.serialize("A".repeat(32))).split(";")[0];
      const response = await fetch(`${url}/lab/mark/unknown`, { headers: { Cookie: forged } });
      expect(response.status).toBe(200);
      const [cookie] = setCookiesFor(response);
      expect(cookie.split(";")[0]).not.toBe(forged);
      expect(await server.sessionStorage.getSession(forged).then((s) => s.data)).toEqual({});
    },
  );

  it("a data redirect that set the cookie tells Remix to revalidate", async () => {
    const response = await new Browser(url).fetch(dataUrl("/lab/bounce", "routes/lab.bounce"));
    expect(setCookiesFor(response)).toHaveLength(1);
    expect(await readData(response, "routes/lab.bounce")).toEqual({
      kind: "redirect",
      location: "/lab",
      revalidate: true,
    });
  });

  it("a data redirect after a write that keeps the cookie tells Remix to revalidate", async () => {
    const browser = new Browser(url);
    await browser.fetch("/lab/mark/first");
    const response = await browser.fetch(dataUrl("/lab/bounce", "routes/lab.bounce"));
    expect(setCookiesFor(response)).toHaveLength(serverSide(store) ? 0 : 1);
    expect(await readData(response, "routes/lab.bounce")).toEqual({
      kind: "redirect",
      location: "/lab",
      revalidate: true,
    });
    expect(await browser.sessionData()).toHaveProperty("mark:bounced");
  });

  it("a data redirect that changed nothing leaves revalidation to Remix", async () => {
    const browser = new Browser(url);
    await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
    // Signed in, the sign-in page's loader only reads the session and redirects home.
    const response = await browser.fetch(dataUrl("/login", "routes/login"));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await readData(response, "routes/login")).toEqual({ kind: "redirect", location: "/", revalidate: false });
  });
});

describe("5. committing on server errors is configurable", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_STORE: "memory", SESSION_COMMIT_ON_ERROR: "true" } });
  });
  afterAll(() => server.close());

  it("commits a failed request's changes when SESSION_COMMIT_ON_ERROR=true", async () => {
    const browser = new Browser(server.url);
    const response = await browser.fetch("/lab/fail?key=kept");
    expect(response.status).toBe(500);
    expect(setCookiesFor(response)).toHaveLength(1);
    expect(await browser.sessionData()).toHaveProperty("mark:kept");
  });
});

describe("9. a change after the headers went out", () => {
  let server: TestServer;
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_STORE: "sqlite" }, mode: "development" });
  });
  afterAll(() => server.close());
  afterEach(() => warn.mockClear());

  it("is not saved, and development logs a warning naming the key", async () => {
    const browser = new Browser(server.url);
    const response = await browser.fetch("/lab/deferred");
    expect(await response.text()).toContain("streamed");
    await vi.waitFor(() =>
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('"mark:deferred-late" changed after the response headers were sent'),
      ),
    );
    const data = await browser.sessionData();
    expect(data).toHaveProperty("mark:deferred-early");
    expect(data).not.toHaveProperty("mark:deferred-late");
  });
});

describe("a store that is down", () => {
  const logs = captureLogs();
  it("answers 503 with a clear page, and keeps serving once it is back", async () => {
    const server = await startTestServer({ env: { SESSION_STORE: "sqlite" } });
    try {
      await server.sessionStorage.close();
      const page = await fetch(`${server.url}/`);
      expect(page.status).toBe(503);
      expect(page.headers.get("Retry-After")).toBe("5");
      expect(await page.text()).toContain("Sessions are unavailable right now");
      const data = await fetch(`${server.url}${dataUrl("/", "root")}`);
      expect(data.status).toBe(503);
      expect(await readData(data, "root")).toEqual({
        kind: "error",
        status: 503,
        value: { error: "Sessions are unavailable right now", detail: expect.stringContaining("Nothing was saved") },
      });
      expect(logs.lines).toEqual([
        "[session] SQLite session store failed: TypeError: The database connection is not open",
        "[session] SQLite session store failed: TypeError: The database connection is not open",
      ]);
    } finally {
      await server.close();
    }
  });
});

function countRows(server: TestServer): number {
  const db = new Database(path.join(server.config.dataDir, "sessions.sqlite"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM sessions").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe("cross-site writes", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_STORE: "sqlite" } });
  });
  afterAll(() => server.close());

  it("refuses a cross-origin data post with 403 before the session is read, and changes nothing", async () => {
    const browser = new Browser(server.url);
    await browser.fetch("/lab/mark/mine");
    const before = await browser.sessionData();
    const forged = await fetch(`${server.url}${dataUrl("/lab/flash", "routes/lab.flash", "POST")}`, {
      method: "POST",
      headers: { Cookie: browser.cookieHeader, Origin: "https://evil.example" },
      body: new URLSearchParams({ notice: "forged" }),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.getSetCookie()).toEqual([]);
    expect(await browser.sessionData()).toEqual(before);
  });
});
